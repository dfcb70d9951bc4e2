from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from devstats_sync.projects_config import ConfigError, load_projects, parse_hour, project_dsn, select_projects
from psycopg2.extensions import parse_dsn


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "projects.yaml"
    path.write_text(text)
    return path


def test_inventory_style_list(tmp_path: Path) -> None:
    projects = load_projects(
        write(
            tmp_path,
            """
projects:
  - name: kubernetes
    title: Kubernetes
    db: gha
    orgs: [kubernetes, kubernetes-sigs]
    exclude_repos: [kubernetes/old]
    start_date: "2014-06-01"
    main_repo: kubernetes/kubernetes
    schedule: "20 * * * *"
  - name: cert-manager
    repos: [cert-manager/cert-manager]
    start_date: "2016-01-01 10"
""",
        )
    )
    k8s, cm = projects
    assert (k8s.db, k8s.title, k8s.orgs, k8s.exclude_repos) == (
        "gha",
        "Kubernetes",
        ("kubernetes", "kubernetes-sigs"),
        ("kubernetes/old",),
    )
    assert k8s.start_date == datetime(2014, 6, 1)
    assert k8s.extra == {"schedule": "20 * * * *"}
    assert cm.db == "cert_manager"
    assert cm.start_date == datetime(2016, 1, 1, 10)


def test_devstats_style_mapping_and_command_line(tmp_path: Path) -> None:
    projects = load_projects(
        write(
            tmp_path,
            """
projects:
  prometheus:
    psql_db: prometheus
    full_name: Prometheus
    command_line: ["prometheus"]
    start_date: "2015-01-01"
  tuf:
    command_line: ["regexp:^theupdateframework/"]
    start_date: "2015-01-01"
""",
        )
    )
    assert projects[0].orgs == ("prometheus",)
    assert projects[0].title == "Prometheus"
    assert projects[1].regexp == "^theupdateframework/"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("projects: []", "non-empty"),
        (
            "projects:\n  - name: x\n    start_date: '2020-01-01'",
            "one of 'orgs', 'repos' or 'regexp' is required",
        ),
        (
            "projects:\n  - name: x\n    orgs: [a]\n    start_date: '2020-13-01'",
            "project 'x' (#1), field 'start_date'",
        ),
        (
            "projects:\n  - name: x\n    orgs: [a]\n    start_date: '2010-01-01'",
            "before GH Archive's first hour",
        ),
        (
            "projects:\n  - name: x\n    repos: [noslash]\n    start_date: '2020-01-01'",
            "'noslash' is not an owner/name",
        ),
        (
            "projects:\n  - name: x\n    regexp: '('\n    start_date: '2020-01-01'",
            "is not a regular expression",
        ),
        (
            "projects:\n  - name: x\n    orgs: [a]\n    colour: red\n    start_date: '2020-01-01'",
            "unknown field(s) colour",
        ),
        ("projects:\n  - name: Bad_Name\n    orgs: [a]\n    start_date: '2020-01-01'", "field 'name'"),
        (
            "projects:\n  - {name: a, orgs: [a], start_date: '2020-01-01', db: x}\n"
            "  - {name: b, orgs: [b], start_date: '2020-01-01', db: x}",
            "db 'x' is used by more than one project",
        ),
        ("projects: [", "not valid YAML"),
    ],
)
def test_bad_projects_files_say_what_and_where(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_projects(write(tmp_path, body))
    assert message in str(error.value)


def test_select_projects(tmp_path: Path) -> None:
    projects = load_projects(
        write(
            tmp_path,
            "projects:\n  - {name: a, orgs: [a], start_date: '2020-01-01'}\n"
            "  - {name: b, orgs: [b], start_date: '2020-01-01', archived: true}\n",
        )
    )
    assert [p.name for p in select_projects(projects, None)] == ["a"]
    assert [p.name for p in select_projects(projects, ["b"])] == ["b"]
    with pytest.raises(ConfigError, match="unknown project"):
        select_projects(projects, ["c"])


def test_project_dsn_substitutes_the_database() -> None:
    assert parse_dsn(project_dsn("host=db port=5432 dbname=postgres", "gha")) == {
        "host": "db",
        "port": "5432",
        "dbname": "gha",
    }
    assert project_dsn("postgresql://u@db:5432/{db}", "gha") == "postgresql://u@db:5432/gha"
    assert parse_dsn(project_dsn("postgresql://u@db:5432/postgres", "gha"))["dbname"] == "gha"
    assert project_dsn("", "gha") == "dbname=gha"


def test_parse_hour() -> None:
    assert parse_hour("2024-01-02T05") == datetime(2024, 1, 2, 5)
    assert parse_hour("2024-01-02") == datetime(2024, 1, 2)
    with pytest.raises(ConfigError, match="--from"):
        parse_hour("yesterday", "--from")
