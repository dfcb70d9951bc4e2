"""SQL placeholders of metric files."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from devstats_sync.metrics.sqltext import render_bucket_sql, render_range_sql

START, END, NOW = datetime(2024, 1, 1), datetime(2024, 1, 8), datetime(2024, 3, 1, 12)
BOTS = "not like all(array['%bot'])"


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
    first = render_bucket_sql("create temp table x{{rnd}} as select 1", start=START, end=END, n=1,
                              exclude_bots=BOTS, project_scale=1)  # fmt: skip
    second = render_bucket_sql("create temp table x{{rnd}} as select 1", start=START, end=END, n=1,
                               exclude_bots=BOTS, project_scale=1)  # fmt: skip
    assert re.fullmatch(r"create temp table x_[0-9a-f]{12} as select 1", first)
    assert first != second


def test_unknown_placeholder_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"unknown placeholder \{\{repo_groups\}\}"):
        render_bucket_sql(
            "select {{repo_groups}}", start=START, end=END, n=1, exclude_bots=BOTS, project_scale=1
        )


def test_range_by_interval_counts_back_from_now() -> None:
    text = render_range_sql(
        "select 1 where {{period:e.created_at}} and '{{period}}' = '1 week'",
        interval="1 week",
        start=None,
        end=None,
        now=NOW,
        n=1,
        exclude_bots=BOTS,
        project_scale=1,
    )
    assert text == (
        "select 1 where  (e.created_at >= ('2024-03-01 12:00:00'::timestamp - '1 week'::interval))  "
        "and '1 week' = '1 week'"
    )


def test_range_between_releases() -> None:
    text = render_range_sql(
        "select 1 where {{period:c.dt}} and c.x < '{{to}}'",
        interval=None,
        start=START,
        end=END,
        now=NOW,
        n=1,
        exclude_bots=BOTS,
        project_scale=1,
    )
    assert text == (
        "select 1 where  (c.dt >= '2024-01-01 00:00:00' and c.dt < '2024-01-08 00:00:00')  "
        "and c.x < '2024-01-08 00:00:00'"
    )
