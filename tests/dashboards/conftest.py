"""A project database filled by the real pipeline: generated GH Archive hours, affiliations, provision
and an hourly sync, on a PostgreSQL this tier starts (and stops) itself."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from devstats_sync.archive import Archive, hour_file_name
from devstats_sync.embedded_postgres import EmbeddedPostgres
from devstats_sync.pipeline import PipelineConfig, provision, sync
from devstats_sync.projects_config import load_projects, project_dsn
from devstats_sync.sample_data import GeneratorConfig, write_hours

# The generator opens every issue at 2025-01-02 03:04:05: hours around it give issues opened and
# answered in the same week, month, quarter and year.
H0 = datetime(2025, 1, 1)
# The dashboards' time range starts with the earliest bucket of the data: the week of 2024-12-30.
FIRST_BUCKET = datetime(2024, 12, 30)
HOURS = 48
REPOS = ("kubernetes/kubernetes", "kubernetes/test-infra", "kubernetes/website")
COMPANIES = ("Acme Corp", "Globex", "Initech", "Umbrella")
COUNTRIES = ("pl", "us", "de", "in")


def _logins(archive: Path) -> list[str]:
    logins = set()
    for hour in range(HOURS):
        with gzip.open(archive / hour_file_name(H0 + timedelta(hours=hour)), "rt") as handle:
            for line in handle:
                event = json.loads(line)
                if event["repo"]["name"] in REPOS:
                    logins.add(event["actor"]["login"])
    return sorted(logins)


def _users_file(path: Path, logins: list[str]) -> Path:
    """cncf/gitdm's github_users.json: a company and a country for most of the project's contributors."""
    users = [
        {
            "login": login,
            "email": f"{login}!example.org",
            "affiliation": COMPANIES[index % len(COMPANIES)],
            "country_id": COUNTRIES[index % len(COUNTRIES)],
            "source": "config",
        }
        for index, login in enumerate(logins)
        if index % 5
    ]
    path.write_text(json.dumps(users))
    return path


@pytest.fixture(scope="session")
def project_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("dashboards-db")
    archive = root / "archive"
    end = H0 + timedelta(hours=HOURS)
    write_hours(
        archive,
        H0,
        end,
        GeneratorConfig(seed=11, events_per_hour=250, focus_repos=REPOS, focus_share=0.6, users=400),
    )
    projects_file = root / "projects.yaml"
    projects_file.write_text(
        "projects:\n  - name: kubernetes\n    db: dashboards_k8s\n    orgs: [kubernetes]\n"
        f"    start_date: '{H0:%Y-%m-%d}'\n    main_repo: kubernetes/kubernetes\n"
    )
    (project,) = load_projects(projects_file)
    with EmbeddedPostgres() as server:
        config = PipelineConfig(
            dsn=server.dsn(),
            archive=Archive(str(archive), cache_dir=root / "cache"),
            git_cache_dir=root / "git",
            skip_git=True,
            users_file=_users_file(root / "github_users.json", _logins(archive)),
            end=end - timedelta(hours=1),
            now=end - timedelta(hours=1),
            progress=False,
        )
        provisioned = provision(config, project)
        assert not provisioned.problems, provisioned.problems
        config.end = config.now = end
        synced = sync(config, project)
        assert not synced.problems, synced.problems
        conn = psycopg2.connect(project_dsn(server.dsn(), project.db))
        conn.set_session(readonly=True, autocommit=True)
        try:
            yield {"conn": conn, "start": FIRST_BUCKET, "end": end}
        finally:
            conn.close()
