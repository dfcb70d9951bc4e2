"""The API step against a local REST server and a real database: artificial events and restored objects."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import psycopg2
import pytest
from devstats_sync.api_restore import API_EVENT_BASE, ApiRestore
from devstats_sync.github_api import GitHubClient
from devstats_sync.projects_config import project_from_dict

from tests.support.github_api_server import GitHubApiServer, github_api_server, quota, rate_limit_body

NOW = datetime(2024, 3, 5, 0)
PROJECT = project_from_dict({"name": "acme", "orgs": ["acme"], "start_date": "2024-01-01"}, 0, "test")
API = "http://127.0.0.1"


def user(login: str, uid: int) -> dict[str, Any]:
    return {
        "login": login,
        "id": uid,
        "node_id": f"U_{uid}",
        "avatar_url": f"https://avatars.example/u/{uid}",
        "url": f"{API}/users/{login}",
        "html_url": f"https://github.com/{login}",
        "type": "User",
        "site_admin": False,
    }


def label(name: str, lid: int) -> dict[str, Any]:
    return {
        "id": lid,
        "node_id": f"LA_{lid}",
        "url": f"{API}/repos/acme/widget/labels/{name}",
        "name": name,
        "color": "ededed",
        "default": False,
        "description": None,
    }


def issue(
    number: int, iid: int, state: str, labels: list[dict[str, Any]], pr: bool = False
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "url": f"{API}/repos/acme/widget/issues/{number}",
        "id": iid,
        "node_id": f"I_{iid}",
        "number": number,
        "title": f"Issue {number}",
        "user": user("alice", 11),
        "labels": labels,
        "state": state,
        "locked": False,
        "assignee": None,
        "assignees": [],
        "milestone": None,
        "comments": 1,
        "created_at": "2024-03-01T10:00:00Z",
        "updated_at": "2024-03-04T12:00:00Z",
        "closed_at": "2024-03-04T12:00:00Z" if state == "closed" else None,
        "author_association": "MEMBER",
        "body": "Steps to reproduce",
        "closed_by": user("bob", 22) if state == "closed" else None,
    }
    if pr:
        body["pull_request"] = {
            "url": f"{API}/repos/acme/widget/pulls/{number}",
            "merged_at": "2024-03-04T12:00:00Z",
        }
    return body


PULL = {
    "url": f"{API}/repos/acme/widget/pulls/3",
    "id": 7003,
    "node_id": "PR_7003",
    "number": 3,
    "state": "closed",
    "locked": False,
    "title": "Issue 3",
    "user": user("alice", 11),
    "body": "Fixes #1",
    "created_at": "2024-03-01T10:00:00Z",
    "updated_at": "2024-03-04T12:00:00Z",
    "closed_at": "2024-03-04T12:00:00Z",
    "merged_at": "2024-03-04T12:00:00Z",
    "merge_commit_sha": "a" * 40,
    "assignee": None,
    "assignees": [],
    "requested_reviewers": [],
    "labels": [],
    "milestone": None,
    "merged": True,
    "mergeable": None,
    "comments": 1,
    "review_comments": 0,
    "commits": 2,
    "additions": 10,
    "deletions": 3,
    "changed_files": 2,
    "merged_by": user("bob", 22),
    "head": {"label": "alice:fix", "ref": "fix", "sha": "b" * 40, "user": user("alice", 11), "repo": None},
    "base": {"label": "acme:main", "ref": "main", "sha": "c" * 40, "user": user("acme", 99), "repo": None},
}
COMMENTS = [
    {
        "id": 501,
        "body": "Known already",
        "user": user("carol", 33),
        "created_at": "2024-03-04T09:00:00Z",
        "updated_at": "2024-03-04T09:00:00Z",
        "issue_url": f"{API}/repos/acme/widget/issues/1",
    },
    {
        "id": 502,
        "body": "Lost by the archive",
        "user": user("dave", 44),
        "created_at": "2024-03-04T13:00:00Z",
        "updated_at": "2024-03-04T13:00:00Z",
        "issue_url": f"{API}/repos/acme/widget/issues/1",
    },
]
REVIEWS = [
    {
        "id": 701,
        "user": user("bob", 22),
        "body": "LGTM",
        "state": "APPROVED",
        "commit_id": "b" * 40,
        "author_association": "MEMBER",
        "submitted_at": "2024-03-04T11:00:00Z",
    },
    {
        "id": 702,
        "user": user("bob", 22),
        "body": "",
        "state": "PENDING",
        "commit_id": "b" * 40,
        "author_association": "MEMBER",
    },
]
RELEASES = [
    {
        "id": 801,
        "tag_name": "v1.2.0",
        "target_commitish": "main",
        "name": "v1.2.0",
        "draft": False,
        "prerelease": False,
        "author": user("bob", 22),
        "created_at": "2024-03-04T14:00:00Z",
        "published_at": "2024-03-04T14:00:00Z",
        "body": "Notes",
        "assets": [],
    },
    {
        "id": 800,
        "tag_name": "v1.1.0",
        "target_commitish": "main",
        "name": "v1.1.0",
        "draft": False,
        "prerelease": False,
        "author": user("bob", 22),
        "created_at": "2024-01-04T14:00:00Z",
        "published_at": "2024-01-04T14:00:00Z",
        "body": "Old notes",
        "assets": [],
    },
]
ROUTES: dict[str, Any] = {
    "/repos/acme/widget/issues": [
        issue(1, 9001, "closed", [label("bug", 1), label("lgtm", 2)]),
        issue(2, 9002, "open", []),
        issue(3, 9003, "closed", [], pr=True),
    ],
    "/repos/acme/widget/pulls/3": PULL,
    "/repos/acme/widget/issues/comments": COMMENTS,
    "/repos/acme/widget/pulls/3/reviews": REVIEWS,
    "/repos/acme/widget/releases": RELEASES,
}


@pytest.fixture
def server() -> Iterator[GitHubApiServer]:
    def script(token: str, path: str, query: str) -> tuple[int, dict[str, str], Any]:
        if path == "/rate_limit":
            return 200, {}, rate_limit_body(4000)
        if path not in ROUTES:
            return 404, quota(3999), {"message": "Not Found"}
        return 200, quota(3999), ROUTES[path]

    with github_api_server(script) as api:
        yield api


def seed(cur: psycopg2.extensions.cursor) -> None:
    dup = "11, 'alice', 500, 'acme/widget', 'IssuesEvent', '2024-03-04 08:00'"
    cur.execute(
        "insert into gha_events (id, type, actor_id, repo_id, public, created_at, dup_actor_login, "
        "dup_repo_name) values "
        "(10, 'IssuesEvent', 11, 500, true, '2024-03-04 08:00', 'alice', 'acme/widget')"
    )
    for iid, number, is_pr in ((9001, 1, False), (9002, 2, False), (9003, 3, True)):
        cur.execute(
            "insert into gha_issues (id, event_id, comments, created_at, locked, number, state, title, "
            "updated_at, "
            f"user_id, is_pull_request, dup_actor_id, dup_actor_login, dup_repo_id, dup_repo_name, dup_type, "
            f"dup_created_at, dup_user_login) values "
            f"({iid}, 10, 0, '2024-03-01 10:00', false, {number}, 'open', "
            f"'Issue {number}', '2024-03-04 08:00', 11, {is_pr}, {dup}, 'alice')"
        )
    cur.execute(f"insert into gha_issues_labels values (9001, 10, 1, {dup}, 1, 'bug')")
    cur.execute(
        "insert into gha_comments (id, event_id, body, created_at, updated_at, user_id, dup_actor_id, "
        f"dup_actor_login, dup_repo_id, dup_repo_name, dup_type, dup_created_at, dup_user_login) values "
        f"(501, 10, 'Known already', '2024-03-04 09:00', '2024-03-04 09:00', 33, {dup}, 'carol')"
    )


def fetch(conn: psycopg2.extensions.connection, sql: str) -> list[tuple[Any, ...]]:
    with conn, conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def test_state_changes_become_artificial_events_and_lost_objects_return(
    db_dsn: str, server: GitHubApiServer
) -> None:
    conn = psycopg2.connect(db_dsn)
    with conn, conn.cursor() as cur:
        seed(cur)
    client = GitHubClient(["tok-1"], server.url, sleep=lambda s: None)
    result = ApiRestore(conn, PROJECT, client, NOW).run()
    assert (result.repos, result.issues_checked, result.artificial_events) == (1, 3, 2)
    assert (result.comments_restored, result.reviews_restored, result.releases_restored) == (1, 1, 1)
    assert {p for _, p in server.calls} == {"/rate_limit", *ROUTES}

    events = fetch(
        conn,
        f"select id - {API_EVENT_BASE}, type, dup_actor_login, created_at from gha_events "
        f"where id >= {API_EVENT_BASE} order by id",
    )
    assert events == [
        (0, "ArtificialEvent", "bob", datetime(2024, 3, 4, 12)),
        (1, "ArtificialEvent", "bob", datetime(2024, 3, 4, 12)),
        (2, "IssueCommentEvent", "dave", datetime(2024, 3, 4, 13)),
        (3, "PullRequestReviewEvent", "bob", datetime(2024, 3, 4, 11)),
        (4, "ReleaseEvent", "bob", datetime(2024, 3, 4, 14)),
    ]
    first = API_EVENT_BASE
    assert fetch(conn, f"select id, state, closed_at from gha_issues where event_id = {first}") == [
        (9001, "closed", datetime(2024, 3, 4, 12))
    ]
    assert fetch(
        conn,
        f"select label_id, label_name, type from gha_issues_events_labels where event_id = {first} "
        "order by label_id",
    ) == [(1, "bug", "ArtificialEvent"), (2, "lgtm", "ArtificialEvent")]
    assert fetch(
        conn, f"select id, merged, dupn_merged_by_login from gha_pull_requests where event_id = {first + 1}"
    ) == [(7003, True, "bob")]
    assert fetch(conn, "select id, body from gha_comments where id = 502") == [(502, "Lost by the archive")]
    assert fetch(conn, "select id, state from gha_reviews") == [(701, "APPROVED")]
    assert fetch(conn, "select id, tag_name from gha_releases") == [(801, "v1.2.0")]
    assert fetch(
        conn, f"select type, body from gha_texts where event_id >= {API_EVENT_BASE} order by event_id"
    ) == [
        ("IssueCommentEvent", "Lost by the archive"),
        ("PullRequestReviewEvent", "LGTM"),
    ]
    assert fetch(conn, "select value_dt from gha_vars where name = 'github_api_synced_until'") == [(NOW,)]

    again = ApiRestore(conn, PROJECT, client, NOW).run()
    assert (
        again.artificial_events,
        again.comments_restored,
        again.reviews_restored,
        again.releases_restored,
    ) == (0, 0, 0, 0)
    assert fetch(conn, f"select count(*) from gha_events where id >= {API_EVENT_BASE}") == [(5,)]
    conn.close()
