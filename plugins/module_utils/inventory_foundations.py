# -*- coding: utf-8 -*-
# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The foundations and their projects in the inventory model (docs/inventory.md): the devstats_*
variables of each foundation host, every project field, and the defaults preflight fills in.

The project fields (names, types, patterns, limits, defaults, reserved databases) are not defined here:
they are the sync tool's ``project_fields.yaml``, read through project_schema, which the sync tool's
projects_config reads too. That makes this module controller only (the action plugin
validate_inventory, the devstats role's filters, tests): no module may import it, since a module's
AnsiballZ zip carries no data file. Nothing is read at import; PROJECT_FIELDS, PROJECT_NAME_MAX,
RESERVED_DATABASES and GH_ARCHIVE_START are looked up in the file on first use (module __getattr__)."""

from __future__ import annotations

import copy
import datetime
from collections.abc import Mapping, Sequence
from typing import Any, Callable, Optional

from .inventory_values import (
    Report,
    Unresolved,
    as_list,
    bool_problem,
    choice_problem,
    cron_problem,
    dns_label_problem,
    dns_name_problem,
    interval_problem,
    list_problem,
    not_a,
    quantity_problem,
    regexp_problem,
    resources_problem,
    show,
    storage_class_problem,
    string_problem,
    timezone_problem,
    unknown_key_problem,
)
from .project_schema import project_schema

FOUNDATIONS_GROUP = "devstats_foundations"


FOUNDATION_NAME_MAX = 30


# The CronJob controller appends "-<11 digits>" to a Job's name, which must stay a 63-character label.
CRONJOB_NAME_MAX = 63 - 11


# Another PostgreSQL than the built-in Patroni: the devstats role's variables, which preflight only
# checks for going together (their values stay out of the model; the credentials are secrets).
DATABASE_VARS = (
    "devstats_database_host",
    "devstats_database_secret",
    "devstats_database_username",
    "devstats_database_password",
)


# The foundation-wide settings of the per-project objects, and their defaults.
FOUNDATION_DEFAULTS: Mapping[str, Any] = {
    "devstats_time_zone": "Etc/UTC",
    "devstats_sync_interval": "1h",
    "devstats_affiliations_interval": "1d",
    "devstats_resources": {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"memory": "2Gi"}},
    "devstats_project_disk_size": "10Gi",
    "devstats_storage_class": "",
    # The foundation's GH Archive hour cache, read by its one ingest CronJob.
    "devstats_gharchive_cache_size": "50Gi",
    # Where the gitdm affiliation files come from; {} means none (and no affiliations CronJob).
    "devstats_affiliations": {"git": "https://github.com/cncf/gitdm.git"},
}


# What each source of the affiliation files takes, and the defaults of its optional keys.
AFFILIATION_SOURCES: Mapping[str, Mapping[str, Any]] = {
    "git": {"ref": "master", "users_path": "src/github_users.json", "companies_path": ""},
    "config_map": {"users_path": "github_users.json", "companies_path": ""},
    "claim": {"users_path": "github_users.json", "companies_path": ""},
}


# ansible_connection too: a foundation is not a machine, its plays must run on the controller.
FOUNDATION_VARS = (
    "ansible_connection",
    "devstats_domain",
    "devstats_namespace",
    "devstats_projects",
    "devstats_prune",
    *FOUNDATION_DEFAULTS,
    *DATABASE_VARS,
    "devstats_certificate_issuer",
    "devstats_dashboards_dir",
)


def _gh_archive_start() -> datetime.datetime:
    return datetime.datetime.strptime(project_schema().gh_archive_start, "%Y-%m-%d %H").replace(
        tzinfo=datetime.timezone.utc
    )


# The constants of the project fields, looked up in the schema file on first use (nothing read at
# import); any other missing attribute is an AttributeError without reading it (hasattr() probes).
_SCHEMA_CONSTANTS: Mapping[str, Callable[[], Any]] = {
    "PROJECT_FIELDS": lambda: project_schema().names(),
    "PROJECT_NAME_MAX": lambda: project_schema().types["project_name"]["max_length"],
    "RESERVED_DATABASES": lambda: project_schema().reserved_databases,
    "GH_ARCHIVE_START": _gh_archive_start,
}


def __getattr__(name: str) -> Any:
    if name in _SCHEMA_CONSTANTS:
        return _SCHEMA_CONSTANTS[name]()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _matches(type_name: str, value: str, prefix: str = "") -> bool:
    """The type's <prefix>pattern matches and the value is within its <prefix>max_length."""
    schema = project_schema()
    limit = schema.types[type_name].get(prefix + "max_length")
    return bool(schema.pattern(type_name, prefix + "pattern").match(value)) and (
        limit is None or len(value) <= limit
    )


def postgres_identifier_problem(value: Any) -> Optional[str]:
    """A database name that needs no quoting in SQL and is not one PostgreSQL or DevStats reserves."""
    if not isinstance(value, str):
        return not_a(value, "a PostgreSQL identifier")
    if not _matches("database", value):
        return (
            f"{show(value)} is not a PostgreSQL identifier; expected lowercase letters, digits and '_', "
            "not starting with a digit, at most 63 characters"
        )
    reserved = project_schema().reserved_databases
    if value in reserved:
        return f"{show(value)} is reserved; expected a name other than {', '.join(reserved)}"
    return None


def github_login_problem(value: Any) -> Optional[str]:
    """A GitHub user or organization login, including the grandfathered forms (project_fields.yaml)."""
    if not isinstance(value, str):
        return not_a(value, "a GitHub login")
    if not _matches("logins", value):
        return f"{show(value)} is not a GitHub login; expected letters, digits and '-', at most 39 characters"
    return None


def github_repo_problem(value: Any) -> Optional[str]:
    """A repository as owner/name."""
    if not isinstance(value, str):
        return not_a(value, "a repository 'owner/name'")
    owner, slash, name = value.partition("/")
    if (
        not slash
        or not _matches("logins", owner)
        or not _matches("repositories", name, "name_")
        or name in project_schema().types["repositories"]["reserved_names"]
    ):
        return (
            f"{show(value)} is not a repository; expected 'owner/name' with a GitHub login as owner and "
            "a name of letters, digits, '.', '-' and '_' (at most 100 characters, not '.' or '..')"
        )
    return None


def _relative_path_problem(value: Any) -> Optional[str]:
    if not isinstance(value, str):
        return not_a(value, "a path inside the repository or volume")
    parts = value.split("/")
    if value.startswith("/") or ".." in parts:
        return f"{show(value)} is not a relative path inside the repository or volume"
    return None


def _affiliations_source_problem(source: str, value: Mapping[str, Any]) -> Optional[str]:
    if source == "git":
        problem = string_problem(value["git"])
        if problem:
            return f"git: {problem}; expected the URL of a git repository"
        problem = string_problem(value["ref"]) if "ref" in value else None
        return f"ref: {problem}; expected a branch, tag or commit" if problem else None
    problem = dns_name_problem(value[source])
    return f"{source}: {problem}" if problem else None


def _affiliations_paths_problem(value: Mapping[str, Any]) -> Optional[str]:
    if value.get("users_path") == "":
        return "users_path is empty; expected the path of github_users.json"
    for key in ("users_path", "companies_path"):
        problem = _relative_path_problem(value[key]) if value.get(key, "") != "" else None
        if problem:
            return f"{key}: {problem}"
    return None


def affiliations_problem(value: Any) -> Optional[str]:
    """Where the gitdm files come from: {git: URL, ref, users_path, companies_path},
    {config_map: NAME, users_path, companies_path}, {claim: NAME, users_path, companies_path}
    (paths of the files in the repository, the ConfigMap's keys or the volume), or {} for none."""
    if not isinstance(value, Mapping):
        return not_a(value, "a mapping with one of 'git', 'config_map' or 'claim' (or {} for none)")
    sources = [key for key in AFFILIATION_SOURCES if key in value]
    if len(sources) > 1:
        return f"sets {' and '.join(sources)}; expected one source of the affiliation files"
    if not sources:
        unknown = sorted(map(str, value))
        return f"unknown key {show(unknown[0])}; expected 'git', 'config_map' or 'claim'" if unknown else None
    source = sources[0]
    allowed = {source, *AFFILIATION_SOURCES[source]}
    unknown = sorted(str(key) for key in value if key not in allowed)
    if unknown:
        return f"unknown key {show(unknown[0])} for a {source} source; expected {', '.join(sorted(allowed))}"
    return _affiliations_source_problem(source, value) or _affiliations_paths_problem(value)


def normalize_affiliations(value: Mapping[str, Any]) -> dict:
    """{'source': 'git'|'config_map'|'claim'|'none', ...} with the source's defaults filled in."""
    for source, defaults in AFFILIATION_SOURCES.items():
        if source in value:
            return {"source": source, **defaults, **value}
    return {"source": "none"}


def parse_start_date(value: Any) -> datetime.datetime:
    """The first hour a start_date names (UTC); ValueError when it is not a date in the model's format."""
    if isinstance(value, datetime.datetime):
        raise ValueError(value)
    if isinstance(value, datetime.date):
        return datetime.datetime(value.year, value.month, value.day, tzinfo=datetime.timezone.utc)
    match = project_schema().pattern("start_date").match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(value)
    year, month, day, hour = (int(part) if part else 0 for part in match.groups())
    return datetime.datetime(year, month, day, hour, tzinfo=datetime.timezone.utc)


def start_date_problem(value: Any, now: datetime.datetime) -> Optional[str]:
    """A date or date and hour, from GH Archive's first hour up to now."""
    try:
        start = parse_start_date(value)
    except ValueError:
        return f"{show(value)} is not a date; expected YYYY-MM-DD or 'YYYY-MM-DD HH'"
    first = _gh_archive_start()
    if start < first:
        return f"{show(value)} is before {first:%Y-%m-%d}, GH Archive's first hour"
    if start > now:
        return f"{show(value)} is in the future (now is {now:%Y-%m-%d %H} UTC)"
    return None


def _normalize_start_date(value: Any) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _logins_problem(value: Any) -> Optional[str]:
    return list_problem(value, github_login_problem, "GitHub logins")


def _repos_problem(value: Any) -> Optional[str]:
    return list_problem(value, github_repo_problem, "repositories 'owner/name'")


def _name_problem(value: Any) -> Optional[str]:
    return dns_label_problem(value, project_schema().types["project_name"]["max_length"])


def _repository_or_empty_problem(value: Any) -> Optional[str]:
    return None if value == "" else github_repo_problem(value)


def _regexp_or_empty_problem(value: Any) -> Optional[str]:
    return None if value == "" else regexp_problem(value)


def _scale_problem(value: Any) -> Optional[str]:
    minimum = project_schema().types["scale"]["minimum"]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return not_a(value, f"a number of at least {minimum}")
    if value < minimum:
        return f"{show(value)} is less than {minimum}; expected a number of at least {minimum}"
    return None


# The rule of each type of project_fields.yaml; start_date needs the clock and is apart.
_TYPE_CHECKS: Mapping[str, Callable[[Any], Optional[str]]] = {
    "project_name": _name_problem,
    "text": string_problem,
    "database": postgres_identifier_problem,
    "logins": _logins_problem,
    "repositories": _repos_problem,
    "repository_or_empty": _repository_or_empty_problem,
    "regexp": regexp_problem,
    "regexp_or_empty": _regexp_or_empty_problem,
    "boolean": bool_problem,
    "scale": _scale_problem,
    "cron": cron_problem,
    "timezone": timezone_problem,
    "quantity": quantity_problem,
    "resources": resources_problem,
}


def project_field_problem(field_name: str, value: Any, now: datetime.datetime) -> Optional[str]:
    """What is wrong with one value of one project field, or None."""
    type_name = project_schema().fields[field_name]["type"]
    if type_name == "start_date":
        return start_date_problem(value, now)
    return _TYPE_CHECKS[type_name](value)


def _project_where(foundation: str, index: int, raw: Any) -> str:
    name = raw.get("name") if isinstance(raw, Mapping) else None
    if isinstance(name, str) and name:
        return f"foundation '{foundation}', project '{name}' (#{index})"
    return f"foundation '{foundation}', project #{index}"


def _check_project_fields(report: Report, where: str, raw: Mapping[str, Any], now: datetime.datetime) -> None:
    schema = project_schema()
    for key in raw:
        if key not in schema.fields:
            report.add(where, str(key), unknown_key_problem(key, schema.names()))
    for required in schema.required():
        if required not in raw:
            report.add(where, required, "is required")
    for key in schema.fields:
        problem = project_field_problem(key, raw[key], now) if key in raw else None
        if problem:
            report.add(where, key, problem)
    if not any(raw.get(key) for key in schema.one_of_required):
        *first, last = map(show, schema.one_of_required)
        report.add(
            where,
            schema.one_of_required[0],
            f"no repositories: expected at least one of {', '.join(first)} or {last}",
        )


def _project_value(spec: Mapping[str, Any], raw_value: Any) -> Any:
    if spec["type"] in ("logins", "repositories"):
        return as_list(raw_value)
    if spec["type"] == "start_date":
        return _normalize_start_date(raw_value)
    return raw_value


def _check_project(
    report: Report,
    where: str,
    raw: Any,
    *,
    domain: Optional[str],
    settings: Mapping[str, Any],
    now: datetime.datetime,
) -> Optional[dict]:
    """Checks one project; returns it with its defaults filled in (the foundation's settings where the
    project has none), or None when it is not a mapping."""
    if not isinstance(raw, Mapping):
        report.add(where, "*", not_a(raw, "a mapping of project fields"))
        return None
    report.check(where, raw)
    _check_project_fields(report, where, raw, now)
    name = raw.get("name")
    project: dict = {"name": name}
    for key, spec in project_schema().fields.items():
        if key in raw:
            project[key] = _project_value(spec, raw[key])
        elif "default" in spec:
            project[key] = copy.deepcopy(spec["default"])
        elif spec.get("default_from", "").startswith("devstats_"):
            project[key] = settings[spec["default_from"][len("devstats_") :]]
    project.setdefault("title", name)
    if "db" not in raw and isinstance(name, str) and not _name_problem(name):
        project["db"] = name.replace("-", "_")
        problem = postgres_identifier_problem(project["db"])
        if problem:
            report.add(where, "db", f"the default taken from the name: {problem}; set 'db' explicitly")
    if isinstance(name, str) and domain is not None:
        project["host"] = f"{name}.{domain}"
        if len(project["host"]) > 253:
            report.add(where, "name", f"host {show(project['host'])} is longer than 253 characters")
    return project


def _check_unique(
    report: Report, wheres: Sequence[str], field_name: str, values: Sequence[Any], what: str
) -> None:
    """Reports every value after its first occurrence, naming the project it repeats."""
    first_index: dict = {}
    for index, value in enumerate(values, start=1):
        if not isinstance(value, str):
            continue
        if value in first_index:
            report.add(
                wheres[index - 1],
                field_name,
                f"{show(value)} is also the {what} of project #{first_index[value]}; {what}s must be unique "
                "within a foundation",
            )
        else:
            first_index[value] = index


def _check_projects(
    report: Report,
    name: str,
    raw: Mapping[str, Any],
    *,
    domain: Optional[str],
    settings: Mapping[str, Any],
    now: datetime.datetime,
) -> list:
    where = f"foundation '{name}'"
    raw_projects = raw.get("devstats_projects")
    if "devstats_projects" not in raw:
        report.add(where, "devstats_projects", "is required; expected a list of projects")
        return []
    if not isinstance(raw_projects, (list, tuple)):
        report.add(where, "devstats_projects", not_a(raw_projects, "a list of projects"))
        return []
    if not raw_projects:
        report.add(where, "devstats_projects", "is empty; expected at least one project")
        return []
    wheres = [_project_where(name, index, project) for index, project in enumerate(raw_projects, start=1)]
    projects = [
        _check_project(report, project_where, project, domain=domain, settings=settings, now=now)
        for project_where, project in zip(wheres, raw_projects, strict=True)
    ]
    _check_unique(report, wheres, "name", [p and p["name"] for p in projects], "name")
    _check_unique(report, wheres, "db", [p and p.get("db") for p in projects], "db")
    return [project for project in projects if project is not None]


_FOUNDATION_SETTING_CHECKS: Mapping[str, Callable[[Any], Optional[str]]] = {
    "devstats_time_zone": timezone_problem,
    "devstats_sync_interval": interval_problem,
    "devstats_affiliations_interval": interval_problem,
    "devstats_resources": resources_problem,
    "devstats_project_disk_size": quantity_problem,
    "devstats_storage_class": storage_class_problem,
    "devstats_gharchive_cache_size": quantity_problem,
    "devstats_affiliations": affiliations_problem,
}


def _check_database_credentials(report: Report, where: str, raw: Mapping[str, Any]) -> None:
    """Credentials in the inventory are for another PostgreSQL: with the built-in Patroni, whose role
    generates the application user's Secret, a second writer of that Secret would undo it every run."""
    given = [key for key in DATABASE_VARS[2:] if raw.get(key) not in (None, "")]
    missing = [key for key in DATABASE_VARS[:2] if raw.get(key) in (None, "")]
    if given and missing:
        report.add(
            where,
            given[0],
            f"is set but {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not; credentials "
            "are for another PostgreSQL (set its host and the name of the Secret to write); with the "
            "built-in Patroni leave them out, its role generates the application user's Secret",
        )


def _check_foundation_settings(report: Report, where: str, raw: Mapping[str, Any]) -> dict:
    """The foundation-wide settings of the per-project objects (keys without the devstats_ prefix);
    a bad value is reported and its default stands in, so the projects are still checked."""
    settings = {}
    for variable, default in FOUNDATION_DEFAULTS.items():
        value = raw.get(variable, default)
        problem = _FOUNDATION_SETTING_CHECKS[variable](value)
        if problem:
            report.add(where, variable, problem)
            value = default
        settings[variable[len("devstats_") :]] = value
    settings["affiliations"] = normalize_affiliations(settings["affiliations"])
    return settings


def check_foundation(
    report: Report, name: str, raw: Mapping[str, Any], platform: Mapping[str, Any], now: datetime.datetime
) -> dict:
    where = f"foundation '{name}'"
    report.check(where, {key: raw[key] for key in FOUNDATION_VARS if key in raw})
    name_problem = dns_label_problem(name, FOUNDATION_NAME_MAX)
    if name_problem:
        report.add(where, "inventory_hostname", name_problem)

    domain = raw.get("devstats_domain")
    if "devstats_domain" not in raw:
        report.add(where, "devstats_domain", "is required; expected the foundation's DNS domain")
        domain = None
    else:
        problem = dns_name_problem(domain)
        if problem:
            report.add(where, "devstats_domain", problem)
            domain = None

    namespace = raw.get("devstats_namespace", f"devstats-{name}")
    if "devstats_namespace" in raw or not name_problem:
        problem = dns_label_problem(namespace)
        if problem:
            report.add(where, "devstats_namespace", problem)

    prune = raw.get("devstats_prune", False)
    problem = bool_problem(prune)
    if problem:
        report.add(where, "devstats_prune", problem)

    connection = raw.get("ansible_connection")
    if connection != "local":
        shown = f"{show(connection)} is not 'local'" if "ansible_connection" in raw else "is not set"
        report.add(
            where,
            "ansible_connection",
            f"{shown}; expected local: a foundation is not a machine, its plays run on the controller",
        )

    # platform_* set on one foundation (host_vars) would make the foundations disagree on the platform.
    for variable in sorted(key for key in raw if key.startswith("platform_")):
        if isinstance(raw[variable], Unresolved) or isinstance(platform.get(variable), Unresolved):
            continue
        if variable not in platform or raw[variable] != platform[variable]:
            shown = show(platform[variable]) if variable in platform else "unset"
            report.add(
                where,
                variable,
                f"{show(raw[variable])} differs from the platform's value ({shown}); "
                "set platform_* variables only in group_vars/all",
            )

    settings = _check_foundation_settings(report, where, raw)
    _check_database_credentials(report, where, raw)
    foundation = {
        "name": name,
        "namespace": namespace,
        "prune": prune,
        **settings,
        "projects": _check_projects(report, name, raw, domain=domain, settings=settings, now=now),
    }
    if domain is not None:
        foundation["domain"] = domain
    foundation.update(_check_face(report, where, raw))
    return foundation


def check_across_foundations(report: Report, foundations: Mapping[str, dict]) -> None:
    """Domains, namespaces and every host served must not be shared by two foundations."""
    owners: dict = {}
    for name, foundation in foundations.items():
        for key, variable in (("domain", "devstats_domain"), ("namespace", "devstats_namespace")):
            value = foundation.get(key)
            if not isinstance(value, str):
                continue
            owner = owners.setdefault((key, value), name)
            if owner != name:
                report.add(
                    f"foundation '{name}'",
                    variable,
                    f"{show(value)} is also the {key} of foundation '{owner}'; "
                    f"{key}s must be unique across foundations",
                )
    # A foundation serves its home page at <domain> and each project at <project>.<domain>, so one
    # foundation's domain can be another's project host: kubernetes.example.org vs example.org + kubernetes.
    hosts: dict = {}
    for name, foundation in foundations.items():
        if "domain" in foundation:
            hosts.setdefault(foundation["domain"], (name, None))
    for name, foundation in foundations.items():
        for index, project in enumerate(foundation["projects"], start=1):
            host = project.get("host")
            owner = hosts.get(host)
            if owner and owner[0] != name:
                report.add(
                    f"foundation '{name}', project '{project['name']}' (#{index})",
                    "name",
                    f"host {show(host)} is also the domain (home page) of foundation '{owner[0]}'; "
                    "hosts must be unique across foundations",
                )


CERTIFICATE_ISSUERS = ("production", "staging", "self-signed")


def _check_face(report: Report, where: str, raw: Mapping[str, Any]) -> dict:
    """Which ClusterIssuer signs the foundation's certificates, and where its own dashboards are."""
    issuer = raw.get("devstats_certificate_issuer", CERTIFICATE_ISSUERS[0])
    problem = choice_problem(issuer, CERTIFICATE_ISSUERS)
    if problem:
        report.add(where, "devstats_certificate_issuer", problem)
    checked = {"certificate_issuer": issuer}
    if "devstats_dashboards_dir" in raw:
        problem = string_problem(raw["devstats_dashboards_dir"])
        if problem:
            report.add(where, "devstats_dashboards_dir", problem)
        checked["dashboards_dir"] = raw["devstats_dashboards_dir"]
    return checked
