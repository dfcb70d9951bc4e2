"""``devstats-sync provision``: a project from nothing to dashboards (schema, history, metrics)."""

from __future__ import annotations

import argparse
import sys

from devstats_sync.locking import ProjectBusyError
from devstats_sync.pipeline import provision
from devstats_sync.run_options import add_pipeline, finish_report, pipeline_config, project_from

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
    return finish_report(report, f"provisioned in {report.seconds:.1f}s ({report.hours_loaded} hours loaded)")
