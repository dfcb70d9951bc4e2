"""The projects file: which projects exist, which repositories each takes, where its database is.

The file is what the devstats role renders from the inventory (docs/inventory.md), and a
DevStats-style ``projects.yaml`` is accepted too (``psql_db``, ``full_name``, ``command_line``)::

    projects:
      - name: kubernetes
        db: gha
        orgs: [kubernetes, kubernetes-sigs]
        start_date: "2014-06-01"

``projects`` may also be a mapping from name to fields, as in DevStats.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from psycopg2.extensions import make_dsn, parse_dsn

GHARCHIVE_START = datetime(2011, 2, 12, 0)
_NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,37}[a-z0-9])?$")
_DB_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_REPO_RE = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_ORG_RE = re.compile(r"^[A-Za-z0-9_.-]+$")

# Fields the sync tool reads, and fields of the inventory/DevStats it knowingly leaves to others.
_FIELDS = {"name", "title", "db", "orgs", "repos", "regexp", "exclude_repos", "start_date", "main_repo"}
_PASSED_THROUGH = {
    "schedule",
    "timezone",
    "disk_size",
    "files_skip_pattern",
    "archived",
    "disabled",
    "psql_db",
    "full_name",
    "command_line",
}


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
    regexp: str | None = None
    exclude_repos: tuple[str, ...] = ()
    main_repo: str | None = None
    archived: bool = False
    disabled: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


def parse_hour(text: str, what: str = "hour") -> datetime:
    """``YYYY-MM-DD``, ``YYYY-MM-DD HH`` or ``YYYY-MM-DDTHH`` (UTC) -> the start of that hour."""
    value = str(text).strip()
    for fmt in ("%Y-%m-%dT%H", "%Y-%m-%d %H", "%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"):
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        return parsed.replace(minute=0)
    raise ConfigError(
        f"{what}: {text!r} is not a date; expected YYYY-MM-DD, 'YYYY-MM-DD HH' or YYYY-MM-DDTHH"
    )


def _str_list(value: Any, where: str, pattern: re.Pattern[str], what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, list):
        raise ConfigError(f"{where}: expected a list of {what}, got {value!r}")
    for item in value:
        if not isinstance(item, str) or not pattern.match(item):
            raise ConfigError(f"{where}: {item!r} is not {what}")
    return tuple(value)


def _from_command_line(raw: dict[str, Any], where: str) -> dict[str, Any]:
    """DevStats' ``command_line``: [orgs-or-regexp, repos], comma-separated."""
    args = raw.get("command_line") or []
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise ConfigError(f"{where}, field 'command_line': expected a list of strings")
    derived: dict[str, Any] = {}
    if args and args[0].startswith("regexp:"):
        derived["regexp"] = args[0][len("regexp:") :]
    elif args and args[0]:
        derived["orgs"] = [a for a in args[0].split(",") if a]
    if len(args) > 1 and args[1]:
        derived["repos"] = [a for a in args[1].split(",") if a]
    return derived


def project_from_dict(raw: Any, index: int, source: str) -> Project:
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: project #{index + 1} is not a mapping")
    name = raw.get("name")
    where = f"{source}, project {name!r} (#{index + 1})"
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ConfigError(f"{where}, field 'name': expected a DNS-1123 label of at most 39 characters")
    unknown = sorted(set(raw) - _FIELDS - _PASSED_THROUGH)
    if unknown:
        raise ConfigError(
            f"{where}: unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(_FIELDS))}"
        )
    values = dict(raw)
    if "command_line" in raw:
        values = {**_from_command_line(raw, where), **values}
    db = values.get("db") or values.get("psql_db") or name.replace("-", "_")
    if not isinstance(db, str) or not _DB_RE.match(db):
        raise ConfigError(
            f"{where}, field 'db': {db!r} is not a PostgreSQL identifier (^[a-z_][a-z0-9_]{{0,62}}$)"
        )
    orgs = _str_list(values.get("orgs"), f"{where}, field 'orgs'", _ORG_RE, "a GitHub org login")
    repos = _str_list(values.get("repos"), f"{where}, field 'repos'", _REPO_RE, "an owner/name repository")
    excludes = _str_list(
        values.get("exclude_repos"), f"{where}, field 'exclude_repos'", _REPO_RE, "an owner/name repository"
    )
    regexp = values.get("regexp")
    if regexp is not None:
        try:
            re.compile(str(regexp))
        except re.error as error:
            raise ConfigError(
                f"{where}, field 'regexp': {regexp!r} is not a regular expression: {error}"
            ) from None
    if not orgs and not repos and regexp is None:
        raise ConfigError(f"{where}: one of 'orgs', 'repos' or 'regexp' is required")
    if "start_date" not in values:
        raise ConfigError(f"{where}, field 'start_date': required")
    start = parse_hour(values["start_date"], f"{where}, field 'start_date'")
    if start < GHARCHIVE_START:
        raise ConfigError(
            f"{where}, field 'start_date': {values['start_date']!r} is before GH Archive's first hour"
        )
    return Project(
        name=name,
        db=db,
        start_date=start,
        title=str(values.get("title") or values.get("full_name") or name),
        orgs=orgs,
        repos=repos,
        regexp=str(regexp) if regexp is not None else None,
        exclude_repos=excludes,
        main_repo=values.get("main_repo"),
        archived=bool(values.get("archived", False)),
        disabled=bool(values.get("disabled", False)),
        extra={k: v for k, v in raw.items() if k in _PASSED_THROUGH},
    )


def load_projects(path: str | Path) -> list[Project]:
    source = str(path)
    try:
        document = yaml.safe_load(Path(path).read_text())
    except OSError as error:
        raise ConfigError(f"cannot read projects file {source}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"projects file {source} is not valid YAML: {error}") from None
    if not isinstance(document, dict) or "projects" not in document:
        raise ConfigError(f"{source}: expected a mapping with a 'projects' key")
    raw = document["projects"]
    if isinstance(raw, dict):
        raw = [{"name": key, **(value or {})} for key, value in raw.items()]
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{source}: 'projects' must be a non-empty list or mapping")
    projects = [project_from_dict(item, index, source) for index, item in enumerate(raw)]
    for attr in ("name", "db"):
        seen: set[str] = set()
        for project in projects:
            value = getattr(project, attr)
            if value in seen:
                raise ConfigError(f"{source}: {attr} {value!r} is used by more than one project")
            seen.add(value)
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
