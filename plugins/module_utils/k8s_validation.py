"""Checks of the values that end up in manifests: cron expressions, time zones, quantities, intervals."""

from __future__ import annotations

import re
from typing import Any, Callable, Optional

from .inventory_model import cron_problem, quantity_problem, timezone_problem


class ValidationError(ValueError):
    """A value a manifest would carry that Kubernetes rejects or misreads."""


# One set of rules for preflight and for the module: the problem functions of the inventory model.
def _checked(value: Any, where: str, problem_of: Callable[[Any], Optional[str]]) -> Any:
    problem = problem_of(value)
    if problem:
        raise ValidationError(f"{where}: {problem}")
    return value


def check_cron(expression: object, where: str) -> str:
    """A 5-field cron expression (or macro) as the CronJob controller parses it."""
    return _checked(expression, where, cron_problem)


def check_timezone(name: object, where: str) -> str:
    """An IANA time zone name such as Etc/UTC or Europe/Warsaw."""
    return _checked(name, where, timezone_problem)


def check_quantity(value: object, where: str) -> str:
    """A Kubernetes resource quantity greater than zero, such as 500m, 2Gi or 1.5."""
    return str(_checked(value, where, quantity_problem))


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
