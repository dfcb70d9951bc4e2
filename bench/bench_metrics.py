"""Metrics benchmark: a full recompute of the bundled default metric set over one project-year.

Generates a year (2024) of one project's data straight into a throwaway PostgreSQL with COPY: at
least 1M events in a realistic mix (pushes, comments, issues, PRs, reviews, stars, forks, releases)
over 20 repositories in 5 groups and 3000 contributors (some of them bots, most affiliated with a
company and a country), with the rows ingest derives from them (commits, issue and PR snapshots).
Then times ``run_metrics(full=True)`` and prints seconds and rows written against the 60 s target.

Not a test; nothing fails. Usage: python bench/bench_metrics.py [--events N] [--seed S]
"""

from __future__ import annotations

import argparse
import io
import random
import time
from collections import deque
from datetime import datetime, timedelta

import psycopg2
from devstats_sync import schema
from devstats_sync.copy_format import copy_text
from devstats_sync.embedded_postgres import EmbeddedPostgres
from devstats_sync.metrics import run_metrics
from devstats_sync.normalize import row
from devstats_sync.projects_config import Project
from devstats_sync.schema import TABLE_BY_NAME

TARGET_SECONDS = 60.0
YEAR_START = datetime(2024, 1, 1)
SECONDS_IN_YEAR = 366 * 86400
REPOS = [(100 + i, f"acme/repo{i}", f"group{i % 5}") for i in range(20)]
MAIN_REPO = REPOS[0]
COMPANIES = [f"Company {i}" for i in range(60)]
COUNTRIES = [f"Country {i}" for i in range(30)]
# (type, share): roughly GH Archive's mix for an active project.
EVENT_MIX = (
    ("PushEvent", 0.30),
    ("IssueCommentEvent", 0.25),
    ("PullRequestEvent", 0.12),
    ("IssuesEvent", 0.08),
    ("PullRequestReviewCommentEvent", 0.08),
    ("PullRequestReviewEvent", 0.05),
    ("WatchEvent", 0.07),
    ("ForkEvent", 0.02),
    ("CreateEvent", 0.02),
    ("DeleteEvent", 0.01),
)


def _copy(cur, table: str, rows: list[tuple]) -> int:
    cur.copy_expert(
        f"copy {table} ({', '.join(TABLE_BY_NAME[table].row_columns)}) from stdin",
        io.BytesIO(copy_text(table, rows).encode()),
    )
    return len(rows)


def _actors() -> list[tuple[int, str, bool]]:
    return [(1000 + i, f"ci-{i}-bot" if i % 40 == 0 else f"dev{i}", i % 40 == 0) for i in range(3000)]


class _Rows:
    """The rows ingest would derive from the generated events, built as the events are drawn."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.events: list[tuple] = []
        self.commits: list[tuple] = []
        self.issues: list[tuple] = []
        self.prs: list[tuple] = []
        self.opened: dict[int, tuple[datetime, int, str]] = {}
        # Comments and reviews go to one of the most recently opened issues and PRs.
        self.recent_issues: deque[int] = deque(maxlen=500)
        self.recent_prs: deque[int] = deque(maxlen=500)

    def _target(self, recent: deque[int], opens: bool, new_id: int, who: tuple[datetime, int, str]) -> int:
        if opens or not recent:
            self.opened[new_id] = who
            recent.append(new_id)
            return new_id
        return self.rng.choice(recent)

    def add(self, event_id: int, kind: str, actor: tuple[int, str, bool], created: datetime) -> None:
        actor_id, login, _bot = actor
        repo_id, repo_name, _group = REPOS[min(int(self.rng.expovariate(0.25)), len(REPOS) - 1)]
        self.events.append(
            row.gha_events(
                id=event_id,
                type=kind,
                actor_id=actor_id,
                repo_id=repo_id,
                public=True,
                created_at=created,
                dup_actor_login=login,
                dup_repo_name=repo_name,
            )
        )
        dup = (actor_id, login, repo_id, repo_name, kind, created)
        if kind == "PushEvent":
            for c in range(1 + (event_id % 3 == 0)):
                self.commits.append(
                    row.gha_commits(
                        sha=f"{event_id:032x}{c:08x}",
                        event_id=event_id,
                        author_name=login,
                        message="msg",
                        is_distinct=True,
                        dup=dup,
                        encrypted_email="",
                        dup_author_login=login,
                    )
                )
        elif kind in ("IssuesEvent", "IssueCommentEvent"):
            issue = self._target(
                self.recent_issues, kind == "IssuesEvent", 5_000_000 + event_id, (created, actor_id, login)
            )
            opened, user_id, user_login = self.opened[issue]
            closed = opened + timedelta(days=self.rng.randint(1, 30)) if issue % 2 else None
            self.issues.append(
                row.gha_issues(
                    id=issue,
                    event_id=event_id,
                    closed_at=closed,
                    comments=0,
                    created_at=opened,
                    locked=False,
                    number=issue % 100000,
                    state="closed" if closed else "open",
                    title="t",
                    updated_at=created,
                    user_id=user_id,
                    is_pull_request=issue % 5 == 0,
                    dup=dup,
                    dup_user_login=user_login,
                )
            )
        elif kind in ("PullRequestEvent", "PullRequestReviewCommentEvent", "PullRequestReviewEvent"):
            pr = self._target(
                self.recent_prs, kind == "PullRequestEvent", 9_000_000 + event_id, (created, actor_id, login)
            )
            opened, user_id, user_login = self.opened[pr]
            merged = opened + timedelta(hours=self.rng.randint(1, 400)) if pr % 3 else None
            self.prs.append(
                row.gha_pull_requests(
                    id=pr,
                    event_id=event_id,
                    user_id=user_id,
                    base_sha="a" * 40,
                    head_sha="b" * 40,
                    number=pr % 100000,
                    state="closed" if merged else "open",
                    title="t",
                    created_at=opened,
                    updated_at=created,
                    closed_at=merged,
                    merged_at=merged,
                    dup=dup,
                    dup_user_login=user_login,
                )
            )


def generate(conn, events: int, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    actors = _actors()
    # Contributors are not equally active: a few do most of the work, as in real projects.
    weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(actors))]
    picked_actors = rng.choices(actors, weights=weights, k=events)
    picked_types = rng.choices([t for t, _ in EVENT_MIX], weights=[s for _, s in EVENT_MIX], k=events)
    offsets = sorted(rng.randrange(SECONDS_IN_YEAR) for _ in range(events))
    rows = _Rows(rng)
    for index in range(events):
        rows.add(
            index + 1,
            picked_types[index],
            picked_actors[index],
            YEAR_START + timedelta(seconds=offsets[index]),
        )
    releases = []
    for m in range(12):
        published = YEAR_START + timedelta(days=30 * m + 3)
        releases.append(
            row.gha_releases(
                id=70_000 + m,
                event_id=80_000 + m,
                tag_name=f"v1.{m}.0",
                target_commitish="main",
                draft=False,
                author_id=1000,
                prerelease=False,
                created_at=published,
                dup=(1000, "dev0", MAIN_REPO[0], MAIN_REPO[1], "ReleaseEvent", published),
                dup_author_login="dev0",
            )
        )
    affiliated = [
        row.gha_actors_affiliations(
            actor_id=a,
            company_name=COMPANIES[a % len(COMPANIES)],
            original_company_name=COMPANIES[a % len(COMPANIES)],
            dt_from="1970-01-01",
            dt_to="2099-01-01",
        )
        for a, _, bot in actors
        if a % 10 < 7 and not bot
    ]
    located = [
        row.gha_actors(id=a, login=login, country_name=COUNTRIES[a % len(COUNTRIES)] if a % 4 else None)
        for a, login, _ in actors
    ]
    repos = [row.gha_repos(id=repo_id, name=name, repo_group=group) for repo_id, name, group in REPOS]
    tables = {
        "gha_events": rows.events,
        "gha_commits": rows.commits,
        "gha_issues": rows.issues,
        "gha_pull_requests": rows.prs,
        "gha_actors": located,
        "gha_actors_affiliations": affiliated,
        "gha_repos": repos,
        "gha_releases": releases,
    }
    with conn, conn.cursor() as cur:
        return {table: _copy(cur, table, table_rows) for table, table_rows in tables.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_050_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    project = Project(
        name="bench",
        db="bench",
        start_date=YEAR_START,
        repos=tuple(r[1] for r in REPOS),
        main_repo=MAIN_REPO[1],
    )
    with EmbeddedPostgres() as server:
        admin = psycopg2.connect(server.dsn())
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute("create database bench")
        admin.close()
        conn = psycopg2.connect(server.dsn("bench"))
        schema.ensure_schema(conn)
        began = time.perf_counter()
        counts = generate(conn, args.events, args.seed)
        schema.create_indexes(conn)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("analyze")
        loaded = time.perf_counter() - began
        print(
            f"data ({loaded:.1f} s to generate and load): " + ", ".join(f"{t} {n}" for t, n in counts.items())
        )
        summary = run_metrics(conn, project=project, full=True, now=datetime(2024, 12, 31, 23))
        conn.close()
    print(
        f"full recompute of the default set: {summary.seconds:.1f} s, {summary.metrics_computed} metrics, "
        f"{summary.series_written} tables, {summary.rows_written} rows written"
    )
    for name, seconds in sorted(summary.metric_seconds.items(), key=lambda item: -item[1]):
        print(f"  {seconds:6.1f} s  {name}")
    print(
        f"target {TARGET_SECONDS:.0f} s: {summary.seconds / TARGET_SECONDS:.2f} of the target; "
        f"{summary.rows_written / max(summary.seconds, 1e-9):.0f} rows written/s, "
        f"{counts['gha_events'] / max(summary.seconds, 1e-9):.0f} events/s"
    )


if __name__ == "__main__":
    main()
