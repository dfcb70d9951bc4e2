"""``devstats-sync sync``: the hourly run of one project (ingest, git, API, postprocess, metrics)."""

from __future__ import annotations

import argparse
import sys

from devstats_sync import exit_codes
from devstats_sync.locking import ProjectBusyError
from devstats_sync.pipeline import NotProvisionedError, sync
from devstats_sync.run_options import (
    add_pipeline,
    check_metrics_files,
    finish_report,
    pipeline_config,
    project_from,
)

NAME = "sync"
HELP = "bring a provisioned project up to date: new hours, git, GitHub API, postprocess, due metrics"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_pipeline(parser)


def run(args: argparse.Namespace) -> int:
    project = project_from(args)
    config = pipeline_config(args)
    check_metrics_files(config, project)
    try:
        report = sync(config, project)
    except ProjectBusyError as busy:
        print(f"devstats-sync: {busy}; this run stops here", file=sys.stderr)
        return 0
    except NotProvisionedError as error:
        print(f"devstats-sync: {error}", file=sys.stderr)
        return exit_codes.NOT_PROVISIONED
    return finish_report(report, f"synced in {report.seconds:.1f}s ({report.hours_loaded} new hours)")
