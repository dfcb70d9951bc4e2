"""``devstats-sync provision``: a project from nothing to dashboards (schema, history, metrics)."""

from __future__ import annotations

import argparse
import sys

from devstats_sync import exit_codes
from devstats_sync.locking import ProjectBusyError
from devstats_sync.pipeline import HistoryPendingError, provision
from devstats_sync.projects_config import ConfigError
from devstats_sync.run_options import (
    add_pipeline,
    check_metrics_files,
    finish_report,
    pipeline_config,
    project_from,
)

NAME = "provision"
HELP = "create a project's database and load its whole history, affiliations and metrics"


# As long as a Job keeps retrying: a history back to 2014 takes the hourly ingest days.
DEFAULT_WAIT_SECONDS = 6 * 24 * 3600


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_pipeline(parser)
    parser.add_argument(
        "--wait-for-history",
        action="store_true",
        help="with --no-ingest: wait until the foundation's ingest has taken every hour of the history",
    )
    parser.add_argument(
        "--wait-seconds",
        type=float,
        default=DEFAULT_WAIT_SECONDS,
        help=f"longest wait for the history, checked every minute (default: {DEFAULT_WAIT_SECONDS}, 6 days)",
    )


def run(args: argparse.Namespace) -> int:
    project = project_from(args)
    config = pipeline_config(args)
    check_metrics_files(config, project)
    if args.wait_for_history:
        if config.ingest:
            raise ConfigError("--wait-for-history goes with --no-ingest (another run loads the hours)")
        if args.wait_seconds < 0:
            raise ConfigError(f"--wait-seconds {args.wait_seconds:g}: 0 or more")
        config.wait_seconds = args.wait_seconds
    try:
        report = provision(config, project)
    except ProjectBusyError as busy:
        # Not a failure: the other run does the work (exit 0 keeps Jobs and CronJobs green).
        print(f"devstats-sync: {busy}; nothing done", file=sys.stderr)
        return 0
    except HistoryPendingError as pending:
        print(f"devstats-sync: {pending}", file=sys.stderr)
        return exit_codes.FAILED
    return finish_report(report, f"provisioned in {report.seconds:.1f}s ({report.hours_loaded} hours loaded)")
