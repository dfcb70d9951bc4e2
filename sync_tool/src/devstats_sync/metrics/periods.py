"""Time buckets: DevStats' periods (h, d, w, m, q, y), moving windows (d7, h24, ...), quick ranges.

Weeks start on Monday, as DevStats' WeekStart. All times are naive UTC, like the gha_* columns.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

BASE_PERIODS = ("h", "d", "w", "m", "q", "y")
# A base period, optionally multiplied: m6 is six months, y2 two years (DevStats' GetIntervalFunctions).
PERIOD_TEXT = re.compile(r"^([hdwmqy])(\d*)$")
_INTERVAL_WORDS = {"h": "hour", "d": "day", "w": "week", "m": "month", "q": "month", "y": "year"}


def period_start(unit: str, dt: datetime) -> datetime:
    if unit == "h":
        return dt.replace(minute=0, second=0, microsecond=0)
    day = dt.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "d":
        return day
    if unit == "w":
        return day - timedelta(days=day.weekday())
    if unit == "m":
        return day.replace(day=1)
    if unit == "q":
        return day.replace(day=1, month=(day.month - 1) // 3 * 3 + 1)
    if unit == "y":
        return day.replace(day=1, month=1)
    raise ValueError(f"unknown period {unit!r}")


def _add_months(dt: datetime, months: int) -> datetime:
    index = dt.year * 12 + dt.month - 1 + months
    return dt.replace(year=index // 12, month=index % 12 + 1)


def shift(unit: str, start: datetime, count: int) -> datetime:
    """``start`` (a bucket start) moved by ``count`` whole periods."""
    if unit == "h":
        return start + timedelta(hours=count)
    if unit == "d":
        return start + timedelta(days=count)
    if unit == "w":
        return start + timedelta(weeks=count)
    if unit == "m":
        return _add_months(start, count)
    if unit == "q":
        return _add_months(start, 3 * count)
    if unit == "y":
        return start.replace(year=start.year + count)
    raise ValueError(f"unknown period {unit!r}")


@dataclass(frozen=True)
class Period:
    """A period with its moving window: ``d7`` is unit ``d`` over 7 days, stepping one day."""

    unit: str
    n: int = 1

    @property
    def label(self) -> str:
        return self.unit if self.n == 1 else f"{self.unit}{self.n}"

    @property
    def interval(self) -> str:
        """The window as a PostgreSQL interval, e.g. ``7 day`` or ``6 month`` for q2."""
        if self.unit == "q":
            return f"{3 * self.n} month"
        return f"{self.n} {_INTERVAL_WORDS[self.unit]}"


def parse_period(text: str) -> Period:
    match = PERIOD_TEXT.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a period (h, d, w, m, q, y, optionally followed by a count)")
    count = int(match.group(2)) if match.group(2) else 1
    return Period(match.group(1), max(count, 1))


@dataclass(frozen=True)
class Bucket:
    time: datetime
    start: datetime
    end: datetime


def buckets(period: Period, first: datetime, last: datetime) -> Iterator[Bucket]:
    """Buckets whose time lies in [start of ``first``'s period, ``last``'s period]; a moving window
    stamped at ``t`` covers the n periods ending with t's period."""
    current = period_start(period.unit, first)
    final = period_start(period.unit, last)
    while current <= final:
        following = shift(period.unit, current, 1)
        yield Bucket(current, shift(period.unit, current, 1 - period.n), following)
        current = following


def describe_hours(hours: float) -> str:
    """A duration in hours as words, e.g. 30 -> '1 day 6 hours' (DevStats' time_diff_as_string)."""
    seconds = int(hours * 3600.0 + 0.5) if hours >= 0 else -int(-hours * 3600.0 + 0.5)
    if seconds < 0:
        return "- " + describe_hours(-hours)
    if seconds == 0:
        return "zero"
    words = []
    for size, name in ((604800, "week"), (86400, "day"), (3600, "hour"), (60, "minute"), (1, "second")):
        count, seconds = divmod(seconds, size)
        if count:
            words.append(f"{count} {name}" + ("s" if count > 1 else ""))
    return " ".join(words)


def is_scheduled(period: Period, now: datetime) -> bool:
    """Whether a sync at ``now`` recomputes this period even if no bucket closed since the last run:
    hourly ones always, daily ones every four hours, longer ones in the last hour of their period."""
    if period.unit == "h":
        return True
    if period.unit == "d":
        return period.n == 1 or now.hour % 4 == 1
    tomorrow = now + timedelta(days=1)
    last_hour_of = {
        "w": now.weekday() == 6,
        "m": tomorrow.day == 1,
        "q": tomorrow.day == 1 and tomorrow.month % 3 == 1,
        "y": tomorrow.day == 1 and tomorrow.month == 1,
    }
    return now.hour == 23 and last_hour_of[period.unit]
