"""The projects file: which projects exist, which repositories each takes, where its database is.

Two forms are read.

The list the devstats role renders from the inventory. Its fields, their types, patterns, limits and
defaults, and the reserved databases, are ``data/project_fields.yaml``: the one definition that the
collection's preflight reads too (the collection cannot be imported here, so the tool owns the file).
Preflight has checked the list already; here it is checked again by the same rules, an unknown field is
an error, and the fields that only shape Kubernetes objects (``schedule``, ``timezone``, ...) are taken
by name and ignored::

    projects:
      - name: kubernetes
        db: gha
        orgs: [kubernetes, kubernetes-sigs]
        start_date: "2014-06-01"

DevStats' own ``projects.yaml``: a mapping from project id to DevStats' fields, loaded unchanged
(``name`` is the display title there; ``command_line``, ``psql_db``, timestamps, ``env``, the CNCF
milestone dates, ...). A field that neither DevStats nor devstats-sync knows is kept in
``Project.extra`` and noted on the log instead of refused, as DevStats itself ignores such keys.

Each field has one small rule function below (a value in, the normalized value out, a
:class:`FieldValueError` saying what is wrong otherwise); every problem reaches the user as one
:class:`ConfigError` line naming the file, the project and the field.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from psycopg2.extensions import make_dsn, parse_dsn

from devstats_sync.devstats_projects import FieldValueError, command_line_filter, env_settings, python_regexp

_HOUR_FORMATS = ("%Y-%m-%dT%H", "%Y-%m-%d %H", "%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M")

# DevStats' Project fields (devstatscode gha.go); in the mapping form ``name`` is the display title.
DEVSTATS_FIELDS = frozenset(
    {"command_line", "start_date", "psql_db", "disabled", "main_repo", "annotation_regexp", "order",
     "join_date", "files_skip_pattern", "env", "name", "status", "shared_db", "incubating_date",
     "graduated_date", "archived_date", "sync_probabilty", "project_scale"}
)  # fmt: skip
# DevStats fields read and checked but with no effect here: order and status shape DevStats' web
# pages, shared_db is its cross-project annotations copy, sync_probabilty its random sync skipping.
# The list form's kubernetes-scope fields (schedule, ...) join them (see kept_fields).
_DEVSTATS_KEPT_FIELDS = ("order", "status", "shared_db", "sync_probabilty")
_MILESTONES = ("join_date", "incubating_date", "graduated_date", "archived_date")


@dataclass(frozen=True)
class ProjectFields:
    """data/project_fields.yaml: the list form's fields (in documentation order) and their types."""

    fields: dict[str, dict[str, Any]]
    types: dict[str, dict[str, Any]]
    reserved_databases: tuple[str, ...]
    gh_archive_start: datetime
    one_of_required: tuple[str, ...]
    devstats_names: dict[str, str]

    def names(self, scope: str | None = None) -> tuple[str, ...]:
        return tuple(name for name, spec in self.fields.items() if scope in (None, spec["scope"]))

    @property
    def defaults(self) -> dict[str, Any]:
        return {name: spec["default"] for name, spec in self.fields.items() if "default" in spec}

    def matches(self, type_name: str, value: str, prefix: str = "") -> bool:
        """The type's <prefix>pattern matches and the value is within its <prefix>max_length."""
        parameters = self.types[type_name]
        limit = parameters.get(prefix + "max_length")
        matched = re.match(parameters[prefix + "pattern"], value)
        return bool(matched) and (limit is None or len(value) <= limit)


# The type of project_fields.yaml each sync-scope field's reader below implements. Preflight picks its
# check by the file's type; here a field has its own reader, so the file must name the type it reads.
_READER_TYPES = {
    "name": "project_name",
    "title": "text",
    "db": "database",
    "orgs": "logins",
    "repos": "repositories",
    "regexp": "regexp",
    "exclude_repos": "repositories",
    "start_date": "start_date",
    "main_repo": "repository_or_empty",
    "project_scale": "scale",
    "files_skip_pattern": "regexp_or_empty",
    "archived": "boolean",
    "disabled": "boolean",
}


@functools.cache
def project_fields() -> ProjectFields:
    raw = yaml.safe_load(resources.files("devstats_sync").joinpath("data/project_fields.yaml").read_text())
    declared = {name: spec["type"] for name, spec in raw["fields"].items() if spec["scope"] == "sync"}
    if declared != _READER_TYPES:
        raise RuntimeError(f"data/project_fields.yaml declares {declared}; this code reads {_READER_TYPES}")
    return ProjectFields(
        fields=raw["fields"],
        types=raw["types"],
        reserved_databases=tuple(raw["reserved_databases"]),
        gh_archive_start=datetime.strptime(raw["gh_archive_start"], "%Y-%m-%d %H"),
        one_of_required=tuple(raw["one_of_required"]),
        devstats_names=raw["devstats_names"],
    )


def kept_fields() -> tuple[str, ...]:
    """Fields kept in Project.extra without effect: DevStats' and the list form's kubernetes ones."""
    return (*_DEVSTATS_KEPT_FIELDS, *project_fields().names("kubernetes"))


log = logging.getLogger(__name__)


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Project:
    name: str
    db: str
    start_date: datetime
    title: str = ""
    orgs: tuple[str, ...] = ()
    repos: tuple[str, ...] = ()
    # Searched in owner/name and in the owner alone, as DevStats matches its regexp: filter.
    regexp: str | None = None
    exclude_repos: tuple[str, ...] = ()
    main_repo: str | None = None
    archived: bool = False
    disabled: bool = False
    # Release tags of main_repo that become annotations (None: the engine's default; "": all).
    annotation_regexp: str | None = None
    files_skip_pattern: str | None = None
    # DevStats' {{project_scale}}: metric SQL scales thresholds for big projects with it.
    project_scale: float = 1.0
    # CNCF milestones: annotations and the c_* quick ranges of the dashboards.
    join_date: datetime | None = None
    incubating_date: datetime | None = None
    graduated_date: datetime | None = None
    archived_date: datetime | None = None
    # Fields kept but not used by devstats-sync (see kept_fields, and unknown DevStats fields).
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


# ---- field rules: a raw value in, the normalized value out, FieldValueError otherwise ----


def project_name(value: Any) -> str:
    limit = project_fields().types["project_name"]["max_length"]
    if not isinstance(value, str) or not project_fields().matches("project_name", value):
        raise FieldValueError(f"{value!r} is not a DNS-1123 label of at most {limit} characters")
    return value


def database_name(value: Any) -> str:
    if not isinstance(value, str) or not project_fields().matches("database", value):
        raise FieldValueError(
            f"{value!r} is not a PostgreSQL identifier (lowercase letters, digits and '_', not starting "
            "with a digit, at most 63 characters)"
        )
    reserved = project_fields().reserved_databases
    if value in reserved:
        raise FieldValueError(f"{value!r} is reserved; expected a name other than {', '.join(reserved)}")
    return value


def _is_login(value: Any) -> bool:
    return isinstance(value, str) and project_fields().matches("logins", value)


def _is_repository(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    owner, slash, name = value.partition("/")
    fields = project_fields()
    return (
        bool(slash)
        and _is_login(owner)
        and fields.matches("repositories", name, "name_")
        and name not in fields.types["repositories"]["reserved_names"]
    )


def _names(value: Any, valid: Callable[[Any], bool], what: str, *, null_is_empty: bool) -> tuple[str, ...]:
    if value is None and null_is_empty:
        return ()
    if not isinstance(value, list | tuple):
        raise FieldValueError(f"expected a list of {what}s, got {value!r}")
    for item in value:
        if not valid(item):
            raise FieldValueError(f"{item!r} is not {what}")
    repeated = sorted({item for item in value if value.count(item) > 1})
    if repeated:
        raise FieldValueError(f"{', '.join(map(repr, repeated))} listed more than once")
    return tuple(value)


# The list form takes lists only (as preflight); DevStats' form reads a null list as none.
def org_logins(value: Any, *, null_is_empty: bool = True) -> tuple[str, ...]:
    return _names(value, _is_login, "a GitHub org login", null_is_empty=null_is_empty)


def repositories(value: Any, *, null_is_empty: bool = True) -> tuple[str, ...]:
    return _names(value, _is_repository, "an owner/name repository", null_is_empty=null_is_empty)


def main_repository(value: Any) -> str | None:
    """Empty means none, as in DevStats (no release annotations then)."""
    if value == "":
        return None
    (repo,) = repositories([value])
    return repo


def regular_expression(value: Any, *, go_syntax: bool = True) -> str:
    """A regexp, in Python's syntax or, with go_syntax (DevStats' form), in DevStats' (Go RE2; the few
    differences are translated). The list form takes Python's only, as preflight does."""
    if not isinstance(value, str):
        raise FieldValueError(f"{value!r} is not a regular expression")
    if not value:
        raise FieldValueError("is empty; an empty regexp would take every repository of GH Archive")
    pattern = python_regexp(value) if go_syntax else value
    try:
        re.compile(pattern)
    except re.error as error:
        raise FieldValueError(f"{value!r} is not a regular expression: {error}") from None
    return pattern


def optional_pattern(value: Any, *, go_syntax: bool = True) -> str:
    """annotation_regexp, files_skip_pattern: empty means every tag, no file skipped, as in DevStats."""
    return "" if value == "" else regular_expression(value, go_syntax=go_syntax)


def title_text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise FieldValueError(f"{value!r} is not a non-empty string")
    return value


def flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise FieldValueError(f"{value!r} is not a boolean; expected true or false")
    return value


def scale(value: Any) -> float:
    minimum = project_fields().types["scale"]["minimum"]
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise FieldValueError(f"{value!r} is not a number of at least {minimum}")
    return float(value)


def moment(value: Any) -> datetime:
    """A YAML timestamp (``2014-06-01T00:00:00Z``), date, or ``YYYY-MM-DD[ HH]`` string -> naive UTC."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return parse_hour(value)
        except ConfigError:
            try:
                return moment(datetime.fromisoformat(value.strip()))
            except ValueError:
                pass
    raise FieldValueError(
        f"{value!r} is not a date; expected YYYY-MM-DD, 'YYYY-MM-DD HH' or a timestamp 2014-06-01T00:00:00Z"
    )


def optional_moment(value: Any) -> datetime | None:
    return None if value is None else moment(value)


def list_form_moment(value: Any) -> datetime:
    """The list form's start_date, as preflight takes it: a YAML date or a ``YYYY-MM-DD[ HH]`` string
    (the pattern of project_fields.yaml); not a timestamp, which DevStats' form takes."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    pattern = project_fields().types["start_date"]["pattern"]
    match = re.match(pattern, value) if isinstance(value, str) else None
    try:
        if match:
            year, month, day, hour = (int(part) if part else 0 for part in match.groups())
            return datetime(year, month, day, hour)
    except ValueError:
        pass
    raise FieldValueError(f"{value!r} is not a date; expected YYYY-MM-DD or 'YYYY-MM-DD HH'")


def start_hour(value: Any, now: datetime, *, devstats_form: bool = True) -> datetime:
    """The first hour to ingest: from GH Archive's first hour up to now."""
    start = (moment if devstats_form else list_form_moment)(value).replace(minute=0, second=0, microsecond=0)
    first = project_fields().gh_archive_start
    if start < first:
        raise FieldValueError(f"{value!r} is before {first:%Y-%m-%d}, GH Archive's first hour")
    if start > now:
        raise FieldValueError(f"{value!r} is in the future (now is {now:%Y-%m-%d %H} UTC)")
    return start


def parse_hour(text: str, what: str = "hour") -> datetime:
    """``YYYY-MM-DD``, ``YYYY-MM-DD HH`` or ``YYYY-MM-DDTHH`` (UTC) -> the start of that hour."""
    value = str(text).strip()
    for fmt in _HOUR_FORMATS:
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        return parsed.replace(minute=0)
    raise ConfigError(
        f"{what}: {text!r} is not a date; expected YYYY-MM-DD, 'YYYY-MM-DD HH' or YYYY-MM-DDTHH"
    )


# ---- one project ----


@dataclass
class _Fields:
    """A project's raw fields and where they come from, for reading each through its rule."""

    raw: dict[str, Any]
    where: str
    # Values derived from another field (orgs from command_line) are reported under that field.
    derived_from: str | None = None

    def read(self, key: str, rule: Callable[[Any], Any], default: Any = None) -> Any:
        if key not in self.raw:
            return default
        try:
            return rule(self.raw[key])
        except FieldValueError as problem:
            raise self.problem(key, str(problem)) from None

    def problem(self, key: str, message: str) -> ConfigError:
        if self.derived_from:
            return ConfigError(f"{self.where}, field {self.derived_from!r} ({key}): {message}")
        return ConfigError(f"{self.where}, field {key!r}: {message}")


def _repository_filter(fields: _Fields) -> dict[str, Any]:
    """orgs/repos/regexp: given directly, or derived from DevStats' command_line (not both)."""
    direct = {key: fields.raw[key] for key in ("orgs", "repos", "regexp") if key in fields.raw}
    if "command_line" not in fields.raw:
        return direct
    if direct:
        raise fields.problem("command_line", f"give either command_line or {', '.join(direct)}, not both")
    return fields.read("command_line", command_line_filter)


@dataclass(frozen=True)
class _FormRules:
    """The rules that differ between the two forms: DevStats' form takes what DevStats' files hold (Go
    regexps, timestamps, null lists); the list form takes exactly what preflight takes."""

    devstats_form: bool

    def logins(self, value: Any) -> tuple[str, ...]:
        return org_logins(value, null_is_empty=self.devstats_form)

    def repositories(self, value: Any) -> tuple[str, ...]:
        return repositories(value, null_is_empty=self.devstats_form)

    def regexp(self, value: Any) -> str:
        return regular_expression(value, go_syntax=self.devstats_form)

    def pattern(self, value: Any) -> str:
        return optional_pattern(value, go_syntax=self.devstats_form)

    def start_hour(self, value: Any, now: datetime) -> datetime:
        return start_hour(value, now, devstats_form=self.devstats_form)


def _selection(fields: _Fields, form: _FormRules, disabled: bool, notes: list[str]) -> tuple[Any, ...]:
    """(orgs, repos, regexp): what the project takes, never nothing and never everything."""
    source = "command_line" if "command_line" in fields.raw else None
    rules = _Fields(_repository_filter(fields), fields.where, source)
    orgs = rules.read("orgs", form.logins, ())
    repos = rules.read("repos", form.repositories, ())
    regexp = rules.read("regexp", form.regexp)
    if not orgs and not repos and regexp is None:
        if not (disabled and source):
            raise fields.problem(source or "orgs", "one of 'orgs', 'repos' or 'regexp' is required")
        # DevStats reads an empty command_line as every repository of GH Archive (narrowed by an
        # actors filter it applies and devstats-sync does not): such a project takes nothing here.
        notes.append(f"{fields.where}, field 'command_line': empty; the disabled project takes no repository")
    return orgs, repos, regexp


def _database(fields: _Fields, name: str) -> str:
    for key in ("db", "psql_db"):
        if key in fields.raw:
            return str(fields.read(key, database_name))
    try:
        return database_name(name.replace("-", "_"))
    except FieldValueError as problem:
        message = f"the default taken from the name: {problem}; set 'db' explicitly"
        raise fields.problem("db", message) from None


def _excluded(fields: _Fields, form: _FormRules, env: dict[str, Any]) -> tuple[str, ...]:
    listed = fields.read("exclude_repos", form.repositories, ())
    try:
        from_env = repositories(env.get("exclude_repos", []))
    except FieldValueError as problem:
        raise fields.problem("env", f"GHA2DB_EXCLUDE_REPOS: {problem}") from None
    return tuple(dict.fromkeys(listed + from_env))


def _title(fields: _Fields, name: str, devstats_form: bool) -> str:
    keys = ("name", "title") if devstats_form else ("title",)
    for key in keys:
        if key in fields.raw:
            return str(fields.read(key, title_text))
    return name


def _kept(raw: dict[str, Any], known: frozenset[str], where: str, notes: list[str]) -> dict[str, Any]:
    unknown = sorted(set(raw) - known)
    for key in unknown:
        notes.append(f"{where}, field {key!r}: not a DevStats or devstats-sync field; kept and ignored")
    return {key: raw[key] for key in (*kept_fields(), "env", *unknown) if key in raw}


def _check_list_form_fields(raw: dict[str, Any], where: str) -> None:
    """The list form has exactly the fields of project_fields.yaml, as the inventory."""
    schema = project_fields()
    unknown = sorted(set(raw) - set(schema.fields))
    if not unknown:
        return
    shown = ", ".join(
        f"{key} (DevStats' name; here: {schema.devstats_names[key]})" if key in schema.devstats_names else key
        for key in unknown
    )
    raise ConfigError(f"{where}: unknown field(s) {shown}; known: {', '.join(schema.names())}")


def project_from_dict(
    raw: Any,
    index: int,
    source: str,
    *,
    key: str | None = None,
    now: datetime | None = None,
    notes: list[str] | None = None,
) -> Project:
    """One project: ``key`` is its id in DevStats' mapping form (None: an entry of the list form)."""
    label = repr(key) if key is not None else f"#{index + 1}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}, project {label}: expected a mapping of project fields, got {raw!r}")
    form = _FormRules(devstats_form=key is not None)
    name_value = key if form.devstats_form else raw.get("name")
    where = f"{source}, project {name_value!r} (#{index + 1})"
    fields = _Fields(raw, where)
    try:
        name = project_name(name_value)
    except FieldValueError as problem:
        raise ConfigError(f"{where}, field 'name': {problem}") from None
    if not form.devstats_form:
        _check_list_form_fields(raw, where)
    notes = notes if notes is not None else []
    extra = _kept(raw, DEVSTATS_FIELDS | frozenset(project_fields().fields), where, notes)
    env = fields.read("env", env_settings, {})
    for ignored in env.get("ignored", ()):
        notes.append(f"{where}, field 'env': {ignored} is not applied by devstats-sync; ignored")
    disabled = fields.read("disabled", flag, False)
    orgs, repos, regexp = _selection(fields, form, disabled, notes)
    if "start_date" not in raw:
        raise ConfigError(f"{where}, field 'start_date': required")
    clock = now or datetime.now(UTC).replace(tzinfo=None)
    return Project(
        name=name,
        db=_database(fields, name),
        start_date=fields.read("start_date", lambda value: form.start_hour(value, clock)),
        title=_title(fields, name, form.devstats_form),
        orgs=orgs,
        repos=repos,
        regexp=regexp,
        exclude_repos=_excluded(fields, form, env),
        main_repo=fields.read("main_repo", main_repository),
        archived=fields.read("archived", flag, False),
        disabled=disabled,
        annotation_regexp=fields.read("annotation_regexp", optional_pattern),
        files_skip_pattern=fields.read("files_skip_pattern", form.pattern),
        project_scale=fields.read("project_scale", scale, project_fields().defaults["project_scale"]),
        **{milestone: fields.read(milestone, optional_moment) for milestone in _MILESTONES},
        extra=extra,
    )


# ---- the file ----


def _entries(document: Any, source: str) -> list[tuple[str | None, Any]]:
    """(id, fields) per project: the id is the mapping key in DevStats' form, None in the list form."""
    if not isinstance(document, dict) or "projects" not in document:
        raise ConfigError(f"{source}: expected a mapping with a 'projects' key")
    raw = document["projects"]
    if isinstance(raw, dict) and raw:
        return [(str(key), value) for key, value in raw.items()]
    if isinstance(raw, list) and raw:
        return [(None, value) for value in raw]
    raise ConfigError(f"{source}: 'projects' must be a non-empty list or mapping")


def _check_unique(projects: list[Project], source: str) -> None:
    for attr in ("name", "db"):
        seen: set[str] = set()
        for project in projects:
            value = getattr(project, attr)
            if value in seen:
                raise ConfigError(f"{source}: {attr} {value!r} is used by more than one project")
            seen.add(value)


def _yaml_problem(error: yaml.YAMLError) -> str:
    """One line: where in the file and what the parser expected."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}" if mark else problem


def load_projects(path: str | Path, *, now: datetime | None = None) -> list[Project]:
    """Every project of the file; notes about ignored fields go to the log (one line per field)."""
    source = str(path)
    try:
        document = yaml.safe_load(Path(path).read_text())
    except OSError as error:
        raise ConfigError(f"{source}: cannot read the projects file: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"{source}: the projects file is not UTF-8 text (byte {error.start})") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{source}: the projects file is not valid YAML: {_yaml_problem(error)}") from None
    notes: list[str] = []
    projects = [
        project_from_dict(raw, index, source, key=key, now=now, notes=notes)
        for index, (key, raw) in enumerate(_entries(document, source))
    ]
    _check_unique(projects, source)
    for note in notes:
        log.warning("note: %s", note)
    return projects


def select_projects(projects: list[Project], names: list[str] | None) -> list[Project]:
    """The named projects (all active ones when no name is given)."""
    if not names:
        return [p for p in projects if not p.disabled and not p.archived]
    by_name = {p.name: p for p in projects}
    missing = [n for n in names if n not in by_name]
    if missing:
        raise ConfigError(
            f"unknown project(s) {', '.join(missing)}; the projects file has {', '.join(by_name)}"
        )
    return [by_name[n] for n in names]


def project_dsn(base: str, db: str) -> str:
    """The DSN of a project's database: ``{db}`` in the base DSN is replaced, else dbname is set."""
    if "{db}" in base:
        return base.replace("{db}", db)
    return make_dsn(**{**parse_dsn(base), "dbname": db}) if base else f"dbname={db}"


def default_dsn() -> str:
    return os.environ.get("DEVSTATS_DSN", "")
