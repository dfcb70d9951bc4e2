"""Grafana's variable and macro expansion for PostgreSQL, against the forms Grafana documents."""

from __future__ import annotations

import datetime

import pytest

from plugins.module_utils.grafana_sql import (
    GrafanaSqlError,
    Variable,
    panel_sql,
    replace_macros,
    replace_variables,
)

START = datetime.datetime(2024, 3, 4, 0, tzinfo=datetime.UTC)
END = datetime.datetime(2024, 3, 5, 12, 30, 0, 500000, tzinfo=datetime.UTC)


def test_time_macros() -> None:
    assert replace_macros("where $__timeFilter(time)", START, END) == (
        "where time BETWEEN '2024-03-04T00:00:00Z' AND '2024-03-05T12:30:00.5Z'"
    )
    assert replace_macros("$__timeFrom() $__timeTo()", START, END) == (
        "'2024-03-04T00:00:00Z' '2024-03-05T12:30:00.5Z'"
    )
    assert replace_macros("select $__time(t), $__timeEpoch(t)", START, END) == (
        'select t AS "time", extract(epoch from t) as "time"'
    )
    assert replace_macros("$__unixEpochFilter(s) $__unixEpochFrom() $__unixEpochTo()", START, END) == (
        "s >= 1709510400 AND s <= 1709641800 1709510400 1709641800"
    )


def test_time_group_macros() -> None:
    assert replace_macros("select $__timeGroupAlias(t, '1h')", START, END) == (
        'select floor(extract(epoch from t)/3600)*3600 AS "time"'
    )
    # Directly followed by a comma: the pre-5.3 form, which aliased the column.
    assert replace_macros("select $__timeGroup(t,5m), v", START, END) == (
        'select floor(extract(epoch from t)/300)*300 AS "time", v'
    )
    assert replace_macros("group by $__timeGroup(t, '1d')", START, END) == (
        "group by floor(extract(epoch from t)/86400)*86400"
    )
    assert replace_macros("$__interval $__interval_ms", START, END, interval="1h") == "1h 3600000"


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("$__timeFilter()", "missing time column"),
        ("$__timeGroup(t)", "needs time column and interval"),
        ("$__timeGroup(t, 'soon')", "error parsing interval"),
        ("$__nope(t)", "unknown macro"),
    ],
)
def test_macros_grafana_refuses(sql: str, message: str) -> None:
    with pytest.raises(GrafanaSqlError, match=message):
        replace_macros(sql, START, END)


def test_variables_as_the_sql_data_sources_quote_them() -> None:
    variables = {
        "period": Variable("w"),
        "name": Variable("O'Brien"),
        "companies": Variable(["A", "B'C"], multi=True),
        "one": Variable("x", include_all=True),
    }
    sql = (
        "'[[period]]' $period ${period} '$name' in ($companies) $one ${period:raw} ${companies:csv} $unknown"
    )
    assert replace_variables(sql, variables) == ("'w' w w 'O''Brien' in ('A','B''C') 'x' w A,B'C $unknown")


def test_panel_sql_replaces_variables_before_macros() -> None:
    sql = "select time, value from s where $__timeFilter(time) and period = '[[period]]'"
    assert panel_sql(sql, {"period": Variable("d")}, START, END) == (
        "select time, value from s where time BETWEEN '2024-03-04T00:00:00Z' AND '2024-03-05T12:30:00.5Z' "
        "and period = 'd'"
    )
