"""Period bucketing: starts, moving windows, schedules and duration descriptions."""

from __future__ import annotations

from datetime import datetime

import pytest
from devstats_sync.metrics.periods import (
    Period,
    buckets,
    describe_hours,
    is_scheduled,
    parse_period,
    period_start,
    shift,
)

MOMENT = datetime(2024, 5, 15, 13, 42, 7)  # a Wednesday


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        ("h", datetime(2024, 5, 15, 13)),
        ("d", datetime(2024, 5, 15)),
        ("w", datetime(2024, 5, 13)),  # Monday
        ("m", datetime(2024, 5, 1)),
        ("q", datetime(2024, 4, 1)),
        ("y", datetime(2024, 1, 1)),
    ],
)
def test_period_start(unit: str, expected: datetime) -> None:
    assert period_start(unit, MOMENT) == expected


@pytest.mark.parametrize(
    ("unit", "start", "count", "expected"),
    [
        ("m", datetime(2024, 11, 1), 3, datetime(2025, 2, 1)),
        ("m", datetime(2024, 1, 1), -1, datetime(2023, 12, 1)),
        ("q", datetime(2024, 10, 1), 1, datetime(2025, 1, 1)),
        ("w", datetime(2024, 5, 13), -2, datetime(2024, 4, 29)),
        ("y", datetime(2024, 1, 1), 1, datetime(2025, 1, 1)),
        ("h", datetime(2024, 1, 1, 23), 1, datetime(2024, 1, 2)),
    ],
)
def test_shift(unit: str, start: datetime, count: int, expected: datetime) -> None:
    assert shift(unit, start, count) == expected


@pytest.mark.parametrize(
    ("text", "period", "label", "interval"),
    [
        ("d", Period("d"), "d", "1 day"),
        ("d7", Period("d", 7), "d7", "7 day"),
        ("h24", Period("h", 24), "h24", "24 hour"),
        ("q2", Period("q", 2), "q2", "6 month"),
        ("y1", Period("y"), "y", "1 year"),
    ],
)
def test_parse_period(text: str, period: Period, label: str, interval: str) -> None:
    assert parse_period(text) == period
    assert period.label == label
    assert period.interval == interval


@pytest.mark.parametrize("text", ["x", "d-1", "7d", ""])
def test_parse_period_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="is not a period"):
        parse_period(text)


def test_day_buckets_cover_partial_last_day() -> None:
    result = list(buckets(Period("d"), datetime(2024, 1, 1, 5), datetime(2024, 1, 3, 2)))
    assert [(b.time, b.start, b.end) for b in result] == [
        (datetime(2024, 1, day), datetime(2024, 1, day), datetime(2024, 1, day + 1)) for day in (1, 2, 3)
    ]


def test_moving_window_looks_back() -> None:
    (first, second) = buckets(Period("d", 7), datetime(2024, 1, 10), datetime(2024, 1, 11))
    assert (first.time, first.start, first.end) == (
        datetime(2024, 1, 10),
        datetime(2024, 1, 4),
        datetime(2024, 1, 11),
    )
    assert second.start == datetime(2024, 1, 5)


def test_quarter_buckets() -> None:
    times = [b.time for b in buckets(Period("q"), datetime(2023, 11, 5), datetime(2024, 5, 1))]
    assert times == [datetime(2023, 10, 1), datetime(2024, 1, 1), datetime(2024, 4, 1)]


@pytest.mark.parametrize(
    ("period", "now", "expected"),
    [
        (Period("h"), datetime(2024, 5, 15, 7), True),
        (Period("d"), datetime(2024, 5, 15, 7), True),
        (Period("d", 7), datetime(2024, 5, 15, 5), True),
        (Period("d", 7), datetime(2024, 5, 15, 6), False),
        (Period("w"), datetime(2024, 5, 19, 23), True),  # Sunday, last hour
        (Period("w"), datetime(2024, 5, 19, 22), False),
        (Period("w"), datetime(2024, 5, 18, 23), False),
        (Period("m"), datetime(2024, 2, 29, 23), True),
        (Period("m"), datetime(2024, 2, 28, 23), False),
        (Period("q"), datetime(2024, 3, 31, 23), True),
        (Period("q"), datetime(2024, 4, 30, 23), False),
        (Period("y"), datetime(2024, 12, 31, 23), True),
        (Period("y"), datetime(2024, 11, 30, 23), False),
    ],
)
def test_is_scheduled(period: Period, now: datetime, expected: bool) -> None:
    assert is_scheduled(period, now) is expected


@pytest.mark.parametrize(
    ("hours", "text"),
    [
        (0, "zero"),
        (30, "1 day 6 hours"),
        (100, "4 days 4 hours"),
        (169.5, "1 week 1 hour 30 minutes"),
        (1 / 3600, "1 second"),
        (-2, "- 2 hours"),
    ],
)
def test_describe_hours(hours: float, text: str) -> None:
    assert describe_hours(hours) == text
