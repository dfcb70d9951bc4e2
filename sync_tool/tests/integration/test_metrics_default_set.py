"""The bundled default metric set on a small seeded project, with expectations worked out by hand."""

from __future__ import annotations

from datetime import datetime

import psycopg2
from devstats_sync.metrics import run_metrics
from devstats_sync.projects_config import Project

PROJECT = Project(
    name="demo", db="demo", start_date=datetime(2024, 1, 1), repos=("acme/app",), main_repo="acme/app"
)
NOW = datetime(2024, 1, 20, 12)
W1, W2, W3 = datetime(2024, 1, 1), datetime(2024, 1, 8), datetime(2024, 1, 15)
EVENT = (
    "insert into gha_events(id, type, actor_id, repo_id, public, created_at, dup_actor_login, "
    "dup_repo_name) values (%s, %s, %s, 10, true, %s, %s, 'acme/app')"
)
ISSUE = (
    "insert into gha_issues(id, event_id, closed_at, comments, created_at, locked, number, state, "
    "title, updated_at, user_id, is_pull_request, dup_actor_id, dup_actor_login, dup_repo_id, "
    "dup_repo_name, dup_type, dup_created_at, dup_user_login) values (%(id)s, %(event)s, %(closed)s, "
    "0, %(created)s, false, 1, 'open', 't', %(at)s, %(user_id)s, false, %(actor_id)s, %(actor)s, 10, "
    "'acme/app', %(kind)s, %(at)s, %(user)s)"
)
PR = (
    "insert into gha_pull_requests(id, event_id, user_id, base_sha, head_sha, number, state, title, "
    "created_at, updated_at, merged_at, dup_actor_id, dup_actor_login, dup_repo_id, dup_repo_name, "
    "dup_type, dup_created_at, dup_user_login) values (%(id)s, %(event)s, %(user_id)s, 'a', 'b', 1, "
    "'open', 't', %(created)s, %(at)s, %(merged)s, %(user_id)s, %(user)s, 10, 'acme/app', "
    "'PullRequestEvent', %(at)s, %(user)s)"
)
IDS = {"alice": 1, "bob": 2, "dependabot[bot]": 3, "carol": 7}


def _issue(issue: int, event: int, when: tuple[datetime, datetime], who: tuple[str, str], kind: str) -> dict:
    (created, at), (actor, user) = when, who
    closed = at if kind == "IssuesEvent" and at > created else None
    return {"id": issue, "event": event, "closed": closed, "created": created, "at": at, "user_id": IDS[user],
            "actor_id": IDS[actor], "actor": actor, "kind": kind, "user": user}  # fmt: skip


def _pr(pr: int, created: datetime, merged: datetime | None, user: str) -> dict:
    return {"id": pr, "event": pr + 100, "user_id": IDS[user], "created": created, "at": merged or created,
            "merged": merged, "user": user}  # fmt: skip


def _seed(conn) -> None:
    logins = ["alice", "bob", "dependabot[bot]"]
    t = datetime
    # 60 events over 15 days, 4 a day, by alice, bob and a bot in turn; carol starts in week 3.
    events = [
        (
            i + 1,
            "PushEvent" if i % 2 else "IssuesEvent",
            i % 3 + 1,
            t(2024, 1, 1 + i // 4, i % 24),
            logins[i % 3],
        )
        for i in range(60)
    ]
    events.append((61, "PushEvent", 7, t(2024, 1, 16, 10), "carol"))
    # Issue 10 by alice, answered by bob 3 hours later; issue 11 by bob, a bot answers first, then
    # alice 5 hours after opening; issue 11 is closed in week 1.
    issues = [
        _issue(10, 101, (t(2024, 1, 2, 8), t(2024, 1, 2, 8)), ("alice", "alice"), "IssuesEvent"),
        _issue(10, 102, (t(2024, 1, 2, 8), t(2024, 1, 2, 11)), ("bob", "alice"), "IssueCommentEvent"),
        _issue(11, 103, (t(2024, 1, 3), t(2024, 1, 3)), ("bob", "bob"), "IssuesEvent"),
        _issue(11, 104, (t(2024, 1, 3), t(2024, 1, 3, 1)), ("dependabot[bot]", "bob"), "IssueCommentEvent"),
        _issue(11, 105, (t(2024, 1, 3), t(2024, 1, 3, 5)), ("alice", "bob"), "IssueCommentEvent"),
        _issue(11, 106, (t(2024, 1, 3), t(2024, 1, 5)), ("bob", "bob"), "IssuesEvent"),
    ]
    # PRs: alice's merged after 24 h, bob's after 60 h, the bot's after 1 h (left out), carol's open.
    prs = [
        _pr(20, t(2024, 1, 2, 10), t(2024, 1, 3, 10), "alice"),
        _pr(21, t(2024, 1, 2, 10), t(2024, 1, 4, 22), "bob"),
        _pr(22, t(2024, 1, 2), t(2024, 1, 2, 1), "dependabot[bot]"),
        _pr(23, t(2024, 1, 4), None, "carol"),
    ]
    with conn, conn.cursor() as cur:
        cur.executemany(EVENT, events)
        cur.executemany(ISSUE, issues)
        cur.executemany(PR, prs)
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


def _rows(conn, query: str) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(query)
        return cur.fetchall()


def test_default_set_full_then_incremental(db_dsn: str) -> None:
    conn = psycopg2.connect(db_dsn)
    try:
        _seed(conn)
        summary = run_metrics(conn, project=PROJECT, full=True, now=NOW)
        assert summary.failed == []
        assert summary.metrics_computed == 13
        # 61 events, every third of the first 60 by a bot.
        assert _rows(conn, "select sum(value) from sevents where period = 'd'") == [(41.0,)]
        assert _rows(conn, "select sum(value) from sevents where period = 'h'") == [(41.0,)]
        assert _rows(conn, "select time, value from snew_contributors where period = 'w' order by time") == [
            (W1, 2.0), (W2, 0.0), (W3, 1.0)
        ]  # fmt: skip
        assert _rows(conn, "select time, value from scontributors where period = 'w' order by time") == [
            (W1, 2.0), (W2, 2.0), (W3, 3.0)
        ]  # fmt: skip
        assert _rows(conn, "select value from sprs_opened where period = 'w' and time = '2024-01-01'") == [
            (3.0,)
        ]
        assert _rows(conn, "select value from sprs_merged where period = 'w' and time = '2024-01-01'") == [
            (2.0,)
        ]
        assert _rows(
            conn,
            "select m.value, m.descr, p.value, p.descr from spr_time_to_merge_median m "
            "join spr_time_to_merge_p85 p using (time, period) where period = 'm'",
        ) == [(24.0, "1 day", 60.0, "2 days 12 hours")]
        assert _rows(
            conn,
            "select m.value, p.value from sfirst_response_issues_median m "
            "join sfirst_response_issues_p85 p using (time, period) "
            "where period = 'w' and time = '2024-01-01'",
        ) == [(3.0, 5.0)]
        assert _rows(conn, "select series, value from sissues where period = 'w' and time = '2024-01-01' "
                           "order by series") == [("issues_closed", 1.0), ("issues_opened", 2.0)]  # fmt: skip
        assert _rows(
            conn, "select series, sum(value) from scompany_activity where period = 'd' group by 1"
        ) == [("company_activity_acme", 20.0)]
        assert _rows(
            conn, "select series, value from srepo_group_activity where period = 'm' order by 1"
        ) == [
            ("repo_group_activity_all", 41.0),
            ("repo_group_activity_core", 41.0),
        ]
        assert _rows(conn, "select poland, chile from scountry_activity where period = 'm'") == [(20.0, 20.0)]
        assert _rows(conn, "select name, value from shist_top_companies where period = 'm'") == [
            ("Acme", 20.0)
        ]
        assert _rows(conn, "select repo_group_name, repo_group_value from trepo_groups") == [("Core", "core")]
        assert _rows(conn, "select companies_name from tcompanies") == [("Acme",)]
        assert _rows(conn, "select countries_name from tcountries order by 1") == [("Chile",), ("Poland",)]
        conn.rollback()
        again = run_metrics(conn, project=PROJECT, now=NOW.replace(hour=13))
        assert again.failed == []
        assert 0 < again.metrics_computed < 13
    finally:
        conn.close()
