"""``devstats-sync status``: freshness of every project; non-zero exit when one is stale."""

from __future__ import annotations

import argparse
import json
import os
from datetime import timedelta

from devstats_sync import exit_codes
from devstats_sync.pipeline import utc_now
from devstats_sync.projects_config import select_projects
from devstats_sync.run_options import add_projects_and_dsn, dsn_from, projects_from
from devstats_sync.status import project_status

NAME = "status"
HELP = "per project: last parsed hour, last metrics, lag, running/provisioned; exit 1 when one is stale"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_projects_and_dsn(parser)
    parser.add_argument(
        "--ro-dsn", default=None, help="read-only DSN to use instead (default: $DEVSTATS_RO_DSN)"
    )
    parser.add_argument("--project", action="append", dest="projects", metavar="NAME", help="repeatable")
    parser.add_argument(
        "--stale-after-hours",
        type=float,
        default=3.0,
        help="lag beyond which a project is stale (default: 3)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")


def run(args: argparse.Namespace) -> int:
    dsn = args.ro_dsn or os.environ.get("DEVSTATS_RO_DSN") or dsn_from(args)
    now = utc_now()
    statuses = [
        project_status(dsn, project, now, timedelta(hours=args.stale_after_hours))
        for project in select_projects(projects_from(args), args.projects)
    ]
    if args.json:
        print(
            json.dumps(
                {"now": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "projects": [s.as_json() for s in statuses]},
                indent=2,
            )
        )
    else:
        for status in statuses:
            print(status.as_line())
    return exit_codes.STALE if any(s.stale for s in statuses) else exit_codes.OK
