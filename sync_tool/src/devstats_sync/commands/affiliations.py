"""``devstats-sync affiliations``: import cncf/gitdm affiliations into one or all projects."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from devstats_sync import exit_codes
from devstats_sync.affiliations import AffiliationsError, import_affiliations
from devstats_sync.gitdm import DEFAULT_REF, DEFAULT_USERS_PATH, GitdmError, gitdm_files
from devstats_sync.ingest import connect_project
from devstats_sync.locking import ProjectBusyError, ProjectLock
from devstats_sync.projects_config import ConfigError, select_projects
from devstats_sync.run_options import add_projects_and_dsn, data_dir, dsn_from, projects_from

NAME = "affiliations"
HELP = "import github_users.json and companies.yaml (cncf/gitdm format); a file already imported is a no-op"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_projects_and_dsn(parser)
    parser.add_argument(
        "--project",
        action="append",
        dest="projects",
        metavar="NAME",
        help="project to update (repeatable; default: every active project)",
    )
    parser.add_argument(
        "--github-users", type=Path, default=None, help="github_users.json (default: $DEVSTATS_GITHUB_USERS)"
    )
    parser.add_argument(
        "--companies", type=Path, default=None, help="companies.yaml (default: $DEVSTATS_COMPANIES)"
    )
    parser.add_argument("--force", action="store_true", help="import even when the same files were imported")
    gitdm = parser.add_argument_group("files from a git repository (cncf/gitdm or a fork), instead of paths")
    gitdm.add_argument(
        "--gitdm-url", default=None, help="repository URL, e.g. https://github.com/cncf/gitdm.git"
    )
    gitdm.add_argument(
        "--gitdm-ref", default=DEFAULT_REF, help=f"branch, tag or commit (default: {DEFAULT_REF})"
    )
    gitdm.add_argument(
        "--gitdm-users-path",
        default=DEFAULT_USERS_PATH,
        help=f"github_users.json in the repository (default: {DEFAULT_USERS_PATH})",
    )
    gitdm.add_argument("--gitdm-companies-path", default=None, help="companies.yaml in the repository")
    gitdm.add_argument(
        "--gitdm-dir",
        type=Path,
        default=None,
        help="where the checkout is kept between runs (default: $DEVSTATS_DATA_DIR/gitdm)",
    )


def _files(args: argparse.Namespace) -> tuple[Path | None, Path | None]:
    """github_users.json and companies.yaml: from the repository, the options or the environment."""
    if args.gitdm_url:
        if args.github_users or args.companies:
            raise ConfigError(
                "--gitdm-url takes the files from the repository: leave out --github-users/--companies"
            )
        try:
            files = gitdm_files(
                args.gitdm_url,
                args.gitdm_ref,
                args.gitdm_dir or data_dir() / "gitdm",
                args.gitdm_users_path,
                args.gitdm_companies_path,
            )
        except GitdmError as error:
            if error.exit_code == exit_codes.CONFIG:
                raise ConfigError(str(error)) from None
            raise
        print(f"affiliations: {args.gitdm_url} at {args.gitdm_ref!r}, commit {files.commit[:12]}")
        return files.users, files.companies
    users = args.github_users or (
        Path(os.environ["DEVSTATS_GITHUB_USERS"]) if os.environ.get("DEVSTATS_GITHUB_USERS") else None
    )
    companies = args.companies or (
        Path(os.environ["DEVSTATS_COMPANIES"]) if os.environ.get("DEVSTATS_COMPANIES") else None
    )
    return users, companies


def run(args: argparse.Namespace) -> int:
    try:
        users, companies = _files(args)
    except GitdmError as error:
        print(f"devstats-sync: {error}; the next run tries again", file=sys.stderr)
        return error.exit_code
    if users is None:
        print(
            "affiliations: no github_users.json configured (--gitdm-url, --github-users or "
            "$DEVSTATS_GITHUB_USERS); nothing to do"
        )
        return 0
    projects = select_projects(projects_from(args), args.projects)
    for project in projects:
        conn = connect_project(dsn_from(args), project)
        try:
            with ProjectLock(conn, project.name, "affiliations"):
                result = import_affiliations(conn, users, companies, force=args.force)
            print(f"{project.name}: {result.describe()}")
        except ProjectBusyError as busy:
            print(f"devstats-sync: {busy}; skipped", file=sys.stderr)
        except AffiliationsError as error:
            raise ConfigError(str(error)) from None
        finally:
            conn.close()
    return 0
