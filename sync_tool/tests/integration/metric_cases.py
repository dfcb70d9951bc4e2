"""The seeded events and the runner shared by the table-driven metric cases.

Every case runs a one-metric ``metrics.yaml`` (written to a temporary metrics directory) against a
fresh database holding the same small set of events and releases, then checks tables with queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg2
import yaml
from devstats_sync.metrics import run_metrics
from devstats_sync.projects_config import Project

START = datetime(2024, 1, 1)  # a Monday
NOW = datetime(2024, 1, 9, 12, 30)
PROJECT = Project(name="demo", db="demo", start_date=START, repos=("acme/app",), main_repo="acme/app")

# id, type, login, created_at. Two bots by the default patterns: dependabot[bot] and k8s-ci-robot.
EVENTS = (
    (1, "PushEvent", "alice", datetime(2024, 1, 1, 10, 15)),
    (2, "IssuesEvent", "alice", datetime(2024, 1, 1, 10, 40)),
    (3, "PushEvent", "bob", datetime(2024, 1, 1, 11, 5)),
    (4, "PushEvent", "dependabot[bot]", datetime(2024, 1, 1, 11, 30)),
    (5, "IssueCommentEvent", "bob", datetime(2024, 1, 2, 9, 0)),
    (6, "WatchEvent", "carol", datetime(2024, 1, 3, 0, 0)),
    (7, "PushEvent", "k8s-ci-robot", datetime(2024, 1, 3, 1, 0)),
    (8, "PushEvent", "alice", datetime(2024, 1, 9, 12, 0)),
)
ACTOR_IDS = {"alice": 1, "bob": 2, "carol": 3, "dependabot[bot]": 4, "k8s-ci-robot": 5}

IN_BUCKET = "e.created_at >= '{{from}}' and e.created_at < '{{to}}'"
NOT_BOT = "(lower(e.dup_actor_login) {{exclude_bots}})"
COUNT_SQL = f"select count(*) from gha_events e where {IN_BUCKET} and {NOT_BOT}"
COUNT_ALL_SQL = f"select count(*) from gha_events e where {IN_BUCKET}"
BY_TYPE = f"from gha_events e where {IN_BUCKET} and {NOT_BOT} group by e.type"
BY_LOGIN = f"from gha_events e where {IN_BUCKET} and {NOT_BOT} group by e.dup_actor_login"
HIST_SQL = (
    "select e.dup_actor_login, count(*) from gha_events e where {{period:e.created_at}} "
    f"and {NOT_BOT} group by 1 order by 2 desc, 1"
)


def d(day: int, hour: int = 0) -> datetime:
    return datetime(2024, 1, day, hour)


HIST_TIME = datetime(2012, 7, 1)
HIST_TIME_2 = datetime(2012, 6, 30, 23)


@dataclass
class Case:
    """One metric (its metrics.yaml entry and SQL) run over the seeded events, and the exact rows of
    each check query afterwards."""

    id: str
    metric: dict[str, Any]
    sql: str | dict[str, str]
    checks: list[tuple[str, list[tuple[Any, ...]]]]
    setup: list[str] = field(default_factory=list)
    full: bool = False
    project: Project = PROJECT
    # A second run at this time, after the ``between`` statements: what a later sync computes.
    rerun_at: datetime | None = None
    between: list[str] = field(default_factory=list)


def seed(conn: psycopg2.extensions.connection, extra: list[str]) -> None:
    with conn, conn.cursor() as cur:
        cur.executemany(
            "insert into gha_events(id, type, actor_id, repo_id, public, created_at, dup_actor_login, "
            "dup_repo_name) values (%s, %s, %s, 10, true, %s, %s, 'acme/app')",
            [(i, kind, ACTOR_IDS[login], created, login) for i, kind, login, created in EVENTS],
        )
        cur.execute(
            "insert into gha_releases(id, event_id, tag_name, target_commitish, draft, author_id, "
            "prerelease, created_at, dup_actor_id, dup_actor_login, dup_repo_id, dup_repo_name, dup_type, "
            "dup_created_at, dup_author_login, name) values "
            "(1, 901, 'v1.0.0', 'main', false, 1, false, '2024-01-01 00:30', 1, 'alice', 10, 'acme/app', "
            "'ReleaseEvent', '2024-01-01 00:30', 'alice', 'First release'), "
            "(2, 902, 'v1.1.0', 'main', false, 1, false, '2024-01-02 12:00', 1, 'alice', 10, 'acme/app', "
            "'ReleaseEvent', '2024-01-02 12:00', 'alice', ''), "
            "(3, 903, 'v1.2.0-rc.1', 'main', false, 1, true, '2024-01-04 12:00', 1, 'alice', 10, 'acme/app', "
            "'ReleaseEvent', '2024-01-04 12:00', 'alice', ''), "
            "(4, 904, 'v0.9.0', 'main', false, 1, false, '2024-01-03 12:00', 1, 'alice', 11, 'other/repo', "
            "'ReleaseEvent', '2024-01-03 12:00', 'alice', '')"
        )
        cur.execute(
            "insert into gha_payloads(event_id, ref, ref_type, dup_actor_id, dup_actor_login, dup_repo_id, "
            "dup_repo_name, dup_type, dup_created_at) values "
            "(905, 'v1.2.0', 'tag', 1, 'alice', 10, 'acme/app', 'CreateEvent', '2024-01-05 00:00'), "
            "(906, 'release-notes', 'tag', 1, 'alice', 10, 'acme/app', 'CreateEvent', '2024-01-06 00:00')"
        )
        for statement in extra:
            cur.execute(statement)


def metrics_dir(root: Path, case: Case) -> Path:
    metric = {"name": case.id, **case.metric}
    sources = case.sql if isinstance(case.sql, dict) else {"m": case.sql}
    if "sqls" not in metric:
        metric["sql"] = "m"
    (root / "shared").mkdir(parents=True)
    (root / "shared" / "metrics.yaml").write_text(yaml.safe_dump({"metrics": [metric]}))
    for stem, text in sources.items():
        (root / "shared" / f"{stem}.sql").write_text(text)
    return root


def run_case(case: Case, dsn: str, root: Path) -> None:
    """Seeds, runs the metric (twice with ``rerun_at``) and compares every check's rows."""
    conn = psycopg2.connect(dsn)
    try:
        seed(conn, case.setup)
        directory = metrics_dir(root, case)
        summary = run_metrics(conn, project=case.project, metrics_dir=directory, full=case.full, now=NOW)
        assert summary.failed == []
        if case.rerun_at is not None:
            with conn, conn.cursor() as cur:
                for statement in case.between:
                    cur.execute(statement)
            summary = run_metrics(conn, project=case.project, metrics_dir=directory, now=case.rerun_at)
            assert summary.failed == []
        with conn.cursor() as cur:
            for query, expected in case.checks:
                cur.execute(query)
                assert cur.fetchall() == expected, query
        conn.rollback()
    finally:
        conn.close()
