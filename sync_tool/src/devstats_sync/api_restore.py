"""What GH Archive did not show, from the GitHub API: state changes as artificial events, lost objects.

For each repository of the project with activity in the recent window:

- issues and pull requests updated since the window start are compared with the newest snapshot
  the database holds (state, labels, milestone, assignees); a difference, or an issue the database
  has never seen, becomes an ``ArtificialEvent`` carrying the issue as the API shows it now (and
  the pull request, for pull requests), as DevStats' ghapi2db records them;
- issue comments, pull request reviews and releases the database lacks are restored as the events
  GH Archive would have carried (IssueCommentEvent, PullRequestReviewEvent, ReleaseEvent).

Events made here take ids from 2^48 up, as DevStats numbers API events; the rows go through the
same normalization as archive events.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import github
from psycopg2.extensions import connection, cursor
from psycopg2.extras import execute_values

from devstats_sync import normalize
from devstats_sync.filters import ProjectFilter
from devstats_sync.github_api import GitHubApiError, GitHubClient
from devstats_sync.projects_config import Project
from devstats_sync.schema import TABLE_BY_NAME

log = logging.getLogger(__name__)

API_EVENT_BASE = 1 << 48
_API_EVENT_END = 1 << 60  # collision-safe archive ids start here (see event_ids.py)
ARTIFICIAL = "ArtificialEvent"
_VARCHAR_RE = re.compile(r"^varchar\((\d+)\)")
WATERMARK_VAR = "github_api_synced_until"


@dataclass
class ApiResult:
    repos: int = 0
    issues_checked: int = 0
    artificial_events: int = 0
    comments_restored: int = 0
    reviews_restored: int = 0
    releases_restored: int = 0

    def describe(self) -> str:
        return (
            f"GitHub API: {self.repos} repositories, {self.issues_checked} issues/PRs checked, "
            f"{self.artificial_events} artificial events, restored {self.comments_restored} comments, "
            f"{self.reviews_restored} reviews, {self.releases_restored} releases"
        )


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _ts(text: str | None) -> datetime | None:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ") if text else None


class ApiRestore:
    def __init__(self, conn: connection, project: Project, client: GitHubClient, now: datetime) -> None:
        self.conn = conn
        self.project = project
        self.client = client
        self.now = now
        self.result = ApiResult()

    def window_start(self, window: timedelta) -> datetime:
        with self.conn, self.conn.cursor() as cur:
            cur.execute("select value_dt from gha_vars where name = %s", (WATERMARK_VAR,))
            row = cur.fetchone()
        start = self.now - window
        # Never leave a gap after a long outage, never re-read more than needed after a recent run.
        return min(row[0], start) if row and row[0] else start

    def repos(self, since: datetime) -> list[tuple[int, str]]:
        matcher = ProjectFilter(self.project)
        with self.conn, self.conn.cursor() as cur:
            cur.execute(
                "select distinct on (dup_repo_name) repo_id, dup_repo_name from gha_events "
                "where created_at >= %s order by dup_repo_name, created_at desc",
                (since,),
            )
            found = {name: rid for rid, name in cur.fetchall() if matcher.matches(name)}
        return sorted((rid, name) for name, rid in found.items())

    def run(self, window: timedelta = timedelta(days=1)) -> ApiResult:
        self.client.check_tokens()
        since = self.window_start(window)
        for repo_id, repo_name in self.repos(since):
            self.result.repos += 1
            try:
                self._sync_repo(repo_id, repo_name, since)
            except github.UnknownObjectException:
                log.warning("GitHub API: %s is gone (404); skipped", repo_name)
        with self.conn, self.conn.cursor() as cur:
            cur.execute(
                "insert into gha_vars(name, value_dt) values (%s, %s) "
                "on conflict (name) do update set value_dt = excluded.value_dt",
                (WATERMARK_VAR, self.now),
            )
        return self.result

    def _sync_repo(self, repo_id: int, repo_name: str, since: datetime) -> None:
        repo = {"id": repo_id, "name": repo_name, "url": f"{self.client.base_url}/repos/{repo_name}"}
        issues: list[dict[str, Any]] = []
        for page in self.client.pages(
            f"/repos/{repo_name}/issues",
            {"state": "all", "since": _iso(since), "sort": "updated", "direction": "asc"},
        ):
            issues.extend(page)
        prs_changed: list[dict[str, Any]] = []
        for issue in issues:
            self.result.issues_checked += 1
            if self._changed(issue):
                pr = None
                if issue.get("pull_request"):
                    _, pr = self.client.get(f"/repos/{repo_name}/pulls/{issue['number']}")
                    prs_changed.append(pr)
                payload: dict[str, Any] = {"action": issue.get("state"), "issue": issue}
                if pr is not None:
                    payload["pull_request"] = pr
                actor = issue.get("closed_by") or issue.get("user")
                self._write(ARTIFICIAL, actor, repo, payload, issue.get("updated_at"))
                self.result.artificial_events += 1
        self._restore_comments(repo, since)
        for issue in issues:
            if issue.get("pull_request"):
                self._restore_reviews(repo, issue)
        self._restore_releases(repo, since)

    def _changed(self, issue: dict[str, Any]) -> bool:
        """Does the newest snapshot in the database differ from what the API says now?"""
        with self.conn, self.conn.cursor() as cur:
            cur.execute(
                "select event_id, state, milestone_id from gha_issues where id = %s "
                "order by updated_at desc, event_id desc limit 1",
                (issue["id"],),
            )
            row = cur.fetchone()
            if row is None:
                return True
            event_id, state, milestone_id = row
            cur.execute(
                "select label_id from gha_issues_labels where issue_id = %s and event_id = %s",
                (issue["id"], event_id),
            )
            labels = {r[0] for r in cur.fetchall()}
            cur.execute(
                "select assignee_id from gha_issues_assignees where issue_id = %s and event_id = %s",
                (issue["id"], event_id),
            )
            assignees = {r[0] for r in cur.fetchall()}
        milestone = issue.get("milestone") or {}
        return (
            state != issue.get("state")
            or milestone_id != milestone.get("id")
            or labels != {label["id"] for label in issue.get("labels") or ()}
            or assignees != {a["id"] for a in issue.get("assignees") or ()}
        )

    def _missing(self, table: str, ids: list[int]) -> set[int]:
        if not ids:
            return set()
        with self.conn, self.conn.cursor() as cur:
            cur.execute(f"select distinct id from {table} where id = any(%s)", (ids,))
            return set(ids) - {r[0] for r in cur.fetchall()}

    def _restore_comments(self, repo: dict[str, Any], since: datetime) -> None:
        comments: list[dict[str, Any]] = []
        for page in self.client.pages(
            f"/repos/{repo['name']}/issues/comments",
            {"since": _iso(since), "sort": "updated", "direction": "asc"},
        ):
            comments.extend(page)
        missing = self._missing("gha_comments", [c["id"] for c in comments])
        for comment in comments:
            if comment["id"] in missing:
                self._write(
                    "IssueCommentEvent",
                    comment.get("user"),
                    repo,
                    {"action": "created", "comment": comment},
                    comment.get("created_at"),
                )
                self.result.comments_restored += 1

    def _restore_reviews(self, repo: dict[str, Any], issue: dict[str, Any]) -> None:
        reviews: list[dict[str, Any]] = []
        for page in self.client.pages(f"/repos/{repo['name']}/pulls/{issue['number']}/reviews"):
            reviews.extend(r for r in page if r.get("submitted_at"))
        missing = self._missing("gha_reviews", [r["id"] for r in reviews])
        for review in reviews:
            if review["id"] in missing:
                self._write(
                    "PullRequestReviewEvent",
                    review.get("user"),
                    repo,
                    {"action": "created", "review": review},
                    review.get("submitted_at"),
                )
                self.result.reviews_restored += 1

    def _restore_releases(self, repo: dict[str, Any], since: datetime) -> None:
        # Releases come newest first: the first page is enough for a window of days.
        _, releases = self.client.get(f"/repos/{repo['name']}/releases", {"per_page": 100})
        recent = [r for r in releases if r.get("published_at") and (_ts(r["published_at"]) or since) >= since]
        missing = self._missing("gha_releases", [r["id"] for r in recent])
        for release in recent:
            if release["id"] in missing:
                self._write(
                    "ReleaseEvent",
                    release.get("author"),
                    repo,
                    {"action": "published", "release": release},
                    release.get("published_at"),
                )
                self.result.releases_restored += 1

    def _write(
        self,
        etype: str,
        actor: dict[str, Any] | None,
        repo: dict[str, Any],
        payload: dict[str, Any],
        at: str | None,
    ) -> int:
        with self.conn, self.conn.cursor() as cur:
            event_id = next_api_event_id(cur)
            event = {
                "id": str(event_id),
                "type": etype,
                "public": True,
                "created_at": at or _iso(self.now),
                "actor": {"id": (actor or {}).get("id", 0), "login": (actor or {}).get("login", "")},
                "repo": repo,
                "payload": payload,
            }
            rows = normalize.Rows()
            normalize.normalize(event, event_id, rows)
            tables = rows.finish()
            if etype == ARTIFICIAL:
                # A state snapshot says nothing new in words: no texts, as DevStats keeps them.
                tables["gha_texts"] = []
            for table, table_rows in tables.items():
                if table_rows:
                    columns = ", ".join(TABLE_BY_NAME[table].row_columns)
                    execute_values(
                        cur,
                        f"insert into {table} ({columns}) values %s on conflict do nothing",
                        fit_rows(table, table_rows),
                    )
        return event_id


def _varchar_widths(table: str) -> tuple[int | None, ...]:
    types = dict(TABLE_BY_NAME[table].columns)
    widths = []
    for column in TABLE_BY_NAME[table].row_columns:
        match = _VARCHAR_RE.match(types[column])
        widths.append(int(match.group(1)) if match else None)
    return tuple(widths)


def fit_rows(table: str, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Strings cut to their varchar width (as the archive writer and DevStats do), JSON kept as text."""
    widths = _varchar_widths(table)
    return [
        tuple(
            v[:w]
            if isinstance(v, str) and w is not None
            else json.dumps(v)
            if isinstance(v, dict | list)
            else v
            for v, w in zip(row, widths, strict=True)
        )
        for row in rows
    ]


def next_api_event_id(cur: cursor) -> int:
    """The next free id of DevStats' API event range; the project lock keeps runs from racing."""
    cur.execute(
        "select coalesce(max(id) + 1, %s) from gha_events where id >= %s and id < %s",
        (API_EVENT_BASE, API_EVENT_BASE, _API_EVENT_END),
    )
    return int(cur.fetchone()[0])


__all__ = ["API_EVENT_BASE", "ApiRestore", "ApiResult", "GitHubApiError", "next_api_event_id"]
