"""Checks of the values that end up in manifests: cron expressions, time zones, quantities, intervals."""

from __future__ import annotations

import re

try:
    import zoneinfo
except ImportError:  # pragma: no cover - Python < 3.9 has no zoneinfo; time zones are then unchecked
    zoneinfo = None  # type: ignore[assignment]


class ValidationError(ValueError):
    """A value a manifest would carry that Kubernetes rejects or misreads."""


# (lowest, highest, names) of the five cron fields, in order.
_CRON_FIELDS = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")),
    ("day of week", 0, 7, ("sun", "mon", "tue", "wed", "thu", "fri", "sat")),
)
_CRON_MACROS = frozenset(("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"))


def _cron_value(text: str, field: str, low: int, high: int, names: tuple[str, ...]) -> int:
    lowered = text.lower()
    if lowered in names:
        return names.index(lowered) + (1 if low == 1 else 0)
    if not text.isdigit():
        raise ValidationError(f"{field} {text!r} is not a number")
    number = int(text)
    if not low <= number <= high:
        raise ValidationError(f"{field} {number} is outside {low}-{high}")
    return number


def _cron_field(text: str, field: str, low: int, high: int, names: tuple[str, ...]) -> None:
    for part in text.split(","):
        base, _slash, step = part.partition("/")
        if step and (not step.isdigit() or int(step) == 0):
            raise ValidationError(f"{field} step {step!r} is not a positive number")
        if base in ("*", "?"):
            continue
        start, dash, end = base.partition("-")
        first = _cron_value(start, field, low, high, names)
        if dash and first > _cron_value(end, field, low, high, names):
            raise ValidationError(f"{field} range {base!r} runs backwards")


def check_cron(expression: object, where: str) -> str:
    """A 5-field cron expression (or macro) as the CronJob controller parses it."""
    if not isinstance(expression, str) or not expression.strip():
        raise ValidationError(f"{where}: the schedule must be a non-empty string")
    if expression.strip() in _CRON_MACROS:
        return expression
    fields = expression.split()
    if len(fields) != 5:
        raise ValidationError(
            f"{where}: {expression!r} has {len(fields)} fields; a cron schedule has 5 "
            "(minute hour day-of-month month day-of-week)"
        )
    for text, (field, low, high, names) in zip(fields, _CRON_FIELDS, strict=True):
        try:
            _cron_field(text, field, low, high, names)
        except ValidationError as error:
            raise ValidationError(f"{where}: {expression!r}: {error}") from None
    return expression


def check_timezone(name: object, where: str) -> str:
    """An IANA time zone name such as Etc/UTC or Europe/Warsaw."""
    if not isinstance(name, str) or not name:
        raise ValidationError(f"{where}: the time zone must be a non-empty IANA name such as Etc/UTC")
    if zoneinfo is not None:
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValidationError(f"{where}: {name!r} is not an IANA time zone (e.g. Etc/UTC)") from None
    return name


# Kubernetes' resource.Quantity: a signed decimal number, then a binary-SI (Ki..Ei), decimal-SI
# (m, k, M..E) suffix, or a decimal exponent (e3, E-2).
_QUANTITY = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?\d+)?$")


def check_quantity(value: object, where: str) -> str:
    """A Kubernetes resource quantity such as 500m, 2Gi or 1.5."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValidationError(f"{where}: expected a quantity such as 500m or 2Gi, got {value!r}")
    text = str(value)
    if not _QUANTITY.match(text):
        raise ValidationError(f"{where}: {text!r} is not a Kubernetes quantity (e.g. 500m, 2Gi, 1.5)")
    return text


_INTERVAL = re.compile(r"^(\d+)([mhd])$")
_UNIT_MINUTES = {"m": 1, "h": 60, "d": 1440}


def interval_minutes(value: object, where: str) -> int:
    """Minutes of an interval cron repeats evenly: minutes dividing an hour, hours dividing a day, 1d, 7d."""
    match = _INTERVAL.match(value) if isinstance(value, str) else None
    minutes = int(match.group(1)) * _UNIT_MINUTES[match.group(2)] if match else 0
    allowed = (minutes < 60 and minutes > 0 and 60 % minutes == 0) or (
        minutes >= 60 and ((minutes % 60 == 0 and 1440 % minutes == 0) or minutes in (1440, 10080))
    )
    if not allowed:
        raise ValidationError(
            f"{where}: {value!r} is not an interval a cron schedule repeats evenly; use minutes that "
            "divide an hour (15m, 30m), hours that divide a day (1h, 2h, 6h, 12h), 1d or 7d"
        )
    return minutes
