"""``devstats-sync provision``: a project from nothing to dashboards (schema, history, metrics)."""

from __future__ import annotations

import argparse
import sys

from devstats_sync.locking import ProjectBusyError
from devstats_sync.pipeline import provision
from devstats_sync.run_options import add_pipeline, pipeline_config, project_from

# Some step failed (a missing archive hour, GitHub down) while the others completed.
EXIT_PARTIAL = 3
NAME = "provision"
HELP = "create a project's database and load its whole history, affiliations and metrics"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_pipeline(parser)


def run(args: argparse.Namespace) -> int:
    project = project_from(args)
    config = pipeline_config(args)
    try:
        report = provision(config, project)
    except ProjectBusyError as busy:
        # Not a failure: the other run does the work (exit 0 keeps Jobs and CronJobs green).
        print(f"devstats-sync: {busy}; nothing done", file=sys.stderr)
        return 0
    for line in report.lines:
        print(line)
    if report.problems:
        print(
            f"{project.name}: {len(report.problems)} step(s) failed; the next run retries them",
            file=sys.stderr,
        )
        return EXIT_PARTIAL
    print(f"{project.name}: provisioned in {report.seconds:.1f}s ({report.hours_loaded} hours loaded)")
    return 0
