"""Metric correctness, table-driven: seed rows, run one metric, compare the exact rows it wrote.

The seeded events and the runner are in metric_cases.py; DevStats' further metric fields and
period forms have their own table in test_metrics_devstats_forms.py.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import psycopg2
import pytest
import yaml
from devstats_sync.metrics import MetricsError, run_metrics

from sync_tool.tests.integration.metric_cases import (
    BY_LOGIN,
    BY_TYPE,
    COUNT_ALL_SQL,
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

CASES = [
    Case(
        "literal-hour-all-events",
        {"series_name_or_func": "events", "periods": "h"},
        COUNT_ALL_SQL,
        [
            (
                "select time, value from sevents where period = 'h' and value > 0 order by time",
                [
                    (d(1, 10), 2.0),
                    (d(1, 11), 2.0),
                    (d(2, 9), 1.0),
                    (d(3), 1.0),
                    (d(3, 1), 1.0),
                    (d(9, 12), 1.0),
                ],
            ),
            ("select count(*), min(time), max(time) from sevents", [(8 * 24 + 13, d(1), d(9, 12))]),
        ],
    ),
    Case(
        "literal-day-bots-excluded",
        {"series_name_or_func": "events", "periods": "d"},
        COUNT_SQL,
        [
            (
                "select time, value from sevents where period = 'd' order by time",
                [(d(1), 3.0), (d(2), 1.0), (d(3), 1.0)] + [(d(i), 0.0) for i in range(4, 9)] + [(d(9), 1.0)],
            )
        ],
    ),
    Case(
        "literal-week-starts-monday",
        {"series_name_or_func": "events", "periods": "w"},
        COUNT_SQL,
        [("select time, period, value from sevents order by time", [(d(1), "w", 5.0), (d(8), "w", 1.0)])],
    ),
    Case(
        "literal-month-quarter-year-share-a-table",
        {"series_name_or_func": "events", "periods": "m,q,y"},
        COUNT_SQL,
        [
            (
                "select period, time, value from sevents order by period",
                [("m", d(1), 6.0), ("q", d(1), 6.0), ("y", d(1), 6.0)],
            )
        ],
    ),
    Case(
        "aggregate-d7-moving-average",
        {"series_name_or_func": "events", "periods": "d", "aggregate": "7"},
        f"select round(count(*) / {{{{n}}}}, 4) from gha_events e where {IN_BUCKET} and {NOT_BOT}",
        [
            (
                "select time, value from sevents where period = 'd7' order by time",
                [(d(1), 0.4286), (d(2), 0.5714)]
                + [(d(i), 0.7143) for i in range(3, 8)]
                + [(d(8), 0.2857), (d(9), 0.2857)],
            ),
            ("select distinct period from sevents", [("d7",)]),
        ],
    ),
    Case(
        "aggregate-h24-window",
        {"series_name_or_func": "events", "periods": "h", "aggregate": "24"},
        COUNT_SQL,
        [
            (
                "select time, value from sevents where period = 'h24' "
                "and time in ('2024-01-01 10:00', '2024-01-02 09:00', '2024-01-02 10:00') order by time",
                [(d(1, 10), 2.0), (d(2, 9), 4.0), (d(2, 10), 2.0)],
            )
        ],
    ),
    Case(
        "skip-removes-combinations",
        {"series_name_or_func": "events", "periods": "d,w", "aggregate": "1,7", "skip": "w7"},
        COUNT_SQL,
        [("select distinct period from sevents order by 1", [("d",), ("d7",), ("w",)])],
    ),
    Case(
        "add-period-to-name",
        {"series_name_or_func": "evt", "periods": "d,w", "add_period_to_name": True},
        COUNT_SQL,
        [
            ("select sum(value) from sevt_d where period = 'd'", [(6.0,)]),
            ("select time, value from sevt_w order by time", [(d(1), 5.0), (d(8), 1.0)]),
        ],
    ),
    Case(
        "desc-time-diff-as-string",
        {"series_name_or_func": "took", "periods": "m", "desc": "time_diff_as_string"},
        "select 30.0",
        [("select time, period, value, descr from stook", [(d(1), "m", 30.0, "1 day 6 hours")])],
    ),
    Case(
        "literal-null-and-no-row-are-zero",
        {"series_name_or_func": "nothing", "periods": "m"},
        "select null::int where false",
        [("select value from snothing", [(0.0,)])],
    ),
    Case(
        "single-row-multi-column",
        {"series_name_or_func": "single_row_multi_column", "periods": "w"},
        "select 'pushes,comments', count(*) filter (where e.type = 'PushEvent'), "
        "count(*) filter (where e.type = 'IssueCommentEvent') "
        f"from gha_events e where {IN_BUCKET} and {NOT_BOT}",
        [
            ("select time, value from spushes order by time", [(d(1), 2.0), (d(8), 1.0)]),
            ("select time, value from scomments order by time", [(d(1), 1.0), (d(8), 0.0)]),
        ],
    ),
    Case(
        "single-row-multi-column-desc",
        {"series_name_or_func": "single_row_multi_column", "periods": "m", "desc": "time_diff_as_string"},
        "select 'wait_median,wait_p85', 1.5, 170",
        [
            ("select value, descr from swait_median", [(1.5, "1 hour 30 minutes")]),
            ("select value, descr from swait_p85", [(170.0, "1 week 2 hours")]),
        ],
    ),
    Case(
        "multi-row-single-column",
        {"series_name_or_func": "multi_row_single_column", "periods": "m"},
        f"select 'by_type_,' || e.type, count(*) {BY_TYPE}",
        [
            ("select value from sby_type_pushevent", [(3.0,)]),
            ("select value from sby_type_issuesevent", [(1.0,)]),
            ("select value from sby_type_watchevent", [(1.0,)]),
        ],
    ),
    Case(
        "multi-row-single-column-merged",
        {"series_name_or_func": "multi_row_single_column", "periods": "w", "merge_series": "by_type"},
        f"select 'by_type_,' || e.type, count(*) {BY_TYPE}",
        [
            (
                "select time, series, period, value from sby_type order by time, series",
                [
                    (d(1), "by_type_issuecommentevent", "w", 1.0),
                    (d(1), "by_type_issuesevent", "w", 1.0),
                    (d(1), "by_type_pushevent", "w", 2.0),
                    (d(1), "by_type_watchevent", "w", 1.0),
                    (d(8), "by_type_pushevent", "w", 1.0),
                ],
            )
        ],
    ),
    Case(
        "multi-row-single-column-empty-name-skipped",
        {"series_name_or_func": "multi_row_single_column", "periods": "m"},
        "select 'named,' || x, 1 from (values ('ok'), ('')) v(x)",
        [("select tablename from pg_tables where tablename like 'snamed%' order by 1", [("snamedok",)])],
    ),
    Case(
        "multi-value-columns-on-demand",
        {"series_name_or_func": "multi_row_single_column", "periods": "w", "multi_value": True},
        f"select 'by_login,' || e.dup_actor_login, count(*) {BY_LOGIN}",
        [
            (
                "select time, alice, bob, carol from sby_login order by time",
                [(d(1), 2.0, 2.0, 1.0), (d(8), 1.0, 0.0, 0.0)],
            )
        ],
    ),
    Case(
        "multi-value-escaped-names",
        {
            "series_name_or_func": "multi_row_single_column",
            "periods": "m",
            "multi_value": True,
            "escape_value_name": True,
        },
        f"select 'by_login,' || e.dup_actor_login, count(*) from gha_events e where {IN_BUCKET} "
        "group by e.dup_actor_login",
        [("select dependabot_bot_, k8s_ci_robot, alice from sby_login", [(1.0, 1.0, 3.0)])],
    ),
    Case(
        "multi-row-multi-column",
        {"series_name_or_func": "multi_row_multi_column", "periods": "m"},
        "select 'stats_;' || e.dup_actor_login || ';_events,_pushes', count(*), "
        f"count(*) filter (where e.type = 'PushEvent') {BY_LOGIN}",
        [
            ("select value from sstats_alice_events", [(3.0,)]),
            ("select value from sstats_alice_pushes", [(2.0,)]),
            ("select value from sstats_carol_pushes", [(0.0,)]),
        ],
    ),
    Case(
        "multi-row-multi-column-multi-value",
        {"series_name_or_func": "multi_row_multi_column", "periods": "m", "multi_value": True},
        "select 'stats_;' || e.dup_actor_login || ';events,pushes', count(*), "
        f"count(*) filter (where e.type = 'PushEvent') {BY_LOGIN}",
        [
            ("select alice, bob, carol from sstats_events", [(3.0, 2.0, 1.0)]),
            ("select alice, bob, carol from sstats_pushes", [(2.0, 1.0, 0.0)]),
        ],
    ),
    Case(
        "multi-row-multi-column-merged",
        {"series_name_or_func": "multi_row_multi_column", "periods": "q", "merge_series": "stats"},
        "select 'stats_;' || e.dup_actor_login || ';_events', count(*) " + BY_LOGIN,
        [
            (
                "select series, value from sstats order by series",
                [("stats_alice_events", 3.0), ("stats_bob_events", 2.0), ("stats_carol_events", 1.0)],
            )
        ],
    ),
    Case(
        "multi-value-backtick-splits-series",
        {"series_name_or_func": "multi_row_single_column", "periods": "m", "multi_value": True},
        "select 'act_,' || e.type || '`' || case when e.type = 'PushEvent' then 'code' else 'talk' end, "
        f"count(*) from gha_events e where {IN_BUCKET} and {NOT_BOT} group by e.type",
        [
            ('select "PushEvent" from sact_code', [(3.0,)]),
            ('select "IssuesEvent", "IssueCommentEvent", "WatchEvent" from sact_talk', [(1.0, 1.0, 1.0)]),
        ],
    ),
    Case(
        "bot-patterns-are-editable",
        {"series_name_or_func": "events", "periods": "m"},
        COUNT_SQL,
        [("select value from sevents", [(5.0,)])],
        setup=["insert into gha_bot_logins(pattern) values ('carol')"],
    ),
    Case(
        "bot-patterns-emptied-exclude-nothing",
        {"series_name_or_func": "events", "periods": "m"},
        COUNT_SQL,
        [("select value from sevents", [(8.0,)])],
        setup=["insert into gha_computed(metric, dt) values ('metrics:bot_logins_seeded', '2024-01-01')"],
    ),
    Case(
        "bot-patterns-match-case-insensitively",
        {"series_name_or_func": "events", "periods": "m"},
        COUNT_SQL,
        [("select value from sevents", [(6.0,)])],
        setup=[
            "insert into gha_events(id, type, actor_id, repo_id, public, created_at, dup_actor_login, "
            "dup_repo_name) values (100, 'PushEvent', 9, 10, true, '2024-01-04', 'Renovate-Bot', 'acme/app')"
        ],
    ),
    Case(
        "histogram-annotation-ranges",
        {"series_name_or_func": "hist_logins", "histogram": True, "annotations_ranges": True},
        HIST_SQL,
        [
            (
                "select period, time, name, value from shist_logins "
                "where period like 'a%' order by period, time desc",
                [
                    ("a_0_1", HIST_TIME, "alice", 2.0),
                    ("a_0_1", HIST_TIME_2, "bob", 2.0),
                    ("a_1_2", HIST_TIME, "carol", 1.0),
                    ("a_2_n", HIST_TIME, "alice", 1.0),
                ],
            ),
            (
                "select period, name, value from shist_logins "
                "where period in ('d', 'w') order by period, time desc",
                [("d", "alice", 1.0), ("w", "alice", 1.0), ("w", "carol", 1.0)],
            ),
        ],
    ),
    Case(
        "histogram-periods-as-last-ranges",
        {
            "series_name_or_func": "hist_logins",
            "histogram": True,
            "periods": "d,w",
            "aggregate": "1,3",
            "skip": "w3",
        },
        HIST_SQL,
        [
            (
                "select period, name, value from shist_logins order by period, time desc",
                [("d", "alice", 1.0), ("d3", "alice", 1.0), ("w", "alice", 1.0), ("w", "carol", 1.0)],
            )
        ],
    ),
    Case(
        "histogram-series-function-pairs",
        {"series_name_or_func": "multi_row_single_column", "histogram": True, "periods": "y"},
        "select 'top_,' || e.type, e.dup_actor_login, count(*) from gha_events e "
        f"where {{{{period:e.created_at}}}} and {NOT_BOT} group by 1, 2 order by 1, 3 desc, 2",
        [
            (
                "select time, name, value from stop_pushevent order by time desc",
                [(HIST_TIME, "alice", 2.0), (HIST_TIME_2, "bob", 1.0)],
            ),
            ("select period, name, value from stop_watchevent", [("y", "carol", 1.0)]),
        ],
    ),
    Case(
        "histogram-merged",
        {"series_name_or_func": "logins", "histogram": True, "periods": "m", "merge_series": "hists"},
        HIST_SQL,
        [
            (
                "select series, period, name, value from shists order by time desc",
                [("logins", "m", "alice", 3.0), ("logins", "m", "bob", 2.0), ("logins", "m", "carol", 1.0)],
            )
        ],
    ),
    Case(
        "sqls-several-files",
        {"series_name_or_func": "single_row_multi_column", "periods": "y", "sqls": ["first", "second"]},
        {"first": "select 'one', 1", "second": "select 'two', 2"},
        [("select (select value from sone), (select value from stwo)", [(1.0, 2.0)])],
    ),
    Case(
        "multi-statement-sql-with-rnd-temp-tables",
        {"series_name_or_func": "events", "periods": "w"},
        f"create temp table ev{{{{rnd}}}} as select * from gha_events e where {IN_BUCKET} and {NOT_BOT};\n"
        "select count(*) from ev{{rnd}};",
        [
            ("select time, value from sevents order by time", [(d(1), 5.0), (d(8), 1.0)]),
            ("select count(*) from pg_class where relnamespace = pg_my_temp_schema()", [(0,)]),
        ],
    ),
    Case(
        "full-recompute-writes-the-same",
        {"series_name_or_func": "multi_row_single_column", "periods": "w", "merge_series": "by_login"},
        f"select 'l_,' || e.dup_actor_login, count(*) {BY_LOGIN}",
        [
            (
                "select time, series, value from sby_login order by time, series",
                [
                    (d(1), "l_alice", 2.0),
                    (d(1), "l_bob", 2.0),
                    (d(1), "l_carol", 1.0),
                    (d(8), "l_alice", 1.0),
                ],
            ),
            ("select count(*) from pg_namespace where nspname = 'devstats_metrics_shadow'", [(0,)]),
        ],
        full=True,
    ),
    Case(
        "project-filter-leaves-metric-out",
        {"series_name_or_func": "events", "periods": "m", "project": "!demo"},
        COUNT_SQL,
        [("select count(*) from pg_tables where tablename = 'sevents'", [(0,)])],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_metric_case(case: Case, db_dsn: str, tmp_path: Path) -> None:
    run_case(case, db_dsn, tmp_path)


def test_annotations_and_quick_ranges(db_dsn: str, tmp_path: Path) -> None:
    conn = psycopg2.connect(db_dsn)
    try:
        seed(conn, [])
        run_metrics(conn, project=PROJECT, metrics_dir=metrics_dir(tmp_path, CASES[2]), now=NOW)
        with conn.cursor() as cur:
            cur.execute("select time, title, description from sannotations order by time, title")
            rows = cur.fetchall()
            cur.execute(
                "select quick_ranges_suffix, quick_ranges_name, quick_ranges_data "
                "from tquick_ranges order by time"
            )
            ranges = cur.fetchall()
    finally:
        conn.close()
    # The start date and v1.0.0 share an hour: the release wins, the start date is not repeated.
    assert rows == [
        (d(1), "v1.0.0", "First release"),
        (d(2, 12), "v1.1.0", "v1.1.0"),
        (d(5), "v1.2.0", "v1.2.0"),
    ]
    assert ranges[:3] == [("d", "Last day", "d;1 day;;"), ("w", "Last week", "w;1 week;;"),
                          ("d10", "Last 10 days", "d10;10 days;;")]  # fmt: skip
    assert ranges[-3:] == [
        ("a_0_1", "v1.0.0 - v1.1.0", "a_0_1;;2024-01-01 00:30:00;2024-01-02 12:00:00"),
        ("a_1_2", "v1.1.0 - v1.2.0", "a_1_2;;2024-01-02 12:00:00;2024-01-05 00:00:00"),
        ("a_2_n", "v1.2.0 - now", "a_2_n;;2024-01-05 00:00:00;2024-01-10 00:00:00"),
    ]


def test_tag_tables(db_dsn: str, tmp_path: Path) -> None:
    root = metrics_dir(tmp_path, CASES[2])
    (root / "shared" / "tags.yaml").write_text(
        "tags:\n"
        "  - name: Logins\n"
        "    sql: tag_logins\n"
        "    series_name: logins\n"
        "    name_tag: login_name\n"
        "    value_tag: login_value\n"
        "    other_tags: {kind: [kind, true]}\n"
        "    limit: 2\n"
        "  - name: Nobody\n"
        "    sql: tag_nobody\n"
        "    series_name: nobody\n"
        "    name_tag: nobody_name\n"
        "    other_tags: {kind: [kind, false]}\n"
        "  - name: Switched off\n"
        "    sql: tag_nobody\n"
        "    series_name: off\n"
        "    disabled: true\n"
    )
    (root / "shared" / "tag_nobody.sql").write_text("select 'x' as name, 'y' as kind where false")
    (root / "shared" / "tag_logins.sql").write_text(
        "select dup_actor_login as login, min(type) as kind from gha_events e "
        f"where {NOT_BOT} group by 1 order by 1 limit {{{{lim}}}}"
    )
    conn = psycopg2.connect(db_dsn)
    try:
        seed(conn, [])
        run_metrics(conn, project=PROJECT, metrics_dir=root, now=NOW)
        with conn.cursor() as cur:
            cur.execute("select time, login_name, login_value, kind, kind_norm from tlogins order by time")
            assert cur.fetchall() == [
                (datetime(2012, 7, 1), "alice", "alice", "IssuesEvent", "issuesevent"),
                (datetime(2012, 7, 1, 1), "bob", "bob", "IssueCommentEvent", "issuecommentevent"),
            ]
            # A tag with no values still has its columns, so SQL reading it runs (and finds nothing).
            cur.execute("select time, nobody_name, kind from tnobody")
            assert cur.fetchall() == []
            cur.execute("select count(*) from pg_tables where tablename = 'toff'")
            assert cur.fetchall() == [(0,)]
    finally:
        conn.close()


def test_failures_name_the_metric_and_allow_fail_continues(db_dsn: str, tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "broken.sql").write_text("select count(*) from no_such_table")
    (tmp_path / "shared" / "good.sql").write_text(COUNT_SQL)
    metrics = [
        {
            "name": "Broken",
            "series_name_or_func": "broken",
            "sql": "broken",
            "periods": "m",
            "allow_fail": True,
        },
        {"name": "Good", "series_name_or_func": "good", "sql": "good", "periods": "m"},
    ]
    (tmp_path / "shared" / "metrics.yaml").write_text(yaml.safe_dump({"metrics": metrics}))
    conn = psycopg2.connect(db_dsn)
    try:
        seed(conn, [])
        summary = run_metrics(conn, project=PROJECT, metrics_dir=tmp_path, now=NOW)
        assert summary.metrics_computed == 1
        (failure,) = summary.failed
        assert "metric 'Broken'" in failure and 'relation "no_such_table" does not exist' in failure
        with conn.cursor() as cur:
            cur.execute("select value from sgood")
            assert cur.fetchall() == [(6.0,)]
        conn.rollback()
        metrics[0]["allow_fail"] = False
        (tmp_path / "shared" / "metrics.yaml").write_text(yaml.safe_dump({"metrics": metrics}))
        with pytest.raises(MetricsError, match=r"metric 'Broken' \(.*metrics.yaml\): relation"):
            run_metrics(conn, project=PROJECT, metrics_dir=tmp_path, full=True, now=NOW)
        with conn.cursor() as cur:
            cur.execute("select count(*) from pg_namespace where nspname = 'devstats_metrics_shadow'")
            assert cur.fetchone() == (0,)
    finally:
        conn.close()


def test_wrong_shapes_are_clear_errors(db_dsn: str, tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "m.sql").write_text("select 'a', 1")
    (tmp_path / "shared" / "metrics.yaml").write_text(
        yaml.safe_dump(
            {"metrics": [{"name": "Shape", "series_name_or_func": "lit", "sql": "m", "periods": "y"}]}
        )
    )
    conn = psycopg2.connect(db_dsn)
    try:
        with pytest.raises(MetricsError, match="returns 2 columns; a literal series name needs one"):
            run_metrics(conn, project=PROJECT, metrics_dir=tmp_path, now=NOW)
    finally:
        conn.close()
