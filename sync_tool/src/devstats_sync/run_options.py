"""Options shared by the project commands: where the projects, the databases, caches and tokens are.

Every option has an environment variable, which is how the CronJobs and Jobs pass them.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import timedelta
from pathlib import Path

from devstats_sync import exit_codes
from devstats_sync.archive import DEFAULT_BASE_URL as ARCHIVE_URL
from devstats_sync.archive import Archive, ArchiveError
from devstats_sync.git_backfill import DEFAULT_GIT_BASE
from devstats_sync.github_api import DEFAULT_BASE_URL as API_URL
from devstats_sync.github_api import GitHubApiError, load_tokens
from devstats_sync.metrics.config import BUNDLED_DIR, MetricsConfigError, load_metrics, load_tags
from devstats_sync.pipeline import PipelineConfig, RunReport
from devstats_sync.projects_config import ConfigError, Project, default_dsn, load_projects, parse_hour


def data_dir() -> Path:
    return Path(os.environ.get("DEVSTATS_DATA_DIR") or Path.home() / ".cache" / "devstats-sync")


def add_projects_file(parser: argparse.ArgumentParser) -> None:
    # --config is the name the rendered CronJobs and Jobs use.
    parser.add_argument(
        "--projects-file",
        "--config",
        dest="projects_file",
        type=Path,
        default=None,
        help="projects.yaml (default: $DEVSTATS_PROJECTS_FILE)",
    )


def add_projects_and_dsn(parser: argparse.ArgumentParser) -> None:
    add_projects_file(parser)
    parser.add_argument(
        "--dsn",
        default=None,
        help="PostgreSQL DSN; the dbname is replaced by each project's "
        "(default: $DEVSTATS_DSN, else libpq's PG* environment)",
    )


def add_pipeline(parser: argparse.ArgumentParser) -> None:
    add_projects_and_dsn(parser)
    parser.add_argument("--project", required=True, help="the project's name in the projects file")
    parser.add_argument(
        "--archive-url",
        default=None,
        help=f"GH Archive base URL or directory (default: $DEVSTATS_ARCHIVE_URL or {ARCHIVE_URL})",
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="cache root for GH Archive hours and git clones (default: $DEVSTATS_DATA_DIR)",
    )
    parser.add_argument(
        "--git-base",
        default=None,
        help=f"where repositories are cloned from (default: $DEVSTATS_GIT_BASE or {DEFAULT_GIT_BASE})",
    )
    parser.add_argument("--skip-git", action="store_true", help="leave out the git step")
    parser.add_argument(
        "--no-ingest",
        dest="ingest",
        action="store_false",
        help="neither download nor scan GH Archive: the foundation's 'ingest --pending' loads the hours",
    )
    parser.add_argument(
        "--github-tokens-file",
        type=Path,
        default=None,
        help="file with GitHub tokens, one per line (also $GITHUB_TOKENS, $GITHUB_TOKENS_FILE)",
    )
    parser.add_argument(
        "--github-api-url",
        default=None,
        help=f"GitHub (Enterprise) API base URL (default: $GITHUB_API_URL or {API_URL})",
    )
    parser.add_argument("--api-window-hours", type=int, default=24, help="how far back the API step looks")
    parser.add_argument(
        "--api-max-wait",
        type=float,
        default=3600.0,
        help="longest wait for a quota reset, seconds (default: 3600)",
    )
    parser.add_argument(
        "--metrics-dir", type=Path, default=None, help="metrics.yaml + SQL (default: the bundled set)"
    )
    parser.add_argument(
        "--github-users",
        type=Path,
        default=None,
        help="cncf/gitdm github_users.json (default: $DEVSTATS_GITHUB_USERS)",
    )
    parser.add_argument(
        "--companies",
        type=Path,
        default=None,
        help="cncf/gitdm companies.yaml (default: $DEVSTATS_COMPANIES)",
    )
    parser.add_argument("--to", dest="end", default=None, help="hour to stop ingesting before (default: now)")
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar (default: when stderr is a terminal)",
    )


def projects_from(args: argparse.Namespace) -> list[Project]:
    path = args.projects_file or os.environ.get("DEVSTATS_PROJECTS_FILE")
    if not path:
        raise ConfigError(
            "no projects file: pass --projects-file (or --config) or set DEVSTATS_PROJECTS_FILE"
        )
    return load_projects(path)


def project_from(args: argparse.Namespace) -> Project:
    projects = projects_from(args)
    for project in projects:
        if project.name == args.project:
            return project
    raise ConfigError(
        f"--project {args.project}: not in the projects file (it has {', '.join(p.name for p in projects)})"
    )


def dsn_from(args: argparse.Namespace) -> str:
    return args.dsn if args.dsn is not None else default_dsn()


def pipeline_config(args: argparse.Namespace) -> PipelineConfig:
    root = args.cache_dir or data_dir()
    try:
        archive = Archive(
            args.archive_url or os.environ.get("DEVSTATS_ARCHIVE_URL") or ARCHIVE_URL,
            cache_dir=root / "gharchive",
        )
        tokens = load_tokens(None, args.github_tokens_file)
    except (ArchiveError, GitHubApiError) as error:
        raise ConfigError(str(error)) from None
    users = args.github_users or _env_path("DEVSTATS_GITHUB_USERS")
    return PipelineConfig(
        dsn=dsn_from(args),
        archive=archive,
        git_cache_dir=root / "git",
        git_base=args.git_base or os.environ.get("DEVSTATS_GIT_BASE") or DEFAULT_GIT_BASE,
        skip_git=args.skip_git,
        tokens=tokens,
        api_base_url=args.github_api_url or os.environ.get("GITHUB_API_URL") or API_URL,
        api_window=timedelta(hours=args.api_window_hours),
        api_max_wait=args.api_max_wait,
        metrics_dir=args.metrics_dir,
        users_file=users,
        companies_file=args.companies or _env_path("DEVSTATS_COMPANIES"),
        end=parse_hour(args.end, "--to") if args.end else None,
        progress=args.progress,
        ingest=args.ingest,
    )


def check_metrics_files(config: PipelineConfig, project: Project) -> None:
    """The project's metric and tag files load, before the run changes anything."""
    directory = config.metrics_dir or BUNDLED_DIR
    try:
        load_metrics(directory, project.name)
        load_tags(directory, project.name)
    except MetricsConfigError as error:
        raise ConfigError(f"--metrics-dir: {error}") from None


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value) if value else None


def finish_report(report: RunReport, done: str) -> int:
    """Prints a provision or sync report and returns the command's exit code."""
    for line in report.lines:
        print(line)
    if report.problems:
        print(
            f"{report.project}: {len(report.problems)} step(s) failed; the next run retries them",
            file=sys.stderr,
        )
        return exit_codes.FAILED
    print(f"{report.project}: {done}")
    return 0
