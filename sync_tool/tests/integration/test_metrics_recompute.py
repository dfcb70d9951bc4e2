"""Recomputing: idempotent upserts, what a sync finds due, and full recomputes under a reading dashboard."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from pathlib import Path

import psycopg2
from devstats_sync.metrics import run_metrics
from devstats_sync.projects_config import Project

START = datetime(2024, 1, 1)
PROJECT = Project(name="demo", db="demo", start_date=START, repos=("acme/app",))
METRICS = """
metrics:
  - name: Events
    series_name_or_func: events
    sql: events
    periods: h,d,w,m
    aggregate: 1,7
    skip: h7,w7,m7
  - name: Events by login
    series_name_or_func: multi_row_single_column
    sql: by_login
    periods: d,w
    merge_series: by_login
  - name: Top logins
    series_name_or_func: hist_logins
    sql: hist_logins
    histogram: true
    periods: w
"""
WHERE = (
    "e.created_at >= '{{from}}' and e.created_at < '{{to}}' and (lower(e.dup_actor_login) {{exclude_bots}})"
)
SQL = {
    "events": f"select round(count(*) / {{{{n}}}}, 3) from gha_events e where {WHERE}",
    "by_login": f"select 'l_,' || e.dup_actor_login, count(*) from gha_events e where {WHERE} group by 1",
    "hist_logins": "select dup_actor_login, count(*) from gha_events e where {{period:e.created_at}} "
    "group by 1 order by 2 desc, 1",
}
TABLES = ("sevents", "sby_login", "shist_logins")


def _metrics_dir(root: Path) -> Path:
    (root / "shared").mkdir(parents=True)
    (root / "shared" / "metrics.yaml").write_text(METRICS)
    for stem, text in SQL.items():
        (root / "shared" / f"{stem}.sql").write_text(text)
    return root


def _add_events(conn, first_id: int, moments: list[datetime]) -> None:
    with conn, conn.cursor() as cur:
        cur.executemany(
            "insert into gha_events(id, type, actor_id, repo_id, public, created_at, dup_actor_login, "
            "dup_repo_name) values (%s, 'PushEvent', %s, 10, true, %s, %s, 'acme/app')",
            [(first_id + i, i % 3, m, f"user{i % 3}") for i, m in enumerate(moments)],
        )


def _dump(conn) -> dict[str, list[tuple]]:
    with conn.cursor() as cur:
        result = {}
        for table in TABLES:
            cur.execute(f"select * from {table} order by 1, 2, 3")
            result[table] = cur.fetchall()
    conn.rollback()
    return result


def _seed_month(conn) -> None:
    _add_events(conn, 1, [START + timedelta(hours=5 * i + 1) for i in range(140)])


def test_recompute_is_idempotent(db_dsn: str, tmp_path: Path) -> None:
    root = _metrics_dir(tmp_path)
    now = datetime(2024, 1, 29, 23, 10)
    conn = psycopg2.connect(db_dsn)
    try:
        _seed_month(conn)
        first = run_metrics(conn, project=PROJECT, metrics_dir=root, full=True, now=now)
        before = _dump(conn)
        assert first.rows_written > 0 and all(before.values())
        run_metrics(conn, project=PROJECT, metrics_dir=root, full=True, now=now)
        assert _dump(conn) == before
        # An incremental run at the same moment recomputes the open buckets onto the same rows.
        again = run_metrics(conn, project=PROJECT, metrics_dir=root, now=now)
        assert again.metrics_computed == 2  # the histogram was computed this hour already
        assert _dump(conn) == before
    finally:
        conn.close()


def test_sync_computes_what_is_due_and_corrects_open_buckets(db_dsn: str, tmp_path: Path) -> None:
    root = _metrics_dir(tmp_path)
    conn = psycopg2.connect(db_dsn)
    try:
        _seed_month(conn)
        run_metrics(conn, project=PROJECT, metrics_dir=root, now=datetime(2024, 1, 24, 10, 30))
        with conn.cursor() as cur:
            cur.execute("select metric, dt from gha_computed where metric like 'metrics:events/%' order by 1")
            marks = cur.fetchall()
        conn.rollback()
        assert marks == [
            ("metrics:events/events:d", datetime(2024, 1, 24, 10)),
            ("metrics:events/events:d7", datetime(2024, 1, 24, 10)),
            ("metrics:events/events:h", datetime(2024, 1, 24, 10)),
            ("metrics:events/events:m", datetime(2024, 1, 24, 10)),
            ("metrics:events/events:w", datetime(2024, 1, 24, 10)),
        ]
        # A late event lands in the hour computed last; the next sync's recompute picks it up.
        _add_events(conn, 1000, [datetime(2024, 1, 24, 10, 45)])
        summary = run_metrics(conn, project=PROJECT, metrics_dir=root, now=datetime(2024, 1, 24, 11, 5))
        # Hourly and daily events and the daily by-login are due; weekly/monthly/d7 and the histogram not.
        assert (summary.metrics_computed, summary.not_due) == (2, 1)
        with conn.cursor() as cur:
            cur.execute("select time, value from sevents where period = 'h' and time >= '2024-01-24 10:00'")
            assert cur.fetchall() == [(datetime(2024, 1, 24, 10), 1.0), (datetime(2024, 1, 24, 11), 0.0)]
            cur.execute("select count(*), count(distinct (time, period)) from sevents")
            total, distinct = cur.fetchone()
            assert total == distinct
            cur.execute("select max(dt) from gha_computed where metric = 'metrics:events/events:w'")
            assert cur.fetchone() == (datetime(2024, 1, 24, 10),)
        conn.rollback()
        # Monday: the previous week closed, so the weekly series is due again and is completed.
        run_metrics(conn, project=PROJECT, metrics_dir=root, now=datetime(2024, 1, 29, 0, 10))
        with conn.cursor() as cur:
            cur.execute(
                "select count(*) from gha_events "
                "where created_at >= '2024-01-22' and created_at < '2024-01-29'"
            )
            (expected,) = cur.fetchone()
            cur.execute("select value from sevents where period = 'w' and time = '2024-01-22'")
            assert cur.fetchone() == (float(expected),)
    finally:
        conn.close()


def test_reader_never_sees_an_empty_or_partial_series_during_full_recompute(
    db_dsn: str, tmp_path: Path
) -> None:
    root = _metrics_dir(tmp_path)
    now = datetime(2024, 1, 29, 23, 10)
    conn = psycopg2.connect(db_dsn)
    _seed_month(conn)
    run_metrics(conn, project=PROJECT, metrics_dir=root, full=True, now=now)
    with conn.cursor() as cur:
        cur.execute("select count(*), sum(value) from sevents where period = 'd'")
        expected = cur.fetchone()
        cur.execute("select count(*) from sby_login")
        expected_merged = cur.fetchone()[0]
    conn.rollback()
    seen: list[tuple] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def read() -> None:
        reader = psycopg2.connect(db_dsn)
        reader.autocommit = True
        try:
            with reader.cursor() as cur:
                while not done.is_set():
                    cur.execute(
                        "select (select count(*) from sevents where period = 'd'), "
                        "(select sum(value) from sevents where period = 'd'), "
                        "(select count(*) from sby_login)"
                    )
                    seen.append(cur.fetchone())
        except BaseException as error:
            errors.append(error)
        finally:
            reader.close()

    thread = threading.Thread(target=read)
    thread.start()
    try:
        for _ in range(3):
            run_metrics(conn, project=PROJECT, metrics_dir=root, full=True, now=now)
    finally:
        done.set()
        thread.join(timeout=30)
        conn.close()
    assert errors == []
    assert len(seen) > 10
    assert set(seen) == {(*expected, expected_merged)}
