"""``devstats-sync ingest``: GH Archive hours into the project databases (the gha2db equivalent)."""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from devstats_sync import exit_codes
from devstats_sync.archive import DEFAULT_BASE_URL, Archive, ArchiveError
from devstats_sync.ingest import DEFAULT_MAX_CONNECTIONS, ingest, prune_cache
from devstats_sync.projects_config import ConfigError, parse_hour, select_projects
from devstats_sync.run_options import add_projects_file, dsn_from, projects_from

NAME = "ingest"
HELP = "load GH Archive hours into the projects' databases (one scan serves all projects)"
log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_projects_file(parser)
    parser.add_argument(
        "--project",
        action="append",
        dest="projects",
        metavar="NAME",
        help="a project to ingest (repeatable; default: every active project of the file)",
    )
    hours = parser.add_mutually_exclusive_group(required=True)
    hours.add_argument("--from", dest="start", help="first hour, YYYY-MM-DDTHH (UTC)")
    hours.add_argument(
        "--pending",
        action="store_true",
        help="every hour a selected project lacks, from its start date up to the current hour "
        "(what the foundation's hourly ingest runs: a new project's history comes with it)",
    )
    parser.add_argument(
        "--to",
        dest="end",
        default=None,
        help="hour to stop before, YYYY-MM-DDTHH (default: the current hour)",
    )
    parser.add_argument(
        "--max-hours",
        type=_count("--max-hours"),
        default=0,
        help="scan at most this many hours, the oldest first; the rest wait for the next run (0: no bound)",
    )
    parser.add_argument(
        "--cache-keep-hours",
        type=_count("--cache-keep-hours"),
        default=0,
        help="after the run, remove cached hour files older than this many hours once every selected "
        "project has parsed them (0: keep everything)",
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


def _count(option: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not text.isdigit():
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of hours (0 or more)")
        return int(text)

    parse.__name__ = option
    return parse


def run(args: argparse.Namespace) -> int:
    projects = select_projects(projects_from(args), args.projects)
    now = datetime.now(UTC).replace(tzinfo=None, minute=0, second=0, microsecond=0)
    end = parse_hour(args.end, "--to") if args.end else now
    start = min(p.start_date for p in projects) if args.pending else parse_hour(args.start, "--from")
    if end <= start:
        first = "the earliest start date" if args.pending else "--from"
        raise ConfigError(f"--to {end:%Y-%m-%dT%H} is not after {first} {start:%Y-%m-%dT%H}")
    max_connections = (
        args.max_connections or os.environ.get("DEVSTATS_MAX_CONNECTIONS") or DEFAULT_MAX_CONNECTIONS
    )
    if not str(max_connections).isdigit() or int(max_connections) < 1:
        raise ConfigError(
            f"--max-connections (or DEVSTATS_MAX_CONNECTIONS) {max_connections!r}: a number, at least 1"
        )
    dsn = dsn_from(args)
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
        max_hours=args.max_hours,
    )
    for line in summary.lines_of_text():
        print(line)
    if args.cache_keep_hours:
        removed = prune_cache(
            projects,
            dsn,
            archive,
            now - timedelta(hours=args.cache_keep_hours),
            max_connections=int(max_connections),
        )
        print(f"cache: {len(removed)} hour file(s) every project has parsed removed")
    return exit_codes.FAILED if summary.failed else exit_codes.OK
