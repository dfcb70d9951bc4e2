# -*- coding: utf-8 -*-
# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The inventory model of docs/inventory.md: every rule preflight enforces, and the defaults it fills in.

Pure Python (standard library only) so that any plugin or test can use it. ``validate_inventory`` takes
the raw variables of every foundation and of the platform, collects every problem instead of stopping
at the first, and returns the normalized model: each foundation and project with its defaults filled in.
The single-value checks (``*_problem`` functions) return a message saying what is wrong and what is
allowed, or None when the value is fine; they are public so that other plugins reuse the same rules.
"""

from __future__ import annotations

import datetime
import decimal
import difflib
import functools
import ipaddress
import json
import re
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

FOUNDATIONS_GROUP = "devstats_foundations"
FOUNDATION_NAME_MAX = 30
# The CronJob controller appends "-<11 digits>" to a Job's name, which must stay a 63-character label.
CRONJOB_NAME_MAX = 63 - 11
# Leaves every name the roles derive from a project's (<name>-provision, the CronJob <name>-sync within
# CRONJOB_NAME_MAX, Grafana's objects) room to spare; tests check the longest name against each limit.
PROJECT_NAME_MAX = 39
# GH Archive's first hour: nothing earlier can be ingested.
GH_ARCHIVE_START = datetime.datetime(2011, 2, 12, tzinfo=datetime.timezone.utc)
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
TARGETS = ("none", "baremetal", "eks", "kubeconfig")
# Databases PostgreSQL itself owns, plus DevStats' cluster-wide one (its logs).
RESERVED_DATABASES = ("devstats", "postgres", "template0", "template1")

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
PROJECT_FIELDS = (
    "name",
    "title",
    "db",
    "orgs",
    "repos",
    "regexp",
    "exclude_repos",
    "start_date",
    "main_repo",
    "schedule",
    "timezone",
    "disk_size",
    "resources",
    "files_skip_pattern",
    "archived",
    "disabled",
)
PLATFORM_VARS = (
    "platform_target",
    "platform_kubeconfig",
    "platform_eks_region",
    "platform_eks_cluster_name",
    "platform_eks_node_groups",
    "platform_eks_vpc_cidr",
    "platform_eks_availability_zones",
    "platform_eks_nat_gateway",
    "platform_eks_subnet_ids",
    "platform_eks_endpoint_access",
    "platform_eks_public_access_cidrs",
    "platform_eks_cluster_role_arn",
    "platform_eks_node_role_arn",
    "platform_aws_profile",
    "platform_aws_endpoint_url",
    "platform_render_dir",
    "platform_letsencrypt_email",
    "platform_ingress_controller",
    "platform_ingress_baremetal_mode",
)
NODE_GROUP_FIELDS = (
    "name",
    "instance_type",
    "instance_types",
    "min_size",
    "max_size",
    "desired_size",
    "disk_size",
    "capacity_type",
    "ami_type",
    "labels",
    "taints",
)
# The groups a bare-metal cluster is built from: kubeadm initialises the first control-plane host.
BAREMETAL_GROUPS = ("kube_control_plane", "kube_nodes")

_DNS_LABEL = re.compile(r"^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$")
_PG_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# GitHub logins: letters, digits and single hyphens, not at either end, at most 39 characters.
_GITHUB_LOGIN = re.compile(r"^[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}$")
_GITHUB_REPO_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
_START_DATE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})(?: ([0-9]{2}))?$")
_QUANTITY = re.compile(
    r"^(?P<sign>[+-]?)(?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
    r"(?P<suffix>[KMGTPE]i|[numkMGTPE]|[eE][+-]?[0-9]+)?$"
)
_AWS_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}$")
_EKS_CLUSTER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
_EKS_NODE_GROUP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")
_EC2_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


@dataclass(frozen=True)
class _CronField:
    name: str
    low: int
    high: int
    names: Mapping[str, int]
    allows_question_mark: bool


# The fields of Kubernetes CronJob schedules (the robfig/cron standard parser): no seconds, no macros.
_CRON_FIELDS = (
    _CronField("minute", 0, 59, {}, False),
    _CronField("hour", 0, 23, {}, False),
    _CronField("day of month", 1, 31, {}, True),
    _CronField("month", 1, 12, {name: i + 1 for i, name in enumerate(_MONTHS)}, False),
    _CronField("day of week", 0, 6, {name: i for i, name in enumerate(_WEEKDAYS)}, True),
)
_CRON_NUMBER = re.compile(r"^[0-9]+$")


def show(value: Any) -> str:
    """Render a value as it would appear in YAML, short enough for one error line."""
    if isinstance(value, str):
        text = "'" + str(value) + "'"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif value is None:
        text = "null"
    elif isinstance(value, (int, float)):
        text = str(value)
    else:
        try:
            text = json.dumps(value, default=str, sort_keys=True)
        except (TypeError, ValueError):
            text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


# Checked in order: bool before int (a bool is an int); dates come from unquoted YAML dates.
_TYPE_NAMES: Sequence = (
    (bool, "a boolean"),
    (int, "an integer"),
    (float, "a float"),
    (str, "a string"),
    (type(None), "null"),
    (Mapping, "a mapping"),
    ((list, tuple), "a list"),
    (datetime.date, "a date"),
)


def type_name(value: Any) -> str:
    """The YAML name of a value's type, for messages."""
    for types, name in _TYPE_NAMES:
        if isinstance(value, types):
            return name
    return "a " + type(value).__name__


def _not_a(value: Any, expected: str) -> str:
    return f"{show(value)} is {type_name(value)}, not {expected}"


def string_problem(value: Any) -> Optional[str]:
    """A non-empty string."""
    if not isinstance(value, str):
        return _not_a(value, "a string")
    if not value.strip():
        return "is empty; expected a non-empty string"
    return None


def bool_problem(value: Any) -> Optional[str]:
    """A YAML boolean (true/false), not a string or number that looks like one."""
    if not isinstance(value, bool):
        return _not_a(value, "a boolean; expected true or false")
    return None


def dns_label_problem(value: Any, max_length: int = 63) -> Optional[str]:
    """A DNS-1123 label (Kubernetes object names, namespaces) of at most max_length characters."""
    if not isinstance(value, str):
        return _not_a(value, f"a DNS-1123 label (at most {max_length} characters)")
    if not _DNS_LABEL.match(value):
        return (
            f"{show(value)} is not a DNS-1123 label; expected lowercase letters, digits and '-', "
            f"starting and ending with a letter or digit, at most {max_length} characters"
        )
    if len(value) > max_length:
        return f"{show(value)} is {len(value)} characters long; expected at most {max_length}"
    return None


def dns_name_problem(value: Any) -> Optional[str]:
    """A DNS name (DNS-1123 subdomain): dot-separated labels, each at most 63 characters, 253 in all."""
    if not isinstance(value, str):
        return _not_a(value, "a DNS name")
    expected = "expected a DNS name of lowercase labels separated by dots, e.g. devstats.example.org"
    if len(value) > 253:
        return f"{show(value)} is {len(value)} characters long; {expected}, at most 253 characters"
    for label in value.split("."):
        if not _DNS_LABEL.match(label) or len(label) > 63:
            return f"{show(value)} is not a DNS name (label {show(label)}); {expected}, labels of at most 63"
    return None


def postgres_identifier_problem(value: Any) -> Optional[str]:
    """A database name that needs no quoting in SQL and is not one PostgreSQL or DevStats reserves."""
    if not isinstance(value, str):
        return _not_a(value, "a PostgreSQL identifier")
    if not _PG_IDENTIFIER.match(value):
        return (
            f"{show(value)} is not a PostgreSQL identifier; expected lowercase letters, digits and '_', "
            "not starting with a digit, at most 63 characters"
        )
    if value in RESERVED_DATABASES:
        return f"{show(value)} is reserved; expected a name other than {', '.join(RESERVED_DATABASES)}"
    return None


def github_login_problem(value: Any) -> Optional[str]:
    """A GitHub user or organization login."""
    if not isinstance(value, str):
        return _not_a(value, "a GitHub login")
    if not _GITHUB_LOGIN.match(value):
        return (
            f"{show(value)} is not a GitHub login; expected letters, digits and single '-' "
            "(not first or last), at most 39 characters"
        )
    return None


def github_repo_problem(value: Any) -> Optional[str]:
    """A repository as owner/name."""
    if not isinstance(value, str):
        return _not_a(value, "a repository 'owner/name'")
    owner, slash, name = value.partition("/")
    if (
        not slash
        or not _GITHUB_LOGIN.match(owner)
        or not _GITHUB_REPO_NAME.match(name)
        or name in (".", "..")
    ):
        return (
            f"{show(value)} is not a repository; expected 'owner/name' with a GitHub login as owner and "
            "a name of letters, digits, '.', '-' and '_' (at most 100 characters)"
        )
    return None


def regexp_problem(value: Any) -> Optional[str]:
    """A Python regular expression that compiles."""
    if not isinstance(value, str):
        return _not_a(value, "a regular expression")
    if not value:
        return "is empty; expected a Python regular expression"
    try:
        re.compile(value)
    except re.error as err:
        return f"{show(value)} is not a valid Python regular expression: {err}"
    return None


def _cron_value_problem(text: str, cron_field: _CronField) -> Optional[str]:
    if _CRON_NUMBER.match(text):
        number = int(text)
        if cron_field.low <= number <= cron_field.high:
            return None
        return f"{show(text)} is out of range {cron_field.low}-{cron_field.high}"
    if text.upper() in cron_field.names:
        return None
    allowed = f"a number {cron_field.low}-{cron_field.high}"
    if cron_field.names:
        allowed += " or a name " + "/".join(cron_field.names)
    return f"{show(text)} is not {allowed}"


def _cron_value(text: str, cron_field: _CronField) -> int:
    return int(text) if _CRON_NUMBER.match(text) else cron_field.names[text.upper()]


def _cron_span_problem(span: str, cron_field: _CronField) -> Optional[str]:
    bounds = span.split("-")
    if len(bounds) > 2 or not all(bounds):
        return f"{show(span)} is not '*', a value or a range a-b"
    problem = next((p for p in (_cron_value_problem(bound, cron_field) for bound in bounds) if p), None)
    if (
        not problem
        and len(bounds) == 2
        and _cron_value(bounds[0], cron_field) > _cron_value(bounds[1], cron_field)
    ):
        problem = f"range {show(span)} ends before it starts"
    return problem


def _cron_item_problem(item: str, cron_field: _CronField) -> Optional[str]:
    span, slash, step = item.partition("/")
    if slash and (not _CRON_NUMBER.match(step) or int(step) == 0):
        return f"step {show(step)} in {show(item)} is not a positive integer"
    if span == "*" or (span == "?" and cron_field.allows_question_mark):
        return None
    return _cron_span_problem(span, cron_field)


# Kubernetes' CronJob controller accepts these macros besides five fields.
CRON_MACROS = frozenset(("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"))


def cron_problem(value: Any) -> Optional[str]:
    """A Kubernetes CronJob schedule: a macro such as @hourly, or five fields of values, ranges and steps."""
    if not isinstance(value, str):
        return _not_a(value, "a cron expression")
    if value.strip() in CRON_MACROS:
        return None
    fields = value.split()
    if len(fields) != len(_CRON_FIELDS):
        return (
            f"{show(value)} has {len(fields)} fields; expected a 5-field cron expression "
            "(minute hour day-of-month month day-of-week), e.g. '20 */2 * * *'"
        )
    for text, cron_field in zip(fields, _CRON_FIELDS, strict=True):
        for item in text.split(","):
            problem = _cron_item_problem(item, cron_field)
            if problem:
                return f"{show(value)} is not a valid cron expression: {cron_field.name} {problem}"
    return None


@functools.lru_cache(maxsize=1)
def _timezones() -> frozenset:
    return frozenset(zoneinfo.available_timezones())


def timezone_problem(value: Any) -> Optional[str]:
    """An IANA time zone name known to this system's time zone database."""
    if not isinstance(value, str):
        return _not_a(value, "a time zone")
    if value not in _timezones():
        close = difflib.get_close_matches(value, sorted(_timezones()), n=1)
        expected = (
            f"did you mean {show(close[0])}?" if close else "expected e.g. 'Etc/UTC' or 'Europe/Berlin'"
        )
        return f"{show(value)} is not an IANA time zone; {expected}"
    return None


def quantity_problem(value: Any) -> Optional[str]:
    """A Kubernetes resource quantity greater than zero, e.g. 20Gi, 500M, 1.5Ti."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return _not_a(value, "a Kubernetes quantity such as '20Gi'")
    match = _QUANTITY.match(str(value))
    if not match:
        return f"{show(value)} is not a Kubernetes quantity; expected e.g. '20Gi' or '500M'"
    if match.group("sign") == "-" or decimal.Decimal(match.group("number")) == 0:
        return f"{show(value)} is not greater than zero; expected a size such as '20Gi'"
    return None


def resources_problem(value: Any) -> Optional[str]:
    """Container resources: a mapping of `requests` and/or `limits`, each naming quantities by resource."""
    if not isinstance(value, Mapping):
        return _not_a(value, "a mapping of 'requests' and/or 'limits'")
    unknown = sorted(str(key) for key in value if key not in ("requests", "limits"))
    if unknown:
        return f"unknown key {show(unknown[0])}; expected 'requests' and/or 'limits'"
    expected = "a mapping of resources such as {cpu: 500m, memory: 1Gi}"
    for section, amounts in value.items():
        if not isinstance(amounts, Mapping):
            return f"{section}: {_not_a(amounts, expected)}"
        if not amounts:
            return f"{section} is empty; expected {expected}"
        for resource, amount in amounts.items():
            problem = quantity_problem(amount)
            if problem:
                return f"{section}.{resource}: {problem}"
    return None


_INTERVAL = re.compile(r"^([0-9]+)([mhd])$")
_UNIT_MINUTES = {"m": 1, "h": 60, "d": 1440}


def _interval_length(value: Any) -> int:
    match = _INTERVAL.match(value) if isinstance(value, str) else None
    return int(match.group(1)) * _UNIT_MINUTES[match.group(2)] if match else 0


def interval_problem(value: Any) -> Optional[str]:
    """An interval cron repeats evenly: minutes dividing an hour, hours dividing a day, 1d or 7d."""
    minutes = _interval_length(value)
    if (0 < minutes < 60 and 60 % minutes == 0) or (
        minutes >= 60 and ((minutes % 60 == 0 and 1440 % minutes == 0) or minutes in (1440, 10080))
    ):
        return None
    return (
        f"{show(value)} is not an interval a cron schedule repeats evenly; expected minutes that divide "
        "an hour (15m, 30m), hours that divide a day (1h, 2h, 6h, 12h), 1d or 7d"
    )


def interval_minutes(value: str) -> int:
    """The minutes of an interval that passed interval_problem."""
    if interval_problem(value):
        raise ValueError(value)
    return _interval_length(value)


def storage_class_problem(value: Any) -> Optional[str]:
    """A StorageClass name, or '' for the cluster's default class."""
    return None if value == "" else dns_name_problem(value)


def _relative_path_problem(value: Any) -> Optional[str]:
    if not isinstance(value, str):
        return _not_a(value, "a path inside the repository or volume")
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
        return _not_a(value, "a mapping with one of 'git', 'config_map' or 'claim' (or {} for none)")
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
    match = _START_DATE.match(value) if isinstance(value, str) else None
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
    if start < GH_ARCHIVE_START:
        return f"{show(value)} is before {GH_ARCHIVE_START:%Y-%m-%d}, GH Archive's first hour"
    if start > now:
        return f"{show(value)} is in the future (now is {now:%Y-%m-%d %H} UTC)"
    return None


def _normalize_start_date(value: Any) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _list_problem(value: Any, item_problem: Callable[[Any], Optional[str]], what: str) -> Optional[str]:
    if not isinstance(value, (list, tuple)):
        return _not_a(value, f"a list of {what}")
    bad = [item for item in value if item_problem(item)]
    if bad:
        also = f" (also {', '.join(map(show, bad[1:]))})" if len(bad) > 1 else ""
        return f"{item_problem(bad[0])}{also}"
    duplicates = sorted({item for item in value if value.count(item) > 1})
    if duplicates:
        return f"{', '.join(map(show, duplicates))} listed more than once"
    return None


def _logins_problem(value: Any) -> Optional[str]:
    return _list_problem(value, github_login_problem, "GitHub logins")


def _repos_problem(value: Any) -> Optional[str]:
    return _list_problem(value, github_repo_problem, "repositories 'owner/name'")


def _name_problem(value: Any) -> Optional[str]:
    return dns_label_problem(value, PROJECT_NAME_MAX)


def email_problem(value: Any) -> Optional[str]:
    """An e-mail address (the ACME account)."""
    if not isinstance(value, str):
        return _not_a(value, "an e-mail address")
    if not _EMAIL.match(value):
        return f"{show(value)} is not an e-mail address; expected user@example.org"
    return None


class Unresolved:
    """Stands in for a value whose template failed, so that the other values are still checked."""

    def __init__(self, message: str) -> None:
        self.message = message

    def __repr__(self) -> str:
        return f"Unresolved({self.message!r})"


@dataclass
class Report:
    """Every problem found, each one line naming where it is, the field, the value and what is allowed."""

    errors: list = field(default_factory=list)
    # (where, field) of values that could not be templated: reported once, nothing more is said of them.
    unresolved: set = field(default_factory=set)

    def add(self, where: str, field_name: str, problem: str) -> None:
        """Record one problem of one field."""
        if (where, field_name) not in self.unresolved:
            self.errors.append(f"{where}, field '{field_name}': {problem}")

    def check(self, where: str, values: Mapping[str, Any]) -> None:
        """Reports the values among these that could not be templated and silences their other checks."""
        for key, value in values.items():
            if isinstance(value, Unresolved):
                self.add(where, str(key), f"cannot be templated: {value.message}")
                self.unresolved.add((where, str(key)))


@dataclass
class Model:
    """The result of validate_inventory: the problems and the normalized model."""

    errors: list
    foundations: dict
    platform: dict


# Fields without a default: absent from the normalized project when the inventory leaves them out.
_OPTIONAL_PROJECT_FIELDS = ("db", "regexp", "main_repo", "schedule", "files_skip_pattern")
# Checks of the project fields, in the order of PROJECT_FIELDS; start_date needs the clock and is apart.
_PROJECT_CHECKS: Mapping[str, Callable[[Any], Optional[str]]] = {
    "name": _name_problem,
    "title": string_problem,
    "db": postgres_identifier_problem,
    "orgs": _logins_problem,
    "repos": _repos_problem,
    "regexp": regexp_problem,
    "exclude_repos": _repos_problem,
    "main_repo": github_repo_problem,
    "schedule": cron_problem,
    "timezone": timezone_problem,
    "disk_size": quantity_problem,
    "resources": resources_problem,
    "files_skip_pattern": regexp_problem,
    "archived": bool_problem,
    "disabled": bool_problem,
}


def _as_list(value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple)) else []


def _unknown_key_problem(key: Any, allowed: Sequence[str], what: str = "field") -> str:
    close = difflib.get_close_matches(str(key), allowed, n=1)
    hint = f" (did you mean {show(close[0])}?)" if close else ""
    return f"unknown {what}{hint}; allowed {what}s: {', '.join(sorted(allowed))}"


def _project_where(foundation: str, index: int, raw: Any) -> str:
    name = raw.get("name") if isinstance(raw, Mapping) else None
    if isinstance(name, str) and name:
        return f"foundation '{foundation}', project '{name}' (#{index})"
    return f"foundation '{foundation}', project #{index}"


def _check_project_fields(report: Report, where: str, raw: Mapping[str, Any], now: datetime.datetime) -> None:
    for key in raw:
        if key not in PROJECT_FIELDS:
            report.add(where, str(key), _unknown_key_problem(key, PROJECT_FIELDS))
    for required in ("name", "start_date"):
        if required not in raw:
            report.add(where, required, "is required")
    checks = dict(_PROJECT_CHECKS, start_date=lambda value: start_date_problem(value, now))
    for key, check in checks.items():
        problem = check(raw[key]) if key in raw else None
        if problem:
            report.add(where, key, problem)
    if not any(raw.get(key) for key in ("orgs", "repos", "regexp")):
        report.add(where, "orgs", "no repositories: expected at least one of 'orgs', 'repos' or 'regexp'")


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
        report.add(where, "*", _not_a(raw, "a mapping of project fields"))
        return None
    report.check(where, raw)
    _check_project_fields(report, where, raw, now)
    name = raw.get("name")
    project = {
        "name": name,
        "title": raw.get("title", name),
        "orgs": _as_list(raw.get("orgs")),
        "repos": _as_list(raw.get("repos")),
        "exclude_repos": _as_list(raw.get("exclude_repos")),
        "timezone": raw.get("timezone", settings["time_zone"]),
        "disk_size": raw.get("disk_size", settings["project_disk_size"]),
        "resources": raw.get("resources", settings["resources"]),
        "archived": raw.get("archived", False),
        "disabled": raw.get("disabled", False),
    }
    project.update((key, raw[key]) for key in _OPTIONAL_PROJECT_FIELDS if key in raw)
    if "start_date" in raw:
        project["start_date"] = _normalize_start_date(raw["start_date"])
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
        report.add(where, "devstats_projects", _not_a(raw_projects, "a list of projects"))
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


def _check_foundation(
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


def _check_across_foundations(report: Report, foundations: Mapping[str, dict]) -> None:
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


def aws_region_problem(value: Any) -> Optional[str]:
    """An AWS region name such as eu-west-1."""
    if isinstance(value, str) and _AWS_REGION.match(value):
        return None
    return f"{show(value)} is not an AWS region; expected e.g. 'eu-west-1'"


def eks_cluster_name_problem(value: Any) -> Optional[str]:
    """An EKS cluster name."""
    if isinstance(value, str) and _EKS_CLUSTER_NAME.match(value):
        return None
    return (
        f"{show(value)} is not an EKS cluster name; expected letters, digits, '-' and '_', "
        "starting with a letter or digit, at most 100 characters"
    )


# EKS managed node groups: the API's capacity types, and the AMI types of community.aws.eks_nodegroup
# that EKS still publishes for current Kubernetes versions (no Amazon Linux 2 AMIs from 1.33 on).
EKS_CAPACITY_TYPES = ("ON_DEMAND", "SPOT")
EKS_AMI_TYPES = ("BOTTLEROCKET_x86_64", "BOTTLEROCKET_ARM_64")
# Kubernetes' taint effects, as the inventory writes them, and the EKS API's names for them.
EKS_TAINT_EFFECTS = {
    "NoSchedule": "NO_SCHEDULE",
    "PreferNoSchedule": "PREFER_NO_SCHEDULE",
    "NoExecute": "NO_EXECUTE",
}
EKS_ENDPOINT_ACCESS = ("public", "public_and_private", "private")
EKS_NODE_DISK_MIN_GIB = 20
EKS_NODE_DISK_MAX_GIB = 16384
EKS_VPC_PREFIXES = (16, 20)
# IAM role names are at most 64 characters; the role derives its two role names from the cluster's.
IAM_ROLE_NAME_MAX = 64
EKS_ROLE_SUFFIXES = ("-eks-cluster", "-eks-node")
EKS_DEFAULTS = {
    "eks_vpc_cidr": "10.0.0.0/16",
    "eks_nat_gateway": True,
    "eks_endpoint_access": "public",
    "eks_public_access_cidrs": ["0.0.0.0/0"],
}
# Where the EKS cluster stage writes the kubeconfig the later stages read, unless platform_kubeconfig says.
EKS_KUBECONFIG = "~/.kube/devstats-{name}.yaml"

_GRAVITON_INSTANCE = re.compile(r"^[a-z]+[0-9]+[a-z]*g[a-z]*\.")
_SUBNET_ID = re.compile(r"^subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
_IAM_ROLE_ARN = re.compile(r"^arn:aws(?:-[a-z]+)*:iam::[0-9]{12}:role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}$")
_URL = re.compile(r"^https?://[^\s/?#]+(?:/[^\s]*)?$")
_LABEL_NAME = re.compile(r"^[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
_LABEL_VALUE = re.compile(r"^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")


def _node_group_name_problem(value: Any) -> Optional[str]:
    if isinstance(value, str) and _EKS_NODE_GROUP_NAME.match(value):
        return None
    return (
        f"{show(value)} is not a node group name; expected letters, digits, '-' and '_', "
        "starting with a letter or digit, at most 63 characters"
    )


def _instance_type_problem(value: Any) -> Optional[str]:
    if isinstance(value, str) and _EC2_INSTANCE_TYPE.match(value):
        return None
    return f"{show(value)} is not an EC2 instance type; expected e.g. 'm6i.2xlarge'"


def _instance_types_problem(value: Any) -> Optional[str]:
    if isinstance(value, (list, tuple)) and not value:
        return "is empty; expected at least one EC2 instance type"
    return _list_problem(value, _instance_type_problem, "EC2 instance types")


def _node_count_problem(value: Any) -> Optional[str]:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return None
    return f"{show(value)} is not a whole number of nodes (0 or more)"


def _disk_size_problem(value: Any) -> Optional[str]:
    low, high = EKS_NODE_DISK_MIN_GIB, EKS_NODE_DISK_MAX_GIB
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return None
    return f"{show(value)} is not a disk size in GiB; expected a whole number from {low} to {high}"


def _one_of(choices: Sequence[str]) -> Callable[[Any], Optional[str]]:
    """The check of a field whose value is one of `choices` (the message is _choice_problem's)."""
    return lambda value: _choice_problem(value, choices)


def label_key_problem(value: Any) -> Optional[str]:
    """A Kubernetes label or taint key: an optional DNS-name prefix and '/', then a name of 63 at most."""
    if not isinstance(value, str):
        return _not_a(value, "a Kubernetes label key")
    prefix, slash, name = value.rpartition("/")
    if (slash and dns_name_problem(prefix)) or not _LABEL_NAME.match(name):
        return (
            f"{show(value)} is not a Kubernetes label key; expected an optional DNS prefix and '/', then "
            "letters, digits, '-', '_' and '.', starting and ending with a letter or digit, at most 63"
        )
    return None


def label_value_problem(value: Any) -> Optional[str]:
    """A Kubernetes label or taint value: empty, or 63 characters at most of the label alphabet."""
    if isinstance(value, str) and _LABEL_VALUE.match(value):
        return None
    return (
        f"{show(value)} is not a Kubernetes label value; expected a string of letters, digits, '-', '_' and "
        "'.', starting and ending with a letter or digit, at most 63 characters"
    )


def _labels_problem(value: Any) -> Optional[str]:
    if not isinstance(value, Mapping):
        return _not_a(value, "a mapping of Kubernetes labels")
    for key, label in value.items():
        problem = label_key_problem(key) or label_value_problem(label)
        if problem:
            return problem
    return None


def _taint_problem(value: Any) -> Optional[str]:
    if not isinstance(value, Mapping):
        return _not_a(value, "a taint {key, value, effect}")
    unknown = [key for key in value if key not in ("key", "value", "effect")]
    if unknown:
        return f"{show(unknown[0])} is not a taint field; expected key, value and effect"
    if "key" not in value or "effect" not in value:
        return (
            f"{show(dict(value))} lacks {'key' if 'key' not in value else 'effect'}; expected key and effect"
        )
    effect = value["effect"]
    if effect not in EKS_TAINT_EFFECTS:
        return f"effect {show(effect)} is not one of {', '.join(EKS_TAINT_EFFECTS)}"
    return label_key_problem(value["key"]) or label_value_problem(value.get("value", ""))


def _taints_problem(value: Any) -> Optional[str]:
    if not isinstance(value, (list, tuple)):
        return _not_a(value, "a list of taints")
    return next((problem for problem in map(_taint_problem, value) if problem), None)


_NODE_GROUP_CHECKS: Mapping[str, Callable[[Any], Optional[str]]] = {
    "name": _node_group_name_problem,
    "instance_type": _instance_type_problem,
    "instance_types": _instance_types_problem,
    "min_size": _node_count_problem,
    "max_size": _node_count_problem,
    "desired_size": _node_count_problem,
    "disk_size": _disk_size_problem,
    "capacity_type": _one_of(EKS_CAPACITY_TYPES),
    "ami_type": _one_of(EKS_AMI_TYPES),
    "labels": _labels_problem,
    "taints": _taints_problem,
}
_NODE_GROUP_REQUIRED = ("name", "min_size", "max_size", "desired_size")


def _check_node_group_sizes(report: Report, where: str, group: Mapping[str, Any]) -> None:
    low, high, desired = group["min_size"], group["max_size"], group["desired_size"]
    if high < 1:
        report.add(where, "max_size", "is 0; expected at least 1 node")
    elif not low <= desired <= high:
        report.add(where, "desired_size", f"{desired} is not between min_size {low} and max_size {high}")


def _node_group_ami_type(report: Report, where: str, group: Mapping[str, Any], instance_types: list) -> str:
    """The explicit ami_type, else the Bottlerocket AMI of the instance types' architecture."""
    if "ami_type" in group:
        return group["ami_type"]
    graviton = {bool(_GRAVITON_INSTANCE.match(kind)) for kind in instance_types if isinstance(kind, str)}
    if len(graviton) > 1:
        report.add(
            where,
            "instance_types",
            f"{show(instance_types)} mixes arm64 (Graviton) and x86_64 types; one node group runs one AMI, "
            "so split them or set ami_type",
        )
    return EKS_AMI_TYPES[1] if graviton == {True} else EKS_AMI_TYPES[0]


def _check_node_group(report: Report, where: str, group: Mapping[str, Any]) -> dict:
    """Checks one node group; returns it normalized (instance_types, defaults, the ami_type it runs)."""
    for key in group:
        if key not in NODE_GROUP_FIELDS:
            report.add(where, str(key), _unknown_key_problem(key, NODE_GROUP_FIELDS))
    bad = {key for key in _NODE_GROUP_REQUIRED if key not in group}
    for key in sorted(bad, key=_NODE_GROUP_REQUIRED.index):
        report.add(where, key, "is required")
    if ("instance_type" in group) == ("instance_types" in group):
        report.add(where, "instance_type", "expected exactly one of instance_type and instance_types")
    for key, check in _NODE_GROUP_CHECKS.items():
        problem = check(group[key]) if key in group else None
        if problem:
            report.add(where, key, problem)
            bad.add(key)
    if not bad & {"min_size", "max_size", "desired_size"}:
        _check_node_group_sizes(report, where, group)
    instance_types = _as_list(group.get("instance_types", [group.get("instance_type")]))
    taints = [
        {"key": taint["key"], "value": taint.get("value", ""), "effect": taint["effect"]}
        for taint in _as_list(group.get("taints"))
        if isinstance(taint, Mapping) and "key" in taint and "effect" in taint
    ]
    return {
        "name": group.get("name"),
        "instance_types": instance_types,
        "min_size": group.get("min_size"),
        "max_size": group.get("max_size"),
        "desired_size": group.get("desired_size"),
        "disk_size": group.get("disk_size", 50),
        "capacity_type": group.get("capacity_type", "ON_DEMAND"),
        "ami_type": _node_group_ami_type(report, where, group, instance_types),
        "labels": dict(group.get("labels") or {}),
        "taints": taints,
    }


def _check_node_groups(report: Report, value: Any) -> list:
    variable = "platform_eks_node_groups"
    if not isinstance(value, (list, tuple)):
        report.add("platform", variable, _not_a(value, "a list of node groups"))
        return []
    if not value:
        report.add("platform", variable, "is empty; expected at least one node group")
    first_index: dict = {}
    groups = []
    for index, group in enumerate(value, start=1):
        if not isinstance(group, Mapping):
            report.add(f"platform, node group #{index}", "*", _not_a(group, "a mapping of node group fields"))
            continue
        name = group.get("name")
        if not isinstance(name, str):
            groups.append(_check_node_group(report, f"platform, node group #{index}", group))
            continue
        where = f"platform, node group '{name}' (#{index})"
        groups.append(_check_node_group(report, where, group))
        if name in first_index:
            report.add(where, "name", f"{show(name)} is also the name of node group #{first_index[name]}")
        first_index.setdefault(name, index)
    return groups


def _ipv4_network(value: Any) -> Optional[ipaddress.IPv4Network]:
    """The IPv4 network a CIDR such as 10.0.0.0/16 names (host bits zero), or None."""
    if not isinstance(value, str) or "/" not in value:
        return None
    try:
        return ipaddress.IPv4Network(value)
    except ValueError:
        return None


def cidr_problem(value: Any) -> Optional[str]:
    """An IPv4 CIDR block with its host bits zero, such as 10.0.0.0/16."""
    if _ipv4_network(value) is None:
        return f"{show(value)} is not an IPv4 CIDR block; expected e.g. '10.0.0.0/16' (host bits zero)"
    return None


def _vpc_cidr_problem(value: Any) -> Optional[str]:
    network = _ipv4_network(value)
    low, high = EKS_VPC_PREFIXES
    if network is None:
        return cidr_problem(value)
    if not low <= network.prefixlen <= high:
        return (
            f"{show(value)} has a /{network.prefixlen} prefix; expected /{low} to /{high}, so that each of "
            "the eight subnets the VPC is split into has room for nodes and pods"
        )
    return None


def _subnet_ids_problem(value: Any) -> Optional[str]:
    if isinstance(value, (list, tuple)) and len(value) < 2:
        return (
            f"{show(value)} names {len(value)} subnet(s); EKS needs subnets in two availability zones or more"
        )

    def subnet_problem(subnet: Any) -> Optional[str]:
        if isinstance(subnet, str) and _SUBNET_ID.match(subnet):
            return None
        return f"{show(subnet)} is not a subnet ID; expected e.g. 'subnet-0123456789abcdef0'"

    return _list_problem(value, subnet_problem, "subnet IDs")


def _cidrs_problem(value: Any) -> Optional[str]:
    if isinstance(value, (list, tuple)) and not value:
        return "is empty; expected at least one CIDR block such as '203.0.113.0/24'"
    return _list_problem(value, cidr_problem, "IPv4 CIDR blocks")


def iam_role_arn_problem(value: Any) -> Optional[str]:
    """The ARN of an IAM role."""
    if isinstance(value, str) and _IAM_ROLE_ARN.match(value):
        return None
    return f"{show(value)} is not an IAM role ARN; expected e.g. 'arn:aws:iam::123456789012:role/eks-cluster'"


def url_problem(value: Any) -> Optional[str]:
    """An http or https URL."""
    if isinstance(value, str) and _URL.match(value):
        return None
    return f"{show(value)} is not an http(s) URL; expected e.g. 'https://vpce.example.internal'"


_EKS_NETWORK_OF_OUR_OWN = (
    "platform_eks_vpc_cidr",
    "platform_eks_availability_zones",
    "platform_eks_nat_gateway",
)


def _check_eks_network(report: Report, raw: Mapping[str, Any]) -> None:
    """Either subnets the inventory names, or a VPC of ours; availability zones in the region."""
    if "platform_eks_subnet_ids" in raw:
        for variable in _EKS_NETWORK_OF_OUR_OWN:
            if variable in raw:
                report.add(
                    "platform",
                    variable,
                    "is set together with platform_eks_subnet_ids; expected either subnets of an existing "
                    "VPC or the settings of a VPC this collection creates, not both",
                )
    zones = raw.get("platform_eks_availability_zones")
    if "platform_eks_availability_zones" not in raw or isinstance(zones, Unresolved):
        return
    region = raw.get("platform_eks_region")
    known_region = isinstance(region, str) and not aws_region_problem(region)

    pattern = re.compile(
        rf"^{re.escape(region)}[a-z]$" if known_region else r"^[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}[a-z]$"
    )
    example = f"{region}a" if known_region else "eu-west-1a"

    def zone_problem(zone: Any) -> Optional[str]:
        if isinstance(zone, str) and pattern.match(zone):
            return None
        return f"{show(zone)} is not an availability zone of the region; expected e.g. '{example}'"

    problem = _list_problem(zones, zone_problem, "availability zones")
    if not problem and not 2 <= len(zones) <= 4:
        count = len(zones)
        problem = (
            f"{show(zones)} names {count} zone(s); expected 2 to 4, each with a public and a private subnet"
        )
    if problem:
        report.add("platform", "platform_eks_availability_zones", problem)


def _check_eks_endpoint(report: Report, raw: Mapping[str, Any]) -> None:
    if raw.get("platform_eks_endpoint_access") == "private" and "platform_eks_public_access_cidrs" in raw:
        report.add(
            "platform",
            "platform_eks_public_access_cidrs",
            "is set with platform_eks_endpoint_access 'private'; a private endpoint has no public access",
        )


def _check_eks_role_names(report: Report, raw: Mapping[str, Any]) -> None:
    """The IAM role names derived from the cluster's name must fit IAM's limit, unless both are given."""
    name = raw.get("platform_eks_cluster_name")
    if not isinstance(name, str) or eks_cluster_name_problem(name):
        return
    if all(variable in raw for variable in ("platform_eks_cluster_role_arn", "platform_eks_node_role_arn")):
        return
    longest = max(len(name + suffix) for suffix in EKS_ROLE_SUFFIXES)
    if longest > IAM_ROLE_NAME_MAX:
        report.add(
            "platform",
            "platform_eks_cluster_name",
            f"{show(name)} is {len(name)} characters long: the IAM role names derived from it "
            f"('<name>{EKS_ROLE_SUFFIXES[0]}', '<name>{EKS_ROLE_SUFFIXES[1]}') would exceed IAM's "
            f"{IAM_ROLE_NAME_MAX}; use at most {IAM_ROLE_NAME_MAX - longest + len(name)} characters or set "
            "platform_eks_cluster_role_arn and platform_eks_node_role_arn",
        )


def _eks_defaults(raw: Mapping[str, Any]) -> dict:
    """The EKS settings the inventory may leave out, as the cluster stage uses them."""
    defaults: dict = {"kubeconfig": EKS_KUBECONFIG.format(name=raw.get("platform_eks_cluster_name"))}
    for key, value in EKS_DEFAULTS.items():
        if "platform_eks_subnet_ids" in raw and key in ("eks_vpc_cidr", "eks_nat_gateway"):
            continue
        if key == "eks_public_access_cidrs" and raw.get("platform_eks_endpoint_access") == "private":
            continue
        defaults[key] = value
    return defaults


def _check_aws_credentials(
    report: Report, raw: Mapping[str, Any], resolve: Callable[[Optional[str]], Optional[str]]
) -> None:
    """Credentials must be found for the profile (or the default chain) before anything is created."""
    profile = raw.get("platform_aws_profile")
    if profile is not None and (isinstance(profile, Unresolved) or string_problem(profile)):
        return
    problem = resolve(profile)
    if problem:
        report.add("platform", "platform_aws_profile", problem)


_PLATFORM_CHECKS: Mapping[str, Callable[[Any], Optional[str]]] = {
    "platform_kubeconfig": string_problem,
    "platform_render_dir": string_problem,
    "platform_letsencrypt_email": email_problem,
    "platform_eks_region": aws_region_problem,
    "platform_eks_cluster_name": eks_cluster_name_problem,
    "platform_eks_vpc_cidr": _vpc_cidr_problem,
    "platform_eks_nat_gateway": bool_problem,
    "platform_eks_subnet_ids": _subnet_ids_problem,
    "platform_eks_endpoint_access": _one_of(EKS_ENDPOINT_ACCESS),
    "platform_eks_public_access_cidrs": _cidrs_problem,
    "platform_eks_cluster_role_arn": iam_role_arn_problem,
    "platform_eks_node_role_arn": iam_role_arn_problem,
    "platform_aws_profile": string_problem,
    "platform_aws_endpoint_url": url_problem,
}
# Checked with the region they must belong to, in _check_eks_network.
_PLATFORM_CHECKS_ELSEWHERE = ("platform_eks_availability_zones",)
_REQUIRED_PER_TARGET: Mapping[str, Sequence[str]] = {
    "none": (),
    "baremetal": ("platform_letsencrypt_email",),
    "eks": (
        "platform_eks_region",
        "platform_eks_cluster_name",
        "platform_eks_node_groups",
        "platform_letsencrypt_email",
    ),
    "kubeconfig": ("platform_kubeconfig", "platform_letsencrypt_email"),
}


def _check_target(
    report: Report, raw: Mapping[str, Any], groups: Mapping[str, Sequence[str]]
) -> Optional[str]:
    """The target when it is known, after checking the variables and groups it requires."""
    target = raw.get("platform_target")
    expected = f"expected one of {', '.join(TARGETS)}"
    if "platform_target" not in raw:
        report.add("platform", "platform_target", f"is required; {expected}")
        return None
    if not isinstance(target, str) or target not in TARGETS:
        report.add("platform", "platform_target", f"{show(target)} is not a known target; {expected}")
        return None
    for variable in _REQUIRED_PER_TARGET[target]:
        if variable not in raw:
            report.add("platform", variable, f"is required with platform_target {show(target)}")
    if target == "baremetal":
        for group in BAREMETAL_GROUPS:
            if not groups.get(group):
                report.add(
                    "platform",
                    "platform_target",
                    f"'baremetal' needs at least one host in the group '{group}'",
                )
    return target


def _check_platform(
    report: Report,
    raw: Mapping[str, Any],
    groups: Mapping[str, Sequence[str]],
    aws_credentials: Optional[Callable[[Optional[str]], Optional[str]]],
) -> dict:
    report.check("platform", raw)
    for key in raw:
        if key not in PLATFORM_VARS:
            report.add("platform", str(key), _unknown_key_problem(key, PLATFORM_VARS, "variable"))
    platform: dict = {}
    target = _check_target(report, raw, groups)
    if target:
        platform["target"] = target
    if target == "eks":
        platform.update(_eks_defaults(raw))
    for variable, check in _PLATFORM_CHECKS.items():
        if variable in raw:
            problem = check(raw[variable])
            if problem:
                report.add("platform", variable, problem)
            platform[variable[len("platform_") :]] = raw[variable]
    for variable in _PLATFORM_CHECKS_ELSEWHERE:
        if variable in raw:
            platform[variable[len("platform_") :]] = raw[variable]
    _check_eks_network(report, raw)
    _check_eks_endpoint(report, raw)
    if "platform_eks_node_groups" in raw:
        platform["eks_node_groups"] = _check_node_groups(report, raw["platform_eks_node_groups"])
    if target == "eks":
        _check_eks_role_names(report, raw)
        if aws_credentials is not None:
            _check_aws_credentials(report, raw, aws_credentials)
    platform.update(_check_ingress(report, raw))
    return platform


def validate_inventory(
    foundations: Mapping[str, Mapping[str, Any]],
    platform: Mapping[str, Any],
    groups: Optional[Mapping[str, Sequence[str]]] = None,
    now: Optional[datetime.datetime] = None,
    aws_credentials: Optional[Callable[[Optional[str]], Optional[str]]] = None,
) -> Model:
    """Validates the whole inventory model and fills in its defaults.

    foundations: foundation name -> its variables (those of FOUNDATION_VARS, and any platform_*
    it sees, which must equal the platform's); platform: every platform_* variable defined (unknown ones
    are errors); groups: the inventory's groups (bare metal needs some); now: the clock start_date is
    checked against (UTC, default: the current time); aws_credentials: for platform_target eks, a function
    of platform_aws_profile (None for the default chain) that returns why no AWS credentials can be
    found, or None when they can (module_utils.aws_credentials.credentials_problem); without it
    credentials are not looked at.
    """
    report = Report()
    now = now or datetime.datetime.now(datetime.timezone.utc)
    groups = groups or {}
    if not foundations:
        report.add(
            f"group '{FOUNDATIONS_GROUP}'",
            "hosts",
            "has no hosts; expected one host per foundation (see docs/inventory.md)",
        )
    checked = {name: _check_foundation(report, name, raw, platform, now) for name, raw in foundations.items()}
    _check_across_foundations(report, checked)
    checked_platform = _check_platform(report, platform, groups, aws_credentials)
    return Model(errors=report.errors, foundations=checked, platform=checked_platform)


# --- the service's face: ingress, certificates, dashboards -----------------------------------------

INGRESS_CONTROLLERS = ("ingress-nginx", "traefik")
INGRESS_BAREMETAL_MODES = ("host-ports", "node-port")
CERTIFICATE_ISSUERS = ("production", "staging", "self-signed")


def _choice_problem(value: Any, choices: Sequence[str]) -> Optional[str]:
    if isinstance(value, str) and value in choices:
        return None
    return f"{show(value)} is not one of {', '.join(choices)}"


def _check_ingress(report: Report, raw: Mapping[str, Any]) -> dict:
    """The ingress controller (ingress-nginx by default) and how bare-metal nodes expose it."""
    checked = {}
    for variable, choices in (
        ("platform_ingress_controller", INGRESS_CONTROLLERS),
        ("platform_ingress_baremetal_mode", INGRESS_BAREMETAL_MODES),
    ):
        value = raw.get(variable, choices[0])
        problem = _choice_problem(value, choices)
        if problem:
            report.add("platform", variable, problem)
        checked[variable[len("platform_") :]] = value
    return checked


def _check_face(report: Report, where: str, raw: Mapping[str, Any]) -> dict:
    """Which ClusterIssuer signs the foundation's certificates, and where its own dashboards are."""
    issuer = raw.get("devstats_certificate_issuer", CERTIFICATE_ISSUERS[0])
    problem = _choice_problem(issuer, CERTIFICATE_ISSUERS)
    if problem:
        report.add(where, "devstats_certificate_issuer", problem)
    checked = {"certificate_issuer": issuer}
    if "devstats_dashboards_dir" in raw:
        problem = string_problem(raw["devstats_dashboards_dir"])
        if problem:
            report.add(where, "devstats_dashboards_dir", problem)
        checked["dashboards_dir"] = raw["devstats_dashboards_dir"]
    return checked
