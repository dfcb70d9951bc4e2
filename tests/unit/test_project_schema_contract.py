"""One project schema: preflight's inventory model and the sync tool's list form take the same fields by
the same rules, because both read the sync tool's data/project_fields.yaml.

CASES is one table of project fields, valid and invalid values of every field. Each case goes through
both sides: the inventory model (a foundation with that one project) and devstats_sync.projects_config
(a list-form projects.yaml with it). They must agree on accepting or refusing it, name the same field when
they refuse, and, when both accept, the project the sync tool reads from the devstats role's rendering
of the model must equal the one it reads from the raw fields. The kubernetes-scope fields (schedule,
timezone, disk_size, resources) are checked by preflight only: the sync tool takes them by name and
ignores them, which the table checks too.
"""

from __future__ import annotations

import ast
import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from devstats_sync import projects_config
from devstats_sync.projects_config import ConfigError, Project, load_projects, project_fields

from plugins.filter.devstats_config import devstats_projects_config
from plugins.module_utils import inventory_foundations
from plugins.module_utils.inventory_model import validate_inventory
from plugins.module_utils.project_schema import SCHEMA_PATH, project_schema

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.datetime(2026, 7, 1, 12, tzinfo=datetime.UTC)
BASE: dict[str, Any] = {"name": "proj", "orgs": ["acme"], "start_date": "2015-01-01"}
# Stands for "leave the field out" in a case.
ABSENT = object()


@dataclass
class Case:
    id: str
    fields: dict[str, Any]
    # The field both sides name when they refuse; None: both accept.
    refused: str | None = None
    # Expected attributes of the sync tool's Project, when accepted.
    expected: dict[str, Any] = field(default_factory=dict)


def ok(case_id: str, expected: dict[str, Any] | None = None, **fields: Any) -> Case:
    return Case(case_id, fields, None, expected or {})


def bad(case_id: str, refused: str, **fields: Any) -> Case:
    return Case(case_id, fields, refused)


CASES = [
    ok("minimal", {"name": "proj", "db": "proj", "title": "proj", "project_scale": 1.0}),
    # name
    ok("name-39", {"db": "a" * 39}, name="a" * 39),
    bad("name-40", "name", name="a" * 40),
    bad("name-uppercase", "name", name="Kubernetes"),
    bad("name-underscore", "name", name="kube_rnetes"),
    bad("name-leading-hyphen", "name", name="-k8s"),
    bad("name-trailing-hyphen", "name", name="k8s-"),
    bad("name-dot", "name", name="k8s.io"),
    bad("name-number", "name", name=42),
    bad("name-missing", "name", name=ABSENT),
    ok("name-digit-first-with-db", {"db": "threescale"}, name="3scale", db="threescale"),
    bad("name-digit-first-default-db", "db", name="3scale"),
    ok("name-hyphen-default-db", {"db": "graphql_js"}, name="graphql-js"),
    # title
    ok("title", {"title": "Kubernetes"}, title="Kubernetes"),
    bad("title-empty", "title", title=""),
    bad("title-blank", "title", title="  "),
    bad("title-number", "title", title=5),
    bad("title-null", "title", title=None),
    # db
    ok("db", {"db": "gha"}, db="gha"),
    ok("db-underscore-first", {"db": "_x"}, db="_x"),
    ok("db-63", {"db": "a" * 63}, db="a" * 63),
    bad("db-64", "db", db="a" * 64),
    bad("db-uppercase", "db", db="Gha"),
    bad("db-hyphen", "db", db="graphql-js"),
    bad("db-digit-first", "db", db="3scale"),
    *(bad(f"db-reserved-{db}", "db", db=db) for db in ("postgres", "template0", "template1", "devstats")),
    bad("db-reserved-default-from-name", "db", name="template0"),
    bad("db-number", "db", db=5),
    # orgs
    ok("orgs", {"orgs": ("kubernetes", "kubernetes-sigs")}, orgs=["kubernetes", "kubernetes-sigs"]),
    ok("orgs-login-39", {"orgs": ("a" * 39,)}, orgs=["a" * 39]),
    bad("orgs-login-40", "orgs", orgs=["a" * 40]),
    ok("orgs-mixed-case-and-digits", {"orgs": ("OpenObservability", "A1")}, orgs=["OpenObservability", "A1"]),
    # Grandfathered logins: GitHub accounts from before 2013 keep these forms.
    ok("orgs-legacy-trailing-hyphen", {"orgs": ("foo-",)}, orgs=["foo-"]),
    ok("orgs-legacy-double-hyphen", {"orgs": ("0----0",)}, orgs=["0----0"]),
    ok("orgs-legacy-leading-hyphen", {"orgs": ("-Jerry-",)}, orgs=["-Jerry-"]),
    bad("orgs-only-hyphens", "orgs", orgs=["--"]),
    bad("orgs-underscore", "orgs", orgs=["kube_rnetes"]),
    bad("orgs-dot", "orgs", orgs=["kube.rnetes"]),
    bad("orgs-space", "orgs", orgs=["a b"]),
    bad("orgs-empty-login", "orgs", orgs=[""]),
    bad("orgs-slash", "orgs", orgs=["a/b"]),
    bad("orgs-twice", "orgs", orgs=["a", "a"]),
    bad("orgs-not-a-list", "orgs", orgs="kubernetes"),
    bad("orgs-null", "orgs", orgs=None),
    bad("orgs-number-item", "orgs", orgs=[7]),
    # repos
    ok("repos", {"orgs": (), "repos": ("kubernetes/kubernetes",)}, orgs=[], repos=["kubernetes/kubernetes"]),
    ok("repos-dots", {"repos": ("JamesNK/Newtonsoft.Json",)}, repos=["JamesNK/Newtonsoft.Json"]),
    ok("repos-underscore-name", {"repos": ("a/b_c",)}, repos=["a/b_c"]),
    ok("repos-name-100", {"repos": ("a/" + "x" * 100,)}, repos=["a/" + "x" * 100]),
    ok("repos-legacy-owner", {"repos": ("foo-/bar",)}, repos=["foo-/bar"]),
    bad("repos-name-101", "repos", repos=["a/" + "x" * 101]),
    bad("repos-dot", "repos", repos=["a/."]),
    bad("repos-dot-dot", "repos", repos=["a/.."]),
    bad("repos-owner-underscore", "repos", repos=["a_b/c"]),
    bad("repos-owner-dot", "repos", repos=["a.b/c"]),
    bad("repos-owner-40", "repos", repos=["a" * 40 + "/c"]),
    bad("repos-no-owner", "repos", repos=["noslash"]),
    bad("repos-empty-name", "repos", repos=["a/"]),
    bad("repos-three-parts", "repos", repos=["a/b/c"]),
    bad("repos-space", "repos", repos=["a/b c"]),
    bad("repos-twice", "repos", repos=["a/b", "a/b"]),
    bad("repos-null", "repos", repos=None),
    # regexp
    ok("regexp", {"orgs": (), "regexp": "^kubernetes/"}, orgs=[], regexp="^kubernetes/"),
    bad("regexp-empty", "regexp", regexp=""),
    bad("regexp-broken", "regexp", regexp="("),
    # Go's [\w-+] is DevStats' syntax, taken in its mapping form; the list form is Python's, as preflight.
    bad("regexp-go-syntax", "regexp", regexp="^v[\\w-+]$"),
    bad("regexp-number", "regexp", regexp=5),
    bad("no-repositories", "orgs", orgs=[]),
    bad("no-repositories-empty-lists", "orgs", orgs=[], repos=[]),
    # exclude_repos
    ok("exclude-repos", {"exclude_repos": ("acme/old",)}, exclude_repos=["acme/old"]),
    bad("exclude-repos-bad", "exclude_repos", exclude_repos=["acme"]),
    bad("exclude-repos-twice", "exclude_repos", exclude_repos=["a/b", "a/b"]),
    bad("exclude-repos-null", "exclude_repos", exclude_repos=None),
    # start_date
    ok("start-date-hour", {"start_date": datetime.datetime(2014, 6, 1, 13)}, start_date="2014-06-01 13"),
    ok(
        "start-date-yaml-date",
        {"start_date": datetime.datetime(2014, 6, 1)},
        start_date=datetime.date(2014, 6, 1),
    ),
    ok("start-date-first-hour", {"start_date": datetime.datetime(2011, 2, 12)}, start_date="2011-02-12 00"),
    ok("start-date-now", {"start_date": datetime.datetime(2026, 7, 1, 12)}, start_date="2026-07-01 12"),
    bad("start-date-before-gh-archive", "start_date", start_date="2011-02-11 23"),
    bad("start-date-future", "start_date", start_date="2026-07-01 13"),
    bad("start-date-hour-24", "start_date", start_date="2014-06-01 24"),
    bad("start-date-month-13", "start_date", start_date="2014-13-01"),
    bad("start-date-feb-30", "start_date", start_date="2014-02-30"),
    bad("start-date-one-digit-parts", "start_date", start_date="2014-6-1"),
    bad("start-date-t-hour", "start_date", start_date="2014-06-01T13"),
    bad("start-date-minutes", "start_date", start_date="2014-06-01 13:00"),
    bad("start-date-spaces", "start_date", start_date=" 2014-06-01"),
    bad(
        "start-date-yaml-timestamp",
        "start_date",
        start_date=datetime.datetime(2014, 6, 1, tzinfo=datetime.UTC),
    ),
    bad("start-date-number", "start_date", start_date=2014),
    bad("start-date-missing", "start_date", start_date=ABSENT),
    # main_repo
    ok("main-repo", {"main_repo": "kubernetes/kubernetes"}, main_repo="kubernetes/kubernetes"),
    ok("main-repo-empty-is-none", {"main_repo": None}, main_repo=""),
    bad("main-repo-not-a-repository", "main_repo", main_repo="kubernetes"),
    bad("main-repo-null", "main_repo", main_repo=None),
    # project_scale
    ok("project-scale", {"project_scale": 2.5}, project_scale=2.5),
    ok("project-scale-whole-number", {"project_scale": 2.0}, project_scale=2),
    ok("project-scale-zero", {"project_scale": 0.0}, project_scale=0),
    bad("project-scale-negative", "project_scale", project_scale=-1),
    bad("project-scale-string", "project_scale", project_scale="2"),
    bad("project-scale-boolean", "project_scale", project_scale=True),
    bad("project-scale-null", "project_scale", project_scale=None),
    # files_skip_pattern
    ok("files-skip-pattern", {"files_skip_pattern": "(^|/)vendor/"}, files_skip_pattern="(^|/)vendor/"),
    ok("files-skip-pattern-empty-skips-nothing", {"files_skip_pattern": ""}, files_skip_pattern=""),
    bad("files-skip-pattern-broken", "files_skip_pattern", files_skip_pattern="("),
    bad("files-skip-pattern-go-syntax", "files_skip_pattern", files_skip_pattern="[\\w-+]"),
    # booleans
    *(
        ok(f"{flag}-{value}", {flag: value}, **{flag: value})
        for flag in ("archived", "disabled")
        for value in (True, False)
    ),
    *(
        bad(f"{flag}-{value!r}", flag, **{flag: value})
        for flag in ("archived", "disabled")
        for value in ("true", "yes", 1, None)
    ),
    # kubernetes-scope fields: preflight's, the sync tool ignores them
    ok("schedule", schedule="20 */2 * * *"),
    ok("schedule-macro", schedule="@hourly"),
    bad("schedule-six-fields", "schedule", schedule="0 20 */2 * * *"),
    ok("timezone", timezone="Europe/Berlin"),
    bad("timezone-unknown", "timezone", timezone="Mars/Olympus"),
    ok("disk-size", disk_size="20Gi"),
    bad("disk-size-zero", "disk_size", disk_size="0"),
    ok("resources", resources={"requests": {"cpu": "500m"}}),
    bad("resources-unknown-key", "resources", resources={"wants": {"cpu": 1}}),
    # fields neither side knows, and DevStats' names for the list form's fields
    bad("unknown-field", "colour", colour="red"),
    bad("devstats-psql-db", "psql_db", psql_db="gha"),
    bad("full-name", "full_name", full_name="Kubernetes"),
    bad("devstats-command-line", "command_line", orgs=ABSENT, command_line=["kubernetes"]),
    bad("devstats-annotation-regexp", "annotation_regexp", annotation_regexp="^v"),
]


def project_of(case: Case) -> dict[str, Any]:
    merged = {**BASE, **case.fields}
    return {key: value for key, value in merged.items() if value is not ABSENT}


def inventory_side(projects: list[dict[str, Any]]) -> tuple[list[str], dict[str, Any] | None]:
    raw = {
        "ansible_connection": "local",
        "devstats_domain": "devstats.example.org",
        "devstats_projects": projects,
    }
    model = validate_inventory({"cncf": raw}, {"platform_target": "none"}, now=NOW)
    return model.errors, (model.foundations.get("cncf") if not model.errors else None)


def sync_side(tmp_path: Path, projects: list[dict[str, Any]], name: str = "projects.yaml") -> list[Project]:
    path = tmp_path / name
    path.write_text(yaml.safe_dump({"projects": projects}))
    return load_projects(path, now=NOW.replace(tzinfo=None))


def model_hour(start_date: str) -> datetime.datetime:
    """The hour of a start_date as preflight normalizes it: 'YYYY-MM-DD' or 'YYYY-MM-DD HH'."""
    return datetime.datetime.strptime(start_date, "%Y-%m-%d %H" if " " in start_date else "%Y-%m-%d")


def sync_field(error: ConfigError) -> str:
    """The field a sync tool error names: ``field 'x'`` or the first of ``unknown field(s) x, ...``."""
    text = str(error)
    match = re.search(r"field '(\w+)'", text) or re.search(r"unknown field\(s\) (\w+)", text)
    assert match, text
    return match.group(1)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_both_sides_agree(tmp_path: Path, case: Case) -> None:
    project = project_of(case)
    errors, foundation = inventory_side([project])
    kubernetes_only = set(project) & set(project_schema().names("kubernetes"))
    try:
        (direct,) = sync_side(tmp_path, [project])
        sync_error = None
    except ConfigError as error:
        sync_error = error
    if case.refused is None:
        assert errors == [] and sync_error is None, (errors, sync_error)
    elif case.refused in kubernetes_only:
        # Preflight checks it; the sync tool takes the field by name and ignores its value.
        assert [e for e in errors if f"field '{case.refused}'" in e], errors
        assert sync_error is None, sync_error
        assert direct.extra[case.refused] == project[case.refused]
        return
    else:
        assert sync_error is not None, f"the sync tool accepts what preflight refuses: {errors}"
        assert errors, f"preflight accepts what the sync tool refuses: {sync_error}"
        assert sync_field(sync_error) == case.refused, sync_error
        assert [e for e in errors if f"field '{case.refused}'" in e], errors
        return
    assert foundation is not None
    # The devstats role's projects.yaml from preflight's model: the sync tool reads the same project.
    (rendered,) = sync_side(tmp_path, devstats_projects_config(foundation)["projects"], "rendered.yaml")
    assert rendered == direct
    for key, value in case.expected.items():
        assert getattr(direct, key) == value, key
    # What preflight normalized is what the sync tool normalized.
    model = foundation["projects"][0]
    assert (model["name"], model["title"], model["db"]) == (direct.name, direct.title, direct.db)
    assert (tuple(model["orgs"]), tuple(model["repos"]), tuple(model["exclude_repos"])) == (
        direct.orgs,
        direct.repos,
        direct.exclude_repos,
    )
    assert (model["archived"], model["disabled"], model["project_scale"]) == (
        direct.archived,
        direct.disabled,
        direct.project_scale,
    )
    assert model.get("regexp") == direct.regexp
    assert (model.get("main_repo") or None) == direct.main_repo
    assert model.get("files_skip_pattern") == direct.files_skip_pattern
    assert model_hour(model["start_date"]) == direct.start_date
    for key in kubernetes_only:
        assert direct.extra[key] == project[key]


def test_every_field_of_the_schema_has_valid_and_invalid_cases() -> None:
    covered_ok = {key for case in CASES if case.refused is None for key in case.fields}
    covered_bad = {case.refused for case in CASES if case.refused is not None}
    fields = set(project_schema().names())
    assert fields - {"name", "start_date"} <= covered_ok
    assert fields <= covered_bad


@pytest.mark.parametrize(
    ("projects", "refused"),
    [
        ([{"name": "a"}, {"name": "a"}], "name"),
        ([{"name": "a", "db": "x"}, {"name": "b", "db": "x"}], "db"),
        # A default db counts.
        ([{"name": "graphql-js"}, {"name": "other", "db": "graphql_js"}], "db"),
        ([{"name": "a"}, {"name": "b"}], None),
    ],
)
def test_both_sides_agree_on_unique_names_and_databases(
    tmp_path: Path, projects: list[dict[str, Any]], refused: str | None
) -> None:
    projects = [{**BASE, **project} for project in projects]
    errors, _ = inventory_side(projects)
    if refused is None:
        assert errors == []
        assert len(sync_side(tmp_path, projects)) == 2
        return
    assert [e for e in errors if f"field '{refused}'" in e and "unique" in e], errors
    with pytest.raises(ConfigError, match=f"{refused} .* is used by more than one project"):
        sync_side(tmp_path, projects)


def test_the_filter_passes_the_sync_fields_and_the_sync_tool_takes_each(tmp_path: Path) -> None:
    everything = {
        **BASE,
        "title": "P",
        "db": "p",
        "repos": ["a/b"],
        "regexp": "^c/",
        "exclude_repos": ["acme/x"],
        "main_repo": "a/b",
        "project_scale": 2,
        "schedule": "1 * * * *",
        "timezone": "Etc/UTC",
        "disk_size": "1Gi",
        "resources": {"limits": {"memory": "1Gi"}},
        "files_skip_pattern": "",
        "archived": True,
        "disabled": False,
    }
    assert set(everything) == set(project_schema().names())
    errors, foundation = inventory_side([everything])
    assert errors == [] and foundation is not None
    (passed,) = devstats_projects_config(foundation)["projects"]
    assert list(passed) == list(project_schema().names("sync"))
    assert set(passed) <= set(project_fields().fields)
    assert all(project_fields().fields[key]["scope"] == "sync" for key in passed)
    # The sync tool reads every one of them: none is left over in extra, and each is what was passed.
    (loaded,) = sync_side(tmp_path, [passed])
    assert loaded.extra == {}
    assert (loaded.title, loaded.db, loaded.regexp, loaded.main_repo, loaded.project_scale) == (
        "P",
        "p",
        "^c/",
        "a/b",
        2.0,
    )
    assert (loaded.files_skip_pattern, loaded.archived, loaded.exclude_repos) == ("", True, ("acme/x",))


def test_every_type_of_the_file_has_a_rule_on_each_side() -> None:
    types = set(project_schema().types)
    assert {spec["type"] for spec in project_schema().fields.values()} <= types
    # Preflight checks every field by its type; the sync tool reads the sync-scope ones.
    assert set(inventory_foundations._TYPE_CHECKS) | {"start_date"} == types
    assert set(projects_config._READER_TYPES.values()) == {
        project_schema().fields[name]["type"] for name in project_schema().names("sync")
    }


def test_the_collection_reads_the_file_the_sync_tool_package_loads() -> None:
    from importlib import resources  # noqa: PLC0415 - only this test needs it

    packaged = resources.files("devstats_sync").joinpath("data/project_fields.yaml")
    assert Path(str(packaged)).resolve() == (ROOT / SCHEMA_PATH).resolve()
    assert project_schema().fields == project_fields().fields
    assert project_schema().reserved_databases == project_fields().reserved_databases


def _imports(path: Path) -> set[str]:
    """The module_utils a plugin file imports (relative or by the collection's name)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            module = node.module.rsplit("module_utils.", 1)[-1] if "module_utils" in node.module else None
            if node.level == 1 and path.parent.name == "module_utils":
                module = node.module
            if module:
                names.add(module.split(".")[0])
    return names


def test_no_module_reads_the_schema_file() -> None:
    """Modules run from AnsiballZ zips on their targets, without the collection's files: neither the
    schema loader nor the inventory model that uses it may be among what any module imports."""
    module_utils = ROOT / "plugins" / "module_utils"
    for module in sorted((ROOT / "plugins" / "modules").glob("*.py")):
        reached, todo = set(), list(_imports(module))
        while todo:
            name = todo.pop()
            if name in reached or not (module_utils / f"{name}.py").exists():
                continue
            reached.add(name)
            todo.extend(_imports(module_utils / f"{name}.py"))
        assert not reached & {"project_schema", "inventory_foundations", "inventory_model"}, module.name
