"""The projects file: the inventory's list form, every DevStats projects.yaml feature, and every rule.

DEVSTATS_CASES loads one project of a DevStats-format file per case and compares the whole Project
(every field but ``extra``, which is compared apart). COMMAND_LINE_CASES shows which repositories a
DevStats command_line and env take. BAD_FILES are the files preflight also refuses (and the other
broken ones): each must give exit code 2 and one line naming the file, the project and the field.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from devstats_sync.cli import main
from devstats_sync.devstats_projects import python_regexp
from devstats_sync.filters import ProjectFilter
from devstats_sync.projects_config import (
    ConfigError,
    Project,
    load_projects,
    parse_hour,
    project_dsn,
    select_projects,
)
from psycopg2.extensions import parse_dsn

NOW = datetime(2026, 7, 1, 12)


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
        ),
        now=NOW,
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


# ---- DevStats' projects.yaml, one feature per case ----

# Every case is one project of a DevStats-format file, written as DevStats writes it; these lines
# come first unless the case gives the field itself.
BASE_LINES = {"command_line": "command_line: [acme]", "start_date": "start_date: 2015-01-01T00:00:00Z"}
BASE = Project(name="proj", db="proj", start_date=datetime(2015, 1, 1), title="proj", orgs=("acme",))


@dataclass
class DevStatsCase:
    id: str
    lines: str
    expected: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    key: str = "proj"


DEVSTATS_CASES = [
    DevStatsCase("name-is-the-title", "name: Kubernetes", {"title": "Kubernetes"}),
    DevStatsCase(
        "start-date-timestamp-in-utc",
        "start_date: 2015-12-07T18:30:00+02:00",
        {"start_date": datetime(2015, 12, 7, 16)},
    ),
    DevStatsCase("start-date-yaml-date", "start_date: 2014-06-01", {"start_date": datetime(2014, 6, 1)}),
    DevStatsCase(
        "start-date-hour-string", "start_date: '2014-06-01 13'", {"start_date": datetime(2014, 6, 1, 13)}
    ),
    DevStatsCase("psql-db", "psql_db: gha", {"db": "gha"}),
    DevStatsCase(
        "db-defaults-to-the-id",
        "",
        {"name": "cert-manager", "db": "cert_manager", "title": "cert-manager"},
        key="cert-manager",
    ),
    DevStatsCase("command-line-orgs", "command_line: ['acme, beta,acme']", {"orgs": ("acme", "beta")}),
    DevStatsCase(
        "command-line-orgs-folded-over-lines",
        'command_line:\n  - "acme,\\\n     beta"',
        {"orgs": ("acme", "beta")},
    ),
    DevStatsCase(
        "command-line-owner-slash-name-is-a-repository",
        "command_line: ['kumahq,Kong/kumacut,Kong/docker-kuma']",
        {"orgs": ("kumahq",), "repos": ("Kong/kumacut", "Kong/docker-kuma")},
    ),
    DevStatsCase(
        "command-line-grandfathered-logins",
        "command_line: ['foo-,0----0,-Jerry-/x']",
        {"orgs": ("foo-", "0----0"), "repos": ("-Jerry-/x",)},
    ),
    DevStatsCase(
        "command-line-repository-names-narrow-the-orgs",
        "command_line: [opencontainers, 'runc,image-spec']",
        {"orgs": (), "repos": ("opencontainers/runc", "opencontainers/image-spec")},
    ),
    DevStatsCase(
        "command-line-repository-names-under-any-owner",
        "command_line: ['', 'linux,git']",
        {"orgs": (), "regexp": "^[^/]+/(?:linux|git)$"},
    ),
    DevStatsCase(
        "command-line-regexp",
        "command_line:\n  - 'regexp:(?i)^(fluent|fluent-plugins-nursery\\/.*fluent.*)$'",
        {"orgs": (), "regexp": "(?i)^(fluent|fluent-plugins-nursery\\/.*fluent.*)$"},
    ),
    DevStatsCase(
        "env-exclude-repos",
        'env:\n  GHA2DB_EXCLUDE_REPOS: "acme/old, acme/older,\\\n    acme/old"',
        {"exclude_repos": ("acme/old", "acme/older")},
        extra={"env": {"GHA2DB_EXCLUDE_REPOS": "acme/old, acme/older,acme/old"}},
    ),
    DevStatsCase(
        "env-exclude-repos-and-exclude-repos-together",
        "env: {GHA2DB_EXCLUDE_REPOS: acme/old}\nexclude_repos: [acme/x, acme/old]",
        {"exclude_repos": ("acme/x", "acme/old")},
        extra={"env": {"GHA2DB_EXCLUDE_REPOS": "acme/old"}},
    ),
    DevStatsCase(
        "env-other-variables-noted",
        "env:\n  GHA2DB_ACTORS_FILTER: 1\n  GHA2DB_ACTORS_ALLOW: someone",
        {},
        extra={"env": {"GHA2DB_ACTORS_FILTER": 1, "GHA2DB_ACTORS_ALLOW": "someone"}},
        notes=(
            "field 'env': GHA2DB_ACTORS_ALLOW is not applied by devstats-sync; ignored",
            "field 'env': GHA2DB_ACTORS_FILTER is not applied by devstats-sync; ignored",
        ),
    ),
    DevStatsCase("disabled", "disabled: true", {"disabled": True}),
    DevStatsCase(
        "empty-command-line-of-a-disabled-project-takes-nothing",
        "command_line: ['']\ndisabled: true",
        {"orgs": (), "disabled": True},
        notes=("field 'command_line': empty; the disabled project takes no repository",),
    ),
    DevStatsCase("main-repo", "main_repo: acme/app", {"main_repo": "acme/app"}),
    DevStatsCase("main-repo-empty-is-none", "main_repo: ''", {"main_repo": None}),
    DevStatsCase("annotation-regexp", "annotation_regexp: '^v\\d+$'", {"annotation_regexp": "^v\\d+$"}),
    DevStatsCase(
        "annotation-regexp-in-go-syntax",
        "annotation_regexp: '^v?\\d+(-[\\w-+\\d.]+)?$'",
        {"annotation_regexp": "^v?\\d+(-[\\w\\-+\\d.]+)?$"},
    ),
    DevStatsCase(
        "annotation-regexp-empty-takes-every-tag", "annotation_regexp: ''", {"annotation_regexp": ""}
    ),
    DevStatsCase(
        "files-skip-pattern",
        "files_skip_pattern: '(^|/)_?(vendor|Godeps|_workspace)/'",
        {"files_skip_pattern": "(^|/)_?(vendor|Godeps|_workspace)/"},
    ),
    DevStatsCase(
        "files-skip-pattern-empty-skips-nothing", "files_skip_pattern: ''", {"files_skip_pattern": ""}
    ),
    DevStatsCase("project-scale", "project_scale: 3.0", {"project_scale": 3.0}),
    DevStatsCase("project-scale-whole-number", "project_scale: 2", {"project_scale": 2.0}),
    DevStatsCase(
        "cncf-milestones",
        "join_date: 2016-03-10T00:00:00Z\nincubating_date: 2016-03-11T00:00:00Z\n"
        "graduated_date: 2018-03-06T12:00:00Z\narchived_date: 2022-01-31T00:00:00Z",
        {
            "join_date": datetime(2016, 3, 10),
            "incubating_date": datetime(2016, 3, 11),
            "graduated_date": datetime(2018, 3, 6, 12),
            "archived_date": datetime(2022, 1, 31),
        },
    ),
    DevStatsCase("milestone-null", "join_date: null", {"join_date": None}),
    DevStatsCase(
        "fields-kept-without-effect",
        "order: 7\nstatus: Graduated\nshared_db: allprj\nsync_probabilty: 0.8",
        {},
        extra={"order": 7, "status": "Graduated", "shared_db": "allprj", "sync_probabilty": 0.8},
    ),
    DevStatsCase(
        "unknown-field-kept-with-a-note",
        "colour: red",
        {},
        extra={"colour": "red"},
        notes=("field 'colour': not a DevStats or devstats-sync field; kept and ignored",),
    ),
]


@pytest.mark.parametrize("case", DEVSTATS_CASES, ids=[c.id for c in DEVSTATS_CASES])
def test_devstats_projects_yaml_feature(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, case: DevStatsCase
) -> None:
    given = set(yaml.safe_load(case.lines) or {})
    entry = [line for name, line in BASE_LINES.items() if name not in given] + case.lines.splitlines()
    body = f"---\nprojects:\n  {case.key}:\n" + "".join(f"    {line}\n" for line in entry)
    path = write(tmp_path, body)
    with caplog.at_level(logging.WARNING, logger="devstats_sync.projects_config"):
        (project,) = load_projects(path, now=NOW)
    assert project == replace(BASE, **case.expected)
    assert project.extra == case.extra
    where = f"note: {path}, project '{case.key}' (#1), "
    assert [r.getMessage() for r in caplog.records] == [where + note for note in case.notes]


def test_the_list_form_refuses_devstats_names_naming_its_own(tmp_path: Path) -> None:
    """The list form is the inventory's (data/project_fields.yaml): DevStats' names belong to its form."""
    path = write(
        tmp_path,
        "projects:\n  - {name: prometheus, psql_db: prom, full_name: Prometheus, "
        "command_line: [prometheus], start_date: '2015-01-01'}\n",
    )
    with pytest.raises(ConfigError) as error:
        load_projects(path, now=NOW)
    assert (
        "unknown field(s) command_line (DevStats' name; here: orgs, repos or regexp), "
        "full_name, psql_db (DevStats' name; here: db); known: name, title,"
    ) in str(error.value)


# ---- which repositories a DevStats project takes (gha2db's RepoHit) ----

COMMAND_LINE_CASES = [
    (
        ["kubernetes,kubernetes-sigs"],
        {},
        {
            "kubernetes/kubernetes": True,
            "kubernetes-sigs/kind": True,
            "kubernetes-client/go": False,
            "Kubernetes/kubernetes": False,
        },
    ),
    (
        ["helm,kubernetes/charts"],
        {},
        {"helm/helm": True, "kubernetes/charts": True, "kubernetes/kubernetes": False},
    ),
    (
        ["opencontainers", "runc,image-spec"],
        {},
        {
            "opencontainers/runc": True,
            "opencontainers/image-spec": True,
            "opencontainers/selinux": False,
            "other/runc": False,
        },
    ),
    (["", "linux"], {}, {"torvalds/linux": True, "someone/linux": True, "torvalds/linux2": False}),
    # The regexp is searched in owner/name and in the owner alone: ^fluent$ takes all of fluent/*.
    (
        ["regexp:(?i)^(fluent|grafana\\/loki\\/|.+\\/fluentd?-plugin-.+)$"],
        {},
        {
            "fluent/fluentd": True,
            "Fluent/fluent-bit": True,
            "x/fluent-plugin-s3": True,
            "grafana/loki": False,
            "fluentx/a": False,
        },
    ),
    (["regexp:(?i)^(spiffe\\/spire.*)$"], {}, {"spiffe/spire": True, "spiffe/spiffe": False}),
    (
        ["kubernetes"],
        {"GHA2DB_EXCLUDE_REPOS": "kubernetes/helm,kubernetes/charts"},
        {"kubernetes/kubernetes": True, "kubernetes/helm": False, "kubernetes/charts": False},
    ),
]


@pytest.mark.parametrize(("command_line", "env", "taken"), COMMAND_LINE_CASES)
def test_command_line_takes_what_gha2db_takes(
    tmp_path: Path, command_line: list[str], env: dict[str, str], taken: dict[str, bool]
) -> None:
    entry = {"command_line": command_line, "start_date": "2015-01-01", **({"env": env} if env else {})}
    (project,) = load_projects(write(tmp_path, yaml.safe_dump({"projects": {"p": entry}})), now=NOW)
    matches = ProjectFilter(project).matches
    assert {name: matches(name) for name in taken} == taken


# ---- bad files: exit code 2, one line naming the file, the project and the field ----

BAD_FILES = [
    # What preflight refuses (issue 15).
    (
        "empty-regexp",
        "projects:\n  - {name: x, regexp: '', start_date: '2020-01-01'}",
        "project 'x' (#1), field 'regexp': is empty",
    ),
    (
        "empty-command-line-regexp",
        "projects:\n  x: {command_line: ['regexp:'], start_date: 2020-01-01}",
        "project 'x' (#1), field 'command_line' (regexp): is empty",
    ),
    (
        "reserved-db-postgres",
        "projects:\n  - {name: x, orgs: [a], db: postgres, start_date: '2020-01-01'}",
        "project 'x' (#1), field 'db': 'postgres' is reserved",
    ),
    (
        "reserved-psql-db-template1",
        "projects:\n  x: {command_line: [a], psql_db: template1, start_date: 2020-01-01}",
        "project 'x' (#1), field 'psql_db': 'template1' is reserved",
    ),
    (
        "reserved-db-devstats",
        "projects:\n  - {name: x, orgs: [a], db: devstats, start_date: '2020-01-01'}",
        "project 'x' (#1), field 'db': 'devstats' is reserved",
    ),
    (
        "reserved-db-taken-from-the-name",
        "projects:\n  - {name: template0, orgs: [a], start_date: '2020-01-01'}",
        "project 'template0' (#1), field 'db': the default taken from the name: 'template0' is reserved",
    ),
    (
        "start-date-in-the-future",
        "projects:\n  - {name: x, orgs: [a], start_date: '2999-01-01'}",
        "project 'x' (#1), field 'start_date': '2999-01-01' is in the future (now is 2026-07-01 12 UTC)",
    ),
    (
        "start-timestamp-in-the-future",
        "projects:\n  x: {command_line: [a], start_date: 2999-01-01T00:00:00Z}",
        "project 'x' (#1), field 'start_date':",
    ),
    (
        "project-not-a-mapping",
        "projects: {name: a}",
        "project 'name': expected a mapping of project fields, got 'a'",
    ),
    (
        "list-entry-not-a-mapping",
        "projects: [a]",
        "project #1: expected a mapping of project fields, got 'a'",
    ),
    # The others.
    ("empty-projects", "projects: []", "'projects' must be a non-empty list or mapping"),
    ("no-projects-key", "foundation: x", "expected a mapping with a 'projects' key"),
    (
        "not-yaml",
        "projects: [",
        "the projects file is not valid YAML: line 1, column 12: expected the node content",
    ),
    (
        "no-repositories",
        "projects:\n  - name: x\n    start_date: '2020-01-01'",
        "project 'x' (#1), field 'orgs': one of 'orgs', 'repos' or 'regexp' is required",
    ),
    (
        "empty-command-line-of-an-active-project",
        "projects:\n  x: {command_line: [''], start_date: 2020-01-01}",
        "project 'x' (#1), field 'command_line': one of",
    ),
    (
        "no-start-date",
        "projects:\n  - {name: x, orgs: [a]}",
        "project 'x' (#1), field 'start_date': required",
    ),
    (
        "bad-start-date",
        "projects:\n  - {name: x, orgs: [a], start_date: '2020-13-01'}",
        "project 'x' (#1), field 'start_date': '2020-13-01' is not a date",
    ),
    (
        "start-before-gh-archive",
        "projects:\n  - {name: x, orgs: [a], start_date: '2010-01-01'}",
        "field 'start_date': '2010-01-01' is before 2011-02-12, GH Archive's first hour",
    ),
    (
        "repo-without-owner",
        "projects:\n  - {name: x, repos: [noslash], start_date: '2020-01-01'}",
        "field 'repos': 'noslash' is not an owner/name",
    ),
    (
        "repo-twice",
        "projects:\n  - {name: x, repos: [a/b, a/b], start_date: '2020-01-01'}",
        "field 'repos': 'a/b' listed more than once",
    ),
    (
        "bad-regexp",
        "projects:\n  - {name: x, regexp: '(', start_date: '2020-01-01'}",
        "field 'regexp': '(' is not a regular expression",
    ),
    (
        "unknown-field-in-the-list-form",
        "projects:\n  - {name: x, orgs: [a], colour: red, start_date: '2020-01-01'}",
        "project 'x' (#1): unknown field(s) colour",
    ),
    (
        "bad-name",
        "projects:\n  - {name: Bad_Name, orgs: [a], start_date: '2020-01-01'}",
        "project 'Bad_Name' (#1), field 'name'",
    ),
    (
        "bad-devstats-id",
        "projects:\n  Kubernetes: {command_line: [a], start_date: 2020-01-01}",
        "project 'Kubernetes' (#1), field 'name'",
    ),
    (
        "duplicate-db",
        "projects:\n  - {name: a, orgs: [a], start_date: '2020-01-01', db: x}\n"
        "  - {name: b, orgs: [b], start_date: '2020-01-01', db: x}",
        "db 'x' is used by more than one project",
    ),
    (
        "command-line-not-a-list",
        "projects:\n  x: {command_line: a, start_date: 2020-01-01}",
        "field 'command_line': 'a' is not DevStats' command_line",
    ),
    (
        "command-line-and-orgs",
        "projects:\n  x: {command_line: [a], orgs: [b], start_date: 2020-01-01}",
        "field 'command_line': give either command_line or orgs, not both",
    ),
    (
        "command-line-bad-org",
        "projects:\n  x: {command_line: ['a b'], start_date: 2020-01-01}",
        "field 'command_line' (orgs): 'a b' is not a GitHub org login",
    ),
    (
        "command-line-org-with-underscore",
        "projects:\n  x: {command_line: ['kube_rnetes'], start_date: 2020-01-01}",
        "field 'command_line' (orgs): 'kube_rnetes' is not a GitHub org login",
    ),
    (
        "command-line-org-of-40-characters",
        f"projects:\n  x: {{command_line: ['{'a' * 40}'], start_date: 2020-01-01}}",
        "is not a GitHub org login",
    ),
    (
        "env-not-a-mapping",
        "projects:\n  x: {command_line: [a], env: [a], start_date: 2020-01-01}",
        "field 'env': ['a'] is not a mapping",
    ),
    (
        "env-bad-excluded-repo",
        "projects:\n  x: {command_line: [a], env: {GHA2DB_EXCLUDE_REPOS: 'a'}, start_date: 2020-01-01}",
        "field 'env': GHA2DB_EXCLUDE_REPOS: 'a' is not an owner/name",
    ),
    (
        "disabled-not-a-boolean",
        "projects:\n  x: {command_line: [a], disabled: 'yes', start_date: 2020-01-01}",
        "field 'disabled': 'yes' is not a boolean",
    ),
    (
        "project-scale-negative",
        "projects:\n  x: {command_line: [a], project_scale: -1, start_date: 2020-01-01}",
        "field 'project_scale': -1 is not a number of at least 0",
    ),
    (
        "bad-milestone",
        "projects:\n  x: {command_line: [a], join_date: someday, start_date: 2020-01-01}",
        "field 'join_date': 'someday' is not a date",
    ),
    (
        "empty-name",
        "projects:\n  x: {command_line: [a], name: '', start_date: 2020-01-01}",
        "field 'name': '' is not a non-empty string",
    ),
]


@pytest.mark.parametrize(("body", "message"), [pytest.param(b, m, id=i) for i, b, m in BAD_FILES])
def test_bad_projects_file_is_exit_2_and_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, message: str
) -> None:
    path = write(tmp_path, body)
    with pytest.raises(ConfigError) as error:
        load_projects(path, now=NOW)
    assert message in str(error.value)
    assert str(error.value).startswith(str(path))
    # The same through the commands (the real clock: the future case is far enough ahead).
    for argv in (
        ["ingest", "--from", "2024-01-01"],
        ["sync", "--project", "x", "--dsn", "host=/nonexistent"],
    ):
        assert main([argv[0], "--projects-file", str(path), *argv[1:]]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"devstats-sync: {path}") and err.endswith("\n"), err
        assert len(err.splitlines()) == 1, err
        assert message.partition(" (now is")[0] in err


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"missing\.yaml: cannot read the projects file"):
        load_projects(tmp_path / "missing.yaml")
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"projects:\n  - {name: caf\xe9}\n")
    with pytest.raises(ConfigError, match=r"latin1\.yaml: the projects file is not UTF-8 text \(byte 24\)"):
        load_projects(path)


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


@pytest.mark.parametrize(
    ("go", "python"),
    [
        ("^v?\\d+\\.\\d+\\.\\d+(-[\\w-+\\d.]+)?$", "^v?\\d+\\.\\d+\\.\\d+(-[\\w\\-+\\d.]+)?$"),
        ("[\\d-]", "[\\d-]"),  # a dash closing the class stays
        ("\\w-x", "\\w-x"),  # outside a class nothing changes
        ("[]\\w-x]", "[]\\w\\-x]"),  # a leading ] is a literal, the class goes on
        ("(?i)^(fluent|a\\/b)$", "(?i)^(fluent|a\\/b)$"),
    ],
)
def test_go_regexps_in_python_syntax(go: str, python: str) -> None:
    assert python_regexp(go) == python
