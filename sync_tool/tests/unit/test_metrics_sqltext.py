"""SQL placeholders of metric files."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from devstats_sync.metrics.sqltext import interval_hours, range_hours, render_bucket_sql, render_range_sql

START, END, NOW = datetime(2024, 1, 1), datetime(2024, 1, 8), datetime(2024, 3, 1, 12)
BOTS = "not like all(array['%bot'])"


def bucket(text: str) -> str:
    """The week START..END's SQL, one week per bucket."""
    return render_bucket_sql(text, start=START, end=END, n=1, exclude_bots=BOTS, project_scale=1)


def ranged(text: str, interval: str | None = None) -> str:
    """A histogram's SQL: the last ``interval`` before NOW, or the range START..END without one."""
    bounds = (None, None) if interval else (START, END)
    return render_range_sql(
        text,
        interval=interval,
        start=bounds[0],
        end=bounds[1],
        now=NOW,
        n=1,
        exclude_bots=BOTS,
        project_scale=1,
    )


def test_bucket_placeholders() -> None:
    text = render_bucket_sql(
        "select count(*) / {{n}} from e where t >= '{{from}}' and t < '{{to}}' "
        "and (lower(l) {{exclude_bots}}) and {{period:e.t}} and x > {{project_scale}}",
        start=START,
        end=END,
        n=7,
        exclude_bots=BOTS,
        project_scale=2,
    )
    assert text == (
        "select count(*) / 7.0 from e where t >= '2024-01-01 00:00:00' and t < '2024-01-08 00:00:00' "
        "and (lower(l) not like all(array['%bot'])) and  (e.t >= '2024-01-01 00:00:00' and "
        "e.t < '2024-01-08 00:00:00')  and x > 2.0"
    )


def test_rnd_is_unique_per_render() -> None:
    first = bucket("create temp table x{{rnd}} as select 1")
    second = bucket("create temp table x{{rnd}} as select 1")
    assert re.fullmatch(r"create temp table x_[0-9a-f]{12} as select 1", first)
    assert first != second


def test_unknown_placeholder_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"unknown placeholder \{\{repo_groups\}\}"):
        bucket("select {{repo_groups}}")


def test_range_by_interval_counts_back_from_now() -> None:
    text = ranged("select 1 where {{period:e.created_at}} and '{{period}}' = '1 week'", "1 week")
    assert text == (
        "select 1 where  (e.created_at >= ('2024-03-01 12:00:00'::timestamp - '1 week'::interval))  "
        "and '1 week' = '1 week'"
    )


def test_range_between_releases() -> None:
    text = ranged("select 1 where {{period:c.dt}} and c.x < '{{to}}'")
    assert text == (
        "select 1 where  (c.dt >= '2024-01-01 00:00:00' and c.dt < '2024-01-08 00:00:00')  "
        "and c.x < '2024-01-08 00:00:00'"
    )


def test_range_is_hours_as_devstats_counts_them() -> None:
    assert bucket("select {{range}}") == "select 168.000000"
    assert [interval_hours(i) for i in ("1 hour", "10 days", "1 week", "6 month", "3 months", "2 years")] == [
        1.0,
        240.0,
        168.0,
        4383.0,
        2191.5,
        17532.0,
    ]
    assert range_hours(END, START) == 0.0


def test_range_bounds_are_quoted_for_sql_that_leaves_them_bare() -> None:
    text = ranged("select 1 where a >= {{from}} and b < '{{to}}' and {{range}} > 0")
    assert (
        text == "select 1 where a >= '2024-01-01 00:00:00' and b < '2024-01-08 00:00:00' and 168.000000 > 0"
    )
