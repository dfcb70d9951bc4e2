"""The bundled default metric set on a small seeded project: every metric runs, bots are left out."""

from __future__ import annotations

from datetime import datetime

import psycopg2
from devstats_sync.metrics import run_metrics
from devstats_sync.projects_config import Project

PROJECT = Project(
    name="demo", db="demo", start_date=datetime(2024, 1, 1), repos=("acme/app",), main_repo="acme/app"
)
NOW = datetime(2024, 1, 20, 12)


def _seed(conn) -> None:
    with conn, conn.cursor() as cur:
        events = []
        for i in range(60):
            login = ["alice", "bob", "dependabot[bot]"][i % 3]
            events.append(
                (
                    i + 1,
                    "PushEvent" if i % 2 else "IssuesEvent",
                    i % 3 + 1,
                    10,
                    True,
                    datetime(2024, 1, 1 + i // 4, i % 24),
                    login,
                    "acme/app",
                )
            )
        cur.executemany(
            "insert into gha_events(id, type, actor_id, repo_id, public, created_at, dup_actor_login, "
            "dup_repo_name) values (%s, %s, %s, %s, %s, %s, %s, %s)",
            events,
        )
        cur.execute("insert into gha_repos(id, name, repo_group) values (10, 'acme/app', 'Core')")
        cur.execute(
            "insert into gha_actors(id, login, country_name) "
            "values (1, 'alice', 'Poland'), (2, 'bob', 'Chile')"
        )
        cur.execute(
            "insert into gha_actors_affiliations"
            "(actor_id, company_name, original_company_name, dt_from, dt_to) "
            "values (1, 'Acme', 'Acme', '1970-01-01', '2099-01-01')"
        )


def test_default_set_full_then_incremental(db_dsn: str) -> None:
    conn = psycopg2.connect(db_dsn)
    try:
        _seed(conn)
        summary = run_metrics(conn, project=PROJECT, full=True, now=NOW)
        assert summary.failed == []
        assert summary.metrics_computed == 13
        assert summary.rows_written > 0
        with conn.cursor() as cur:
            cur.execute("select sum(value) from sevents where period = 'd'")
            # 60 events, every third by a bot.
            assert cur.fetchone()[0] == 40
            cur.execute("select series, sum(value) from scompany_activity where period = 'd' group by series")
            assert cur.fetchall() == [("company_activity_acme", 20.0)]
            cur.execute("select poland, chile from scountry_activity where period = 'm'")
            assert cur.fetchall() == [(20.0, 20.0)]
        again = run_metrics(conn, project=PROJECT, now=NOW.replace(hour=13))
        assert again.failed == []
        assert 0 < again.metrics_computed < 13
    finally:
        conn.close()
