"""DevStats' metric fields, period forms and placeholders, each a case with the exact rows it writes.

The forms DevStats' own metrics.yaml uses beyond the basic ones of test_metrics_cases.py: multiplied
periods (``w,m,q,m6,y,y2,y3,y5``), ``{{range}}``, ``{{project_scale}}``, ``{{period}}`` and bare
``{{from}}`` in histograms, ``custom_data`` (+ ``custom_data_unique_time``), ``series_name_map``,
``skip_escape_series_name``, ``start_from``, ``last_hours``, ``always_recalc``, ``drop`` lists, ``skip``
of quick ranges, ``hll`` (and hll functions in plain SQL: the extension is created), multi-value
histograms with typed values; then the CNCF milestones' annotations and quick ranges.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import psycopg2
import pytest
from devstats_sync.metrics import run_metrics
from devstats_sync.metrics.annotations import cncf_ranges
from devstats_sync.metrics.storage import ensure_extension
from psycopg2.extensions import make_dsn, parse_dsn

from sync_tool.tests.integration.metric_cases import (
    BY_LOGIN,
    BY_TYPE,
    COUNT_SQL,
    HIST_SQL,
    HIST_TIME,
    HIST_TIME_2,
    IN_BUCKET,
    NOT_BOT,
    NOW,
    PROJECT,
    Case,
    d,
    metrics_dir,
    run_case,
    seed,
)

HIST_TIME_3 = datetime(2012, 6, 30, 22)
LAST_RANGES = ("d", "w", "d10", "m", "q", "m6", "y", "y2", "y3", "y5", "y10", "y100")
# Custom data: one row per non-bot event, written at the event's time.
NEW_CONTRIBUTOR_SQL = (
    f"select 'ncd,All', e.created_at, 0.0, e.dup_actor_login from gha_events e where {IN_BUCKET} "
    f"and {NOT_BOT} order by e.id"
)
BOB_AT_10_15 = (
    "insert into gha_events(id, type, actor_id, repo_id, public, created_at, dup_actor_login, dup_repo_name) "
    "values (101, 'PushEvent', 2, 10, true, '2024-01-01 10:15', 'bob', 'acme/app')"
)
CAROL_AT_13 = (
    BOB_AT_10_15.replace("101", "102")
    .replace("2, 10", "3, 10")
    .replace("'2024-01-01 10:15', 'bob'", "'2024-01-09 13:00', 'carol'")
)
DISTINCT_LOGINS_BY_HLL = (
    "select hll_cardinality(hll_add_agg(hll_hash_text(e.dup_actor_login))) "
    f"from gha_events e where {IN_BUCKET} and {NOT_BOT}"
)
NCD_ROWS = "select time, series, period, value, str, dt from sncd order by time, str"


def at(day: int, hour: int, minute: int = 0, microsecond: int = 0) -> datetime:
    return datetime(2024, 1, day, hour, minute, 0, microsecond)


CASES = [
    # ---- period forms ----
    Case(
        "multiplied-period-m6-with-n-and-period-in-the-name",
        {"series_name_or_func": "events", "periods": "m6", "add_period_to_name": True},
        f"select count(*) / {{{{n}}}} from gha_events e where {IN_BUCKET} and {NOT_BOT}",
        [("select time, period, value from sevents_m6", [(d(1), "m6", 1.0)])],
    ),
    Case(
        "devstats-period-list-w-m-q-m6-y-y2-y3-y5",
        {"series_name_or_func": "events", "periods": "w,m,q,m6,y,y2,y3,y5"},
        COUNT_SQL,
        [
            (
                "select period, time, value from sevents order by period, time",
                [
                    ("m", d(1), 6.0),
                    ("m6", d(1), 6.0),
                    ("q", d(1), 6.0),
                    ("w", d(1), 5.0),
                    ("w", d(8), 1.0),
                    ("y", d(1), 6.0),
                    ("y2", d(1), 6.0),
                    ("y3", d(1), 6.0),
                    ("y5", d(1), 6.0),
                ],
            )
        ],
    ),
    Case(
        "multiplied-period-times-aggregate-skipped",
        {"series_name_or_func": "events", "periods": "w2", "aggregate": "1,2", "skip": "w22"},
        COUNT_SQL,
        [("select period, time, value from sevents order by time", [("w2", d(1), 5.0), ("w2", d(8), 6.0)])],
    ),
    Case(
        "multiplied-period-times-aggregate-is-named-as-gha2db-names-it",
        {"series_name_or_func": "events", "periods": "d2", "aggregate": "1,3"},
        COUNT_SQL,
        [
            ("select distinct period from sevents order by 1", [("d2",), ("d23",)]),
            ("select value from sevents where period = 'd23' and time = '2024-01-09'", [(6.0,)]),
        ],
    ),
    # ---- placeholders ----
    Case(
        "range-is-the-bucket-length-in-hours",
        {
            "series_name_or_func": "single_row_multi_column",
            "sqls": ["one_statement", "statements"],
            "periods": "d,w,m",
            "aggregate": "1,7",
            "skip": "w7,m7",
        },
        {
            "one_statement": "select 'lateral_hours', {{range}}",
            "statements": "create temp table r{{rnd}} as select {{range}} as hours;\n"
            "select 'statement_hours', hours from r{{rnd}};",
        },
        [
            (
                f"select period, min(value), max(value), count(*) from s{table} group by 1 order by 1",
                [
                    ("d", 24.0, 24.0, 9),
                    ("d7", 168.0, 168.0, 9),
                    ("m", 744.0, 744.0, 1),
                    ("w", 168.0, 168.0, 2),
                ],
            )
            for table in ("lateral_hours", "statement_hours")
        ],
    ),
    Case(
        "range-in-histograms-last-and-release-ranges",
        {"series_name_or_func": "hours", "histogram": True, "annotations_ranges": True},
        "select 'range', {{range}}",
        [
            (
                "select period, value from shours order by period",
                [
                    ("a_0_1", 35.5),
                    ("a_1_2", 60.0),
                    ("a_2_n", 120.0),
                    ("d", 24.0),
                    ("d10", 240.0),
                    ("m", 730.5),
                    ("m6", 4383.0),
                    ("q", 2191.5),
                    ("w", 168.0),
                    ("y", 8766.0),
                    ("y10", 87660.0),
                    ("y100", 876600.0),
                    ("y2", 17532.0),
                    ("y3", 26298.0),
                    ("y5", 43830.0),
                ],
            )
        ],
    ),
    Case(
        "project-scale",
        {"series_name_or_func": "scale", "periods": "m"},
        "select {{project_scale}}",
        [("select time, value from sscale", [(d(1), 2.5)])],
        project=replace(PROJECT, project_scale=2.5),
    ),
    Case(
        "histogram-multiplied-periods-with-period-and-n",
        {"series_name_or_func": "hist_logins", "histogram": True, "periods": "m6,y2"},
        "select e.dup_actor_login, round(count(*) / {{n}}, 3) from gha_events e "
        f"where e.created_at >= '{{{{to}}}}'::timestamp - '{{{{period}}}}'::interval and {NOT_BOT} "
        "group by 1 order by 2 desc, 1",
        [
            (
                "select period, time, name, value from shist_logins order by period, time desc",
                [
                    ("m6", HIST_TIME, "alice", 0.5),
                    ("m6", HIST_TIME_2, "bob", 0.333),
                    ("m6", HIST_TIME_3, "carol", 0.167),
                    ("y2", HIST_TIME, "alice", 1.5),
                    ("y2", HIST_TIME_2, "bob", 1.0),
                    ("y2", HIST_TIME_3, "carol", 0.5),
                ],
            )
        ],
    ),
    Case(
        "histogram-ranges-bare-from-to-and-skipped-ranges",
        {
            "series_name_or_func": "logins",
            "histogram": True,
            "annotations_ranges": True,
            "skip": ",".join((*LAST_RANGES, "a_2_n")),
        },
        "select e.dup_actor_login, count(*) from gha_events e where e.created_at >= {{from}} "
        f"and e.created_at < {{{{to}}}} and {NOT_BOT} group by 1 order by 2 desc, 1",
        [
            (
                "select period, time, name, value from slogins order by period, time desc",
                [
                    ("a_0_1", HIST_TIME, "alice", 2.0),
                    ("a_0_1", HIST_TIME_2, "bob", 2.0),
                    ("a_1_2", HIST_TIME, "carol", 1.0),
                ],
            )
        ],
    ),
    # ---- custom data ----
    Case(
        "custom-data-rows-at-their-own-times",
        {
            "series_name_or_func": "multi_row_single_column",
            "periods": "d",
            "custom_data": True,
            "merge_series": "ncd",
            "drop": "sncd",
        },
        NEW_CONTRIBUTOR_SQL,
        [
            (
                NCD_ROWS,
                [
                    (at(1, 10, 15), "ncdall", "d", 0.0, "alice", at(1, 10, 15)),
                    (at(1, 10, 40), "ncdall", "d", 0.0, "alice", at(1, 10, 40)),
                    (at(1, 11, 5), "ncdall", "d", 0.0, "bob", at(1, 11, 5)),
                    (at(2, 9), "ncdall", "d", 0.0, "bob", at(2, 9)),
                    (at(3, 0), "ncdall", "d", 0.0, "carol", at(3, 0)),
                    (at(9, 12), "ncdall", "d", 0.0, "alice", at(9, 12)),
                ],
            )
        ],
    ),
    Case(
        "custom-data-unique-time-keeps-rows-of-the-same-time",
        {
            "series_name_or_func": "multi_row_single_column",
            "periods": "d",
            "custom_data": True,
            "custom_data_unique_time": True,
            "merge_series": "ncd",
        },
        NEW_CONTRIBUTOR_SQL,
        [
            (
                NCD_ROWS + " limit 2",
                [
                    (at(1, 10, 15), "ncdall", "d", 0.0, "alice", at(1, 10, 15)),
                    (at(1, 10, 15, 1), "ncdall", "d", 0.0, "bob", at(1, 10, 15)),
                ],
            )
        ],
        setup=[BOB_AT_10_15],
    ),
    Case(
        "custom-data-same-time-without-unique-time-keeps-the-last",
        {
            "series_name_or_func": "multi_row_single_column",
            "periods": "d",
            "custom_data": True,
            "merge_series": "ncd",
        },
        NEW_CONTRIBUTOR_SQL,
        [(NCD_ROWS + " limit 1", [(at(1, 10, 15), "ncdall", "d", 0.0, "bob", at(1, 10, 15))])],
        setup=[BOB_AT_10_15],
    ),
    Case(
        "custom-data-multi-value-time-value-text-columns",
        {
            "series_name_or_func": "multi_row_single_column",
            "periods": "w",
            "custom_data": True,
            "multi_value": True,
        },
        "select 'last,' || e.dup_actor_login, max(e.created_at), count(*), "
        f"string_agg(e.type, ' ' order by e.id) {BY_LOGIN}",
        [
            (
                "select time, alice_t, alice_v, alice_s, bob_v, carol_s from slast order by time",
                [
                    (d(1), at(1, 10, 40), 2.0, "PushEvent IssuesEvent", 2.0, "WatchEvent"),
                    (d(8), at(9, 12), 1.0, "PushEvent", 0.0, ""),
                ],
            )
        ],
    ),
    Case(
        "custom-data-histogram-name-time-value-text",
        {
            "series_name_or_func": "multi_row_single_column",
            "histogram": True,
            "custom_data": True,
            "periods": "y",
        },
        "select 'top_,' || e.type, e.dup_actor_login, max(e.created_at), count(*), "
        "string_agg(e.id::text, ',' order by e.id) from gha_events e "
        f"where {{{{period:e.created_at}}}} and {NOT_BOT} group by 1, 2 order by 1, 4 desc, 2",
        [
            (
                "select time, period, name, value, str, dt from stop_pushevent order by time desc",
                [
                    (HIST_TIME, "y", "alice", 2.0, "1,8", at(9, 12)),
                    (HIST_TIME_2, "y", "bob", 1.0, "3", at(1, 11, 5)),
                ],
            )
        ],
    ),
    # ---- names ----
    Case(
        "series-name-map",
        {
            "series_name_or_func": "multi_row_single_column",
            "periods": "m",
            "series_name_map": {"alice": "ally", "dependabot_bot_": "deps"},
        },
        f"select 'l_,' || e.dup_actor_login, count(*) from gha_events e where {IN_BUCKET} group by 1",
        [
            (
                "select tablename from pg_tables where tablename like 'sl\\_%' order by 1",
                [("sl_ally",), ("sl_bob",), ("sl_carol",), ("sl_deps",), ("sl_k8s_ci_robot",)],
            ),
            ("select value from sl_ally", [(3.0,)]),
        ],
    ),
    Case(
        "series-name-map-on-multi-value-names",
        {
            "series_name_or_func": "multi_row_single_column",
            "periods": "m",
            "multi_value": True,
            "escape_value_name": True,
            "series_name_map": {"dependabot_bot_": "deps"},
        },
        f"select 'l,' || e.dup_actor_login, count(*) from gha_events e where {IN_BUCKET} group by 1",
        [("select alice, deps, k8s_ci_robot from sl", [(3.0, 1.0, 1.0)])],
    ),
    Case(
        "skip-escape-series-name",
        {
            "series_name_or_func": "multi_row_single_column",
            "periods": "m",
            "merge_series": "raw",
            "skip_escape_series_name": True,
        },
        f"select 'by ,' || e.type, count(*) {BY_TYPE}",
        [
            (
                "select series, value from sraw order by series",
                [
                    ("by IssueCommentEvent", 1.0),
                    ("by IssuesEvent", 1.0),
                    ("by PushEvent", 3.0),
                    ("by WatchEvent", 1.0),
                ],
            )
        ],
    ),
    Case(
        "names-longer-than-postgresql-takes-are-left-out",
        {"series_name_or_func": "multi_row_single_column", "periods": "m"},
        "select 'n_,' || x, 1 from (values ('ok'), (repeat('a', 70))) v(x)",
        [("select tablename from pg_tables where tablename like 'sn\\_%'", [("sn_ok",)])],
    ),
    # ---- when and from when ----
    Case(
        "start-from",
        {"series_name_or_func": "events", "periods": "d", "start_from": datetime(2024, 1, 3, 6)},
        COUNT_SQL,
        [
            (
                "select time, value from sevents order by time",
                [(d(3), 1.0)] + [(d(i), 0.0) for i in range(4, 9)] + [(d(9), 1.0)],
            )
        ],
    ),
    Case(
        "last-hours",
        {"series_name_or_func": "events", "periods": "h", "last_hours": 3},
        COUNT_SQL,
        [
            (
                "select time, value from sevents order by time",
                [(d(9, 9), 0.0), (d(9, 10), 0.0), (d(9, 11), 0.0), (d(9, 12), 1.0)],
            )
        ],
    ),
    Case(
        "always-recalc-computes-a-period-that-is-not-due",
        {"series_name_or_func": "events", "periods": "w", "always_recalc": True},
        COUNT_SQL,
        [("select time, value from sevents order by time", [(d(1), 5.0), (d(8), 2.0)])],
        rerun_at=at(9, 13, 30),
        between=[CAROL_AT_13],
    ),
    Case(
        "without-always-recalc-the-week-waits-until-due",
        {"series_name_or_func": "events", "periods": "w"},
        COUNT_SQL,
        [("select time, value from sevents order by time", [(d(1), 5.0), (d(8), 1.0)])],
        rerun_at=at(9, 13, 30),
        between=[CAROL_AT_13],
    ),
    Case(
        "drop-lists-tables-separated-by-semicolons",
        {"series_name_or_func": "events", "periods": "m", "drop": "sold_a;sold_b"},
        COUNT_SQL,
        [
            ("select count(*) from pg_tables where tablename in ('sold_a', 'sold_b')", [(0,)]),
            ("select value from sevents", [(6.0,)]),
        ],
        setup=["create table sold_a(x int)", "create table sold_b(x int)"],
        full=True,
    ),
    # ---- hll ----
    Case(
        "hll-values",
        {"series_name_or_func": "multi_row_single_column", "periods": "m", "hll": True},
        f"select 'u_,' || e.type, hll_add_agg(hll_hash_text(e.dup_actor_login)) {BY_TYPE}",
        [
            ("select period, hll_cardinality(value) from su_pushevent", [("m", 2.0)]),
            (
                "select udt_name from information_schema.columns "
                "where table_name = 'su_pushevent' and column_name = 'value'",
                [("hll",)],
            ),
        ],
    ),
    Case(
        "hll-multi-value-merged-unescaped",
        {
            "series_name_or_func": "multi_row_multi_column",
            "periods": "m",
            "multi_value": True,
            "skip_escape_series_name": True,
            "hll": True,
            "merge_series": "prjcntr",
        },
        f"select 'cntr;' || e.type || ';_users', hll_add_agg(hll_hash_text(e.dup_actor_login)) {BY_TYPE}",
        [
            (
                'select series, hll_cardinality("PushEvent"), hll_cardinality("WatchEvent") from sprjcntr',
                [("cntr_users", 2.0, 1.0)],
            )
        ],
    ),
    Case(
        "hll-functions-in-plain-sql-create-the-extension",
        {"series_name_or_func": "logins", "periods": "m"},
        DISTINCT_LOGINS_BY_HLL,
        [
            ("select value from slogins", [(3.0,)]),
            ("select extname from pg_extension where extname = 'hll'", [("hll",)]),
        ],
    ),
    Case(
        "histogram-names-with-tabs-newlines-and-backslashes",
        {"series_name_or_func": "odd", "histogram": True, "periods": "m"},
        "select x, n from (values (E'a\\tb', 3), (E'c\\nd', 2), (E'e\\\\f', 1)) v(x, n) order by n desc",
        [("select name, value from sodd order by time desc", [("a\tb", 3.0), ("c\nd", 2.0), ("e\\f", 1.0)])],
    ),
    # ---- multi-value histogram ----
    Case(
        "multi-value-histogram-typed-values",
        {
            "series_name_or_func": "multi_row_multi_column",
            "histogram": True,
            "multi_value": True,
            "periods": "m",
        },
        "select 'hwl;login:s,events:f;_top', e.dup_actor_login, count(*) from gha_events e "
        f"where {{{{period:e.created_at}}}} and {NOT_BOT} group by 2 order by 3 desc, 2",
        [
            (
                "select time, period, login, events from shwl_top order by time desc",
                [
                    (HIST_TIME, "m", "alice", 3.0),
                    (HIST_TIME_2, "m", "bob", 2.0),
                    (HIST_TIME_3, "m", "carol", 1.0),
                ],
            )
        ],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_devstats_metric_form(case: Case, db_dsn: str, tmp_path: Path) -> None:
    run_case(case, db_dsn, tmp_path)


MILESTONES = replace(
    PROJECT,
    annotation_regexp="",
    join_date=datetime(2024, 1, 2, 6),
    incubating_date=datetime(2024, 1, 3),
    graduated_date=datetime(2024, 1, 5),
    archived_date=datetime(2024, 1, 8),
)


def test_cncf_milestones_annotations_and_quick_ranges(db_dsn: str, tmp_path: Path) -> None:
    """An empty annotation_regexp takes every tag; the milestones take the hours releases leave free;
    the c_* ranges follow DevStats' rules and histograms compute over them."""
    releases = ("a_0_1", "a_1_2", "a_2_3", "a_3_n")
    case = Case(
        "cncf",
        {
            "series_name_or_func": "logins",
            "histogram": True,
            "annotations_ranges": True,
            "skip": ",".join((*LAST_RANGES, *releases)),
        },
        HIST_SQL,
        [],
    )
    conn = psycopg2.connect(db_dsn)
    try:
        seed(conn, [])
        run_metrics(conn, project=MILESTONES, metrics_dir=metrics_dir(tmp_path, case), now=NOW)
        with conn.cursor() as cur:
            cur.execute("select time, title, description from sannotations order by time")
            annotations = cur.fetchall()
            cur.execute(
                "select quick_ranges_suffix, quick_ranges_name, quick_ranges_data "
                "from tquick_ranges order by time"
            )
            ranges = cur.fetchall()
            cur.execute("select period, name, value from slogins order by period, time desc")
            histogram = cur.fetchall()
    finally:
        conn.close()
    assert annotations == [
        (d(1), "v1.0.0", "First release"),
        (d(2, 6), "CNCF join date", "2024-01-02 - joined CNCF"),
        (d(2, 12), "v1.1.0", "v1.1.0"),
        (d(3), "Moved to incubating state", "2024-01-03 - project moved to incubating state"),
        (d(5), "v1.2.0", "v1.2.0"),
        (d(6), "release-notes", "release-notes"),
        (d(8), "Archived", "2024-01-08 - project was archived"),
    ]
    assert [suffix for suffix, _, _ in ranges] == [
        *LAST_RANGES,
        *releases,
        "c_b",
        "c_n",
        "c_j_i",
        "c_i_g",
        "c_g_n",
    ]
    assert ranges[-5:] == [
        ("c_b", "Before joining CNCF", "c_b;;2024-01-01 00:00:00;2024-01-02 06:00:00"),
        ("c_n", "Since joining CNCF", "c_n;;2024-01-02 06:00:00;2024-01-10 00:00:00"),
        ("c_j_i", "CNCF join date - moved to incubation", "c_j_i;;2024-01-02 06:00:00;2024-01-03 00:00:00"),
        ("c_i_g", "Moved to incubation - graduated", "c_i_g;;2024-01-03 00:00:00;2024-01-05 00:00:00"),
        ("c_g_n", "Since graduating", "c_g_n;;2024-01-05 00:00:00;2024-01-10 00:00:00"),
    ]
    assert histogram == [
        ("c_b", "alice", 2.0),
        ("c_b", "bob", 1.0),
        ("c_g_n", "alice", 1.0),
        ("c_i_g", "carol", 1.0),
        ("c_j_i", "bob", 1.0),
        ("c_n", "alice", 1.0),
        ("c_n", "bob", 1.0),
        ("c_n", "carol", 1.0),
    ]


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        ({"join_date": None}, []),
        ({"join_date": datetime(2023, 12, 1)}, []),  # not after the start: DevStats makes none
        ({"join_date": datetime(2024, 1, 2)}, ["c_b", "c_n"]),
        (
            {"join_date": datetime(2024, 1, 2), "graduated_date": datetime(2024, 1, 4)},
            ["c_b", "c_n", "c_j_g", "c_g_n"],
        ),
        (
            {"join_date": datetime(2024, 1, 2), "incubating_date": datetime(2024, 1, 3)},
            ["c_b", "c_n", "c_j_i", "c_i_n"],
        ),
        (  # graduated before incubating: DevStats leaves both out
            {
                "join_date": datetime(2024, 1, 2),
                "incubating_date": datetime(2024, 1, 5),
                "graduated_date": datetime(2024, 1, 4),
            },
            ["c_b", "c_n"],
        ),
    ],
)
def test_cncf_ranges_follow_devstats_rules(dates: dict[str, datetime | None], expected: list[str]) -> None:
    project = replace(PROJECT, **dates)  # type: ignore[arg-type]
    assert [r.suffix for r in cncf_ranges(project, NOW)] == expected


def test_hll_that_cannot_be_created_fails_its_metrics_with_the_reason(
    make_database: Callable[..., str], tmp_path: Path
) -> None:
    """A user who may not create the extension: metrics that need hll fail saying so, others compute."""
    dsn = make_database()
    dbname = parse_dsn(dsn)["dbname"]
    with psycopg2.connect(dsn) as admin, admin.cursor() as cur:
        cur.execute("create role metrics_writer login")
        cur.execute(f"alter database {dbname} owner to metrics_writer")
        cur.execute("alter schema public owner to metrics_writer")
        cur.execute("grant all on all tables in schema public to metrics_writer")
        for table in ("gha_events", "gha_releases", "gha_payloads"):
            cur.execute(f"alter table {table} owner to metrics_writer")
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "sketch.sql").write_text(DISTINCT_LOGINS_BY_HLL)
    (tmp_path / "shared" / "count.sql").write_text(COUNT_SQL)
    (tmp_path / "shared" / "metrics.yaml").write_text(
        "metrics:\n"
        "  - {name: Sketch, series_name_or_func: logins, sql: sketch, periods: m, allow_fail: true}\n"
        "  - {name: Count, series_name_or_func: events, sql: count, periods: m}\n"
    )
    conn = psycopg2.connect(make_dsn(dsn, user="metrics_writer"))
    try:
        seed(conn, [])
        summary = run_metrics(conn, project=PROJECT, metrics_dir=tmp_path, now=NOW)
        with conn.cursor() as cur:
            cur.execute("select value from sevents")
            assert cur.fetchall() == [(6.0,)]
            assert ensure_extension(conn, "no_such_extension") == (
                "the server does not have it installed (Debian: postgresql-<major>-no_such_extension)"
            )
    finally:
        conn.close()
    (failure,) = summary.failed
    assert failure.startswith("metric 'Sketch' (")
    assert failure.endswith(
        "needs the PostgreSQL extension hll: it is not created in this database and creating it failed: "
        'permission denied to create extension "hll"'
    )
