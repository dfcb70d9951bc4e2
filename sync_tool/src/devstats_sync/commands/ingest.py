"""``devstats-sync ingest``: GH Archive hours into the project databases (the gha2db equivalent)."""

from __future__ import annotations

import argparse
import logging
import os
from datetime import UTC, datetime
from pathlib import Path

from devstats_sync import exit_codes
from devstats_sync.archive import DEFAULT_BASE_URL, Archive, ArchiveError
from devstats_sync.ingest import DEFAULT_MAX_CONNECTIONS, ingest
from devstats_sync.projects_config import ConfigError, default_dsn, load_projects, parse_hour, select_projects

NAME = "ingest"
HELP = "load GH Archive hours into the projects' databases (one scan serves all projects)"
log = logging.getLogger(__name__)


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
        "--accept-empty",
        action="store_true",
        help="mark hours the archive lacks, or whose file holds no event, parsed and empty (and record that)",
    )
    parser.add_argument(
        "--max-connections",
        default=None,
        help=f"databases open at once (default: $DEVSTATS_MAX_CONNECTIONS, else {DEFAULT_MAX_CONNECTIONS})",
    )
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
    max_connections = (
        args.max_connections or os.environ.get("DEVSTATS_MAX_CONNECTIONS") or DEFAULT_MAX_CONNECTIONS
    )
    if not str(max_connections).isdigit() or int(max_connections) < 1:
        raise ConfigError(
            f"--max-connections (or DEVSTATS_MAX_CONNECTIONS) {max_connections!r}: a number, at least 1"
        )
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
        accept_empty=args.accept_empty,
        max_connections=int(max_connections),
    )
    for line in summary.lines_of_text():
        print(line)
    return exit_codes.FAILED if summary.failed else exit_codes.OK
