# -*- coding: utf-8 -*-
# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The vocabulary of the inventory model: single-value checks and the report that collects problems.

Pure Python (standard library only) so that any plugin or test can use it. Each ``*_problem`` function
returns a message saying what is wrong and what is allowed, or None when the value is fine; they are
public so that other plugins reuse the same rules.
"""

from __future__ import annotations

import datetime
import decimal
import difflib
import functools
import json
import re
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

_DNS_LABEL = re.compile(r"^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$")


_QUANTITY = re.compile(
    r"^(?P<sign>[+-]?)(?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
    r"(?P<suffix>[KMGTPE]i|[numkMGTPE]|[eE][+-]?[0-9]+)?$"
)


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


def not_a(value: Any, expected: str) -> str:
    return f"{show(value)} is {type_name(value)}, not {expected}"


def string_problem(value: Any) -> Optional[str]:
    """A non-empty string."""
    if not isinstance(value, str):
        return not_a(value, "a string")
    if not value.strip():
        return "is empty; expected a non-empty string"
    return None


def bool_problem(value: Any) -> Optional[str]:
    """A YAML boolean (true/false), not a string or number that looks like one."""
    if not isinstance(value, bool):
        return not_a(value, "a boolean; expected true or false")
    return None


def dns_label_problem(value: Any, max_length: int = 63) -> Optional[str]:
    """A DNS-1123 label (Kubernetes object names, namespaces) of at most max_length characters."""
    if not isinstance(value, str):
        return not_a(value, f"a DNS-1123 label (at most {max_length} characters)")
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
        return not_a(value, "a DNS name")
    expected = "expected a DNS name of lowercase labels separated by dots, e.g. devstats.example.org"
    if len(value) > 253:
        return f"{show(value)} is {len(value)} characters long; {expected}, at most 253 characters"
    for label in value.split("."):
        if not _DNS_LABEL.match(label) or len(label) > 63:
            return f"{show(value)} is not a DNS name (label {show(label)}); {expected}, labels of at most 63"
    return None


def regexp_problem(value: Any) -> Optional[str]:
    """A Python regular expression that compiles."""
    if not isinstance(value, str):
        return not_a(value, "a regular expression")
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
        return not_a(value, "a cron expression")
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
        return not_a(value, "a time zone")
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
        return not_a(value, "a Kubernetes quantity such as '20Gi'")
    match = _QUANTITY.match(str(value))
    if not match:
        return f"{show(value)} is not a Kubernetes quantity; expected e.g. '20Gi' or '500M'"
    if match.group("sign") == "-" or decimal.Decimal(match.group("number")) == 0:
        return f"{show(value)} is not greater than zero; expected a size such as '20Gi'"
    return None


def resources_problem(value: Any) -> Optional[str]:
    """Container resources: a mapping of `requests` and/or `limits`, each naming quantities by resource."""
    if not isinstance(value, Mapping):
        return not_a(value, "a mapping of 'requests' and/or 'limits'")
    unknown = sorted(str(key) for key in value if key not in ("requests", "limits"))
    if unknown:
        return f"unknown key {show(unknown[0])}; expected 'requests' and/or 'limits'"
    expected = "a mapping of resources such as {cpu: 500m, memory: 1Gi}"
    for section, amounts in value.items():
        if not isinstance(amounts, Mapping):
            return f"{section}: {not_a(amounts, expected)}"
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


def list_problem(value: Any, item_problem: Callable[[Any], Optional[str]], what: str) -> Optional[str]:
    if not isinstance(value, (list, tuple)):
        return not_a(value, f"a list of {what}")
    bad = [item for item in value if item_problem(item)]
    if bad:
        also = f" (also {', '.join(map(show, bad[1:]))})" if len(bad) > 1 else ""
        return f"{item_problem(bad[0])}{also}"
    duplicates = sorted({item for item in value if value.count(item) > 1})
    if duplicates:
        return f"{', '.join(map(show, duplicates))} listed more than once"
    return None


def email_problem(value: Any) -> Optional[str]:
    """An e-mail address (the ACME account)."""
    if not isinstance(value, str):
        return not_a(value, "an e-mail address")
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


def as_list(value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple)) else []


def unknown_key_problem(key: Any, allowed: Sequence[str], what: str = "field") -> str:
    close = difflib.get_close_matches(str(key), allowed, n=1)
    hint = f" (did you mean {show(close[0])}?)" if close else ""
    return f"unknown {what}{hint}; allowed {what}s: {', '.join(sorted(allowed))}"


def one_of(choices: Sequence[str]) -> Callable[[Any], Optional[str]]:
    """The check of a field whose value is one of `choices` (the message is choice_problem's)."""
    return lambda value: choice_problem(value, choices)


def choice_problem(value: Any, choices: Sequence[str]) -> Optional[str]:
    if isinstance(value, str) and value in choices:
        return None
    return f"{show(value)} is not one of {', '.join(choices)}"


def check_platform_values(
    report: Report, raw: Mapping[str, Any], checks: Mapping[str, Callable[[Any], Optional[str]]]
) -> dict:
    """Each platform variable of `checks` that is set, checked on its own and reported under 'platform';
    returns the values set, keyed without the platform_ prefix (a bad value is kept, the report fails)."""
    given = {}
    for variable, check in checks.items():
        if variable in raw:
            problem = check(raw[variable])
            if problem:
                report.add("platform", variable, problem)
            given[variable[len("platform_") :]] = raw[variable]
    return given
