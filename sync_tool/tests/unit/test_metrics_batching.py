"""Which bucket SQL can be batched as one lateral query, and how its bounds are rewritten."""

from __future__ import annotations

import pytest
from devstats_sync.metrics.engine import _lateral_form


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (
            "select count(*) from e where t >= '{{from}}' and t < '{{to}}';\n",
            "select count(*) from e where t >= devstats_bucket.from_dt and t < devstats_bucket.to_dt",
        ),
        (
            "with x as (select 1) select '{{to}}'::timestamp - '1 year'::interval from x",
            "with x as (select 1) select devstats_bucket.to_dt::timestamp - '1 year'::interval from x",
        ),
        ("create temp table a as select 1; select count(*) from a", None),
        ("select 1 where {{period:e.created_at}}", None),
        ("select count(*) from x{{rnd}}", None),
        ("select 'since {{from}}' as label, 1", None),
    ],
)
def test_lateral_form(sql: str, expected: str | None) -> None:
    assert _lateral_form(sql) == expected
