"""``devstats-sync ingest``: GH Archive hours into the project databases (the gha2db equivalent)."""

from __future__ import annotations

import argparse
import logging
import os
from datetime import UTC, datetime
from pathlib import Path

from devstats_sync.archive import DEFAULT_BASE_URL, Archive, ArchiveError
from devstats_sync.ingest import ingest
from devstats_sync.projects_config import ConfigError, default_dsn, load_projects, parse_hour, select_projects

NAME = "ingest"
HELP = "load GH Archive hours into the projects' databases (one scan serves all projects)"
log = logging.getLogger(__name__)

EXIT_FAILED_HOURS = 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--projects-file", default=None, type=Path, help="projects.yaml (default: $DEVSTATS_PROJECTS_FILE)"
    )
    parser.add_argument(
        "--project",
        action="append",
        dest="projects",
        metavar="NAME",
        help="a project to ingest (repeatable; default: every active project of the file)",
    )
    parser.add_argument("--from", dest="start", required=True, help="first hour, YYYY-MM-DDTHH (UTC)")
    parser.add_argument(
        "--to",
        dest="end",
        default=None,
        help="hour to stop before, YYYY-MM-DDTHH (default: the current hour)",
    )
    parser.add_argument(
        "--archive-url",
        default=None,
        help=f"GH Archive base URL or local directory (default: $DEVSTATS_ARCHIVE_URL or {DEFAULT_BASE_URL})",
    )
    parser.add_argument(
        "--cache-dir", type=Path, default=None, help="download cache (default: $DEVSTATS_CACHE_DIR)"
    )
    parser.add_argument(
        "--dsn",
        default=None,
        help="PostgreSQL DSN; '{db}' or the dbname becomes each project's database (default: $DEVSTATS_DSN)",
    )
    parser.add_argument("--force", action="store_true", help="re-process hours already marked in gha_parsed")
    parser.add_argument("--create-db", action="store_true", help="create missing project databases")
    parser.add_argument("--no-indexes", action="store_true", help="leave secondary index creation for later")
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar (default: when stderr is a terminal)",
    )


def run(args: argparse.Namespace) -> int:
    projects_file = args.projects_file or os.environ.get("DEVSTATS_PROJECTS_FILE")
    if not projects_file:
        raise ConfigError("no projects file: pass --projects-file or set DEVSTATS_PROJECTS_FILE")
    projects = select_projects(load_projects(projects_file), args.projects)
    start = parse_hour(args.start, "--from")
    now = datetime.now(UTC).replace(tzinfo=None, minute=0, second=0, microsecond=0)
    end = parse_hour(args.end, "--to") if args.end else now
    if end <= start:
        raise ConfigError(f"--to {end:%Y-%m-%dT%H} is not after --from {start:%Y-%m-%dT%H}")
    dsn = args.dsn if args.dsn is not None else default_dsn()
    try:
        archive = Archive(
            args.archive_url or os.environ.get("DEVSTATS_ARCHIVE_URL") or DEFAULT_BASE_URL,
            cache_dir=args.cache_dir,
        )
    except ArchiveError as error:
        raise ConfigError(str(error)) from None
    summary = ingest(
        projects,
        dsn,
        start,
        end,
        archive,
        force=args.force,
        create_db=args.create_db,
        create_indexes=not args.no_indexes,
        progress=args.progress,
    )
    for line in summary.lines_of_text():
        print(line)
    return EXIT_FAILED_HOURS if summary.failed else 0
