# -*- coding: utf-8 -*-
# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""A panel's SQL as Grafana sends it to PostgreSQL: template variables, then the data source's macros.

Grafana does this in two places, and this module follows both (facts from Grafana's documentation and
source, nothing copied): the browser replaces template variables (``$var``, ``${var}``, ``${var:fmt}``,
``[[var]]``; a single value of a variable that is neither multi-value nor include-all goes in as it is,
with ``'`` doubled, other values as quoted literals joined by commas; unknown names stay as they are),
then the server replaces ``$__interval_ms``, ``$__interval``, ``$__unixEpochFrom()``, ``$__unixEpochTo()``
and the PostgreSQL macros ``$__name(args)`` (``$__timeFilter(col)`` becomes ``col BETWEEN '<from>' AND
'<to>'`` in RFC 3339, ``$__timeGroupAlias(col, '1h')`` becomes ``floor(extract(epoch from col)/3600)*3600
AS "time"``, ...). Fill modes of ``$__timeGroup`` change the response, not the SQL, and are not modelled.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Union

Value = Union[str, list]

_VARIABLE = re.compile(r"\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}")
_MACRO = re.compile(r"\$([_a-zA-Z0-9]+)\(([^)]*)\)")
_INTERVAL = re.compile(r"^([0-9]+)(ms|s|m|h|d|w)$")
_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class GrafanaSqlError(ValueError):
    """A macro Grafana would refuse (unknown name, missing argument, bad interval)."""


@dataclass(frozen=True)
class Variable:
    """A template variable's current value and the two flags that decide how it is quoted."""

    value: Value
    multi: bool = False
    include_all: bool = False


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _formatted(variable: Variable, fmt: str | None) -> str:
    values = variable.value if isinstance(variable.value, list) else [variable.value]
    if fmt == "raw":
        return ",".join(values)
    if fmt in ("sqlstring", "singlequote"):
        return ",".join(_quote(v) for v in values)
    if fmt == "csv":
        return ",".join(values)
    if fmt == "doublequote":
        return ",".join('"' + v.replace('"', '\\"') + '"' for v in values)
    if fmt is not None:
        raise GrafanaSqlError(f"variable format {fmt!r} is not supported here")
    if isinstance(variable.value, str) and not (variable.multi or variable.include_all):
        return variable.value.replace("'", "''")
    return ",".join(_quote(v) for v in values)


def replace_variables(sql: str, variables: Mapping[str, Variable]) -> str:
    """The browser's step: every known template variable replaced, unknown names left as written."""

    def replace(match: re.Match) -> str:
        name = match.group(1) or match.group(2) or match.group(4)
        fmt = match.group(3) or match.group(6)
        if name not in variables:
            return match.group(0)
        return _formatted(variables[name], fmt)

    return _VARIABLE.sub(replace, sql)


def _rfc3339(moment: datetime.datetime) -> str:
    """Go's time.RFC3339Nano of a UTC time: no fraction when it is zero, trailing zeros trimmed."""
    utc = moment.astimezone(datetime.timezone.utc) if moment.tzinfo else moment
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += ("." + f"{utc.microsecond:06d}").rstrip("0")
    return text + "Z"


def _epoch(moment: datetime.datetime) -> int:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)
    return int(aware.timestamp())


def _interval_seconds(text: str) -> float:
    match = _INTERVAL.match(text.strip().strip("'"))
    if not match:
        raise GrafanaSqlError(f"error parsing interval {text}")
    return int(match.group(1)) * _SECONDS[match.group(2)]


def _number(value: float) -> str:
    """Go's %v of a float64: integral values without a fraction."""
    return str(int(value)) if float(value).is_integer() else repr(value)


def _macro(name: str, args: list[str], start: datetime.datetime, end: datetime.datetime) -> str:
    needs_column = name in ("__time", "__timeEpoch", "__timeFilter", "__unixEpochFilter")
    if needs_column and (not args or not args[0]):
        raise GrafanaSqlError(f"missing time column argument for macro {name}")
    simple = {
        "__time": lambda: f'{args[0]} AS "time"',
        "__timeEpoch": lambda: f'extract(epoch from {args[0]}) as "time"',
        "__timeFilter": lambda: f"{args[0]} BETWEEN '{_rfc3339(start)}' AND '{_rfc3339(end)}'",
        "__timeFrom": lambda: f"'{_rfc3339(start)}'",
        "__timeTo": lambda: f"'{_rfc3339(end)}'",
        "__unixEpochFilter": lambda: f"{args[0]} >= {_epoch(start)} AND {args[0]} <= {_epoch(end)}",
    }
    if name in simple:
        return simple[name]()
    if name in ("__timeGroup", "__timeGroupAlias", "__unixEpochGroup", "__unixEpochGroupAlias"):
        if len(args) < 2:
            raise GrafanaSqlError(f"macro {name} needs time column and interval and optional fill value")
        seconds = _number(_interval_seconds(args[1]))
        if name.startswith("__timeGroup"):
            expression = f"floor(extract(epoch from {args[0]})/{seconds})*{seconds}"
        else:
            expression = f"floor(({args[0]})/{seconds})*{seconds}"
        return expression + (' AS "time"' if name.endswith("Alias") else "")
    raise GrafanaSqlError(f"unknown macro {name!r}")


def replace_macros(sql: str, start: datetime.datetime, end: datetime.datetime, interval: str = "1h") -> str:
    """The server's step: global interval and epoch variables, then the PostgreSQL macros."""
    seconds = _interval_seconds(interval)
    sql = sql.replace("$__interval_ms", str(int(seconds * 1000))).replace("$__interval", interval)
    sql = sql.replace("$__unixEpochFrom()", str(_epoch(start))).replace("$__unixEpochTo()", str(_epoch(end)))

    def replace(match: re.Match) -> str:
        name = match.group(1)
        # A $__timeGroup directly followed by a comma is the pre-5.3 form, which aliased the column.
        if name == "__timeGroup" and sql[match.end() : match.end() + 1] == ",":
            name = "__timeGroupAlias"
        args = [arg.strip() for arg in match.group(2).split(",")]
        return _macro(name, args, start, end)

    return _MACRO.sub(replace, sql)


def panel_sql(
    sql: str,
    variables: Mapping[str, Variable],
    start: datetime.datetime,
    end: datetime.datetime,
    interval: str = "1h",
) -> str:
    """What PostgreSQL receives for a panel target's rawSql under these variable values and time range."""
    return replace_macros(replace_variables(sql, variables), start, end, interval)
