"""``devstats-sync affiliations``: import cncf/gitdm affiliations into one or all projects."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from devstats_sync.affiliations import AffiliationsError, import_affiliations
from devstats_sync.ingest import connect_project
from devstats_sync.locking import ProjectBusyError, ProjectLock
from devstats_sync.projects_config import ConfigError, select_projects
from devstats_sync.run_options import add_projects_and_dsn, dsn_from, projects_from

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


def run(args: argparse.Namespace) -> int:
    users = args.github_users or (
        Path(os.environ["DEVSTATS_GITHUB_USERS"]) if os.environ.get("DEVSTATS_GITHUB_USERS") else None
    )
    companies = args.companies or (
        Path(os.environ["DEVSTATS_COMPANIES"]) if os.environ.get("DEVSTATS_COMPANIES") else None
    )
    if users is None:
        print(
            "affiliations: no github_users.json configured (--github-users or $DEVSTATS_GITHUB_USERS); "
            "nothing to do"
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
