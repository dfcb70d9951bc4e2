"""One event: its gha_events and gha_payloads rows, then each object of its payload to its family.

Every event lands in gha_events and gha_payloads, whatever its type; the objects its payload
carries (commits, an issue, a pull request, a comment, a review, a fork, a release, wiki pages, a
team, a member) go to the normalizer of their family, which also records the users they name.
"""

from __future__ import annotations

from typing import Any

from devstats_sync.normalize import comments, commits, issues, pre2015, pull_requests, repositories
from devstats_sync.normalize.fields import Event, as_int, is_pre2015, object_id, utc
from devstats_sync.normalize.row_factories import builds_rows, row
from devstats_sync.normalize.rows import EventContext, Rows

# Event types with a dedicated mapping; any other type still lands in gha_events and gha_payloads.
KNOWN_TYPES = frozenset(
    {
        "CommitCommentEvent",
        "CreateEvent",
        "DeleteEvent",
        "ForkEvent",
        "GollumEvent",
        "IssueCommentEvent",
        "IssuesEvent",
        "MemberEvent",
        "PublicEvent",
        "PullRequestEvent",
        "PullRequestReviewCommentEvent",
        "PullRequestReviewEvent",
        "PushEvent",
        "ReleaseEvent",
        "WatchEvent",
        "TeamAddEvent",
        # Pre-2015 types with nothing beyond the event itself.
        "FollowEvent",
        "GistEvent",
        "DownloadEvent",
        "ForkApplyEvent",
    }
)


@builds_rows
def normalize(event: Event, event_id: int, rows: Rows) -> None:
    """Appends the rows of one event (already given its final id) to ``rows``."""
    if is_pre2015(event):
        event = pre2015.to_current(event, rows)
    etype = str(event.get("type") or "UnknownEvent")
    actor_id, login = rows.actor(event.get("actor"))
    if actor_id is None:
        actor_id, login = 0, ""
    repo = event.get("repo") or {}
    repo_id, repo_name = int(repo.get("id") or 0), str(repo.get("name") or "")
    org = event.get("org") or None
    org_id = as_int(org.get("id")) if org else None
    org_login = org.get("login") if org else None
    if org_id is not None:
        rows.orgs.setdefault(org_id, row.gha_orgs(id=org_id, login=org_login or ""))
    if (repo_id, repo_name) not in rows.repos:
        rows.repos[repo_id, repo_name] = row.gha_repos(
            id=repo_id, name=repo_name, org_id=org_id, org_login=org_login
        )
    created_at = utc(event.get("created_at")) or ""
    ctx = EventContext(
        event_id=event_id,
        etype=etype,
        actor_id=actor_id,
        login=login or "",
        repo_id=repo_id,
        repo=repo_name,
        at=created_at,
    )
    payload = event.get("payload") or {}
    forkee = payload.get("forkee")
    if not isinstance(forkee, dict):
        forkee = None
    rows.tables["gha_events"].append(
        row.gha_events(
            id=event_id,
            type=etype,
            actor_id=actor_id,
            repo_id=repo_id,
            public=bool(event.get("public", True)),
            created_at=created_at,
            org_id=org_id,
            forkee_id=as_int(forkee.get("id")) if forkee else None,
            dup_actor_login=ctx.actor_login,
            dup_repo_name=repo_name,
        )
    )
    _payload(payload, ctx, rows)
    if etype not in KNOWN_TYPES:
        rows.unknown_types[etype] = rows.unknown_types.get(etype, 0) + 1
    _objects(payload, ctx, rows)


@builds_rows
def _payload(payload: dict[str, Any], ctx: EventContext, rows: Rows) -> None:
    comment = payload.get("comment")
    commit = payload.get("commit") or (comment.get("commit_id") if isinstance(comment, dict) else None)
    rows.tables["gha_payloads"].append(
        row.gha_payloads(
            event_id=ctx.event_id,
            push_id=as_int(payload.get("push_id")),
            size=as_int(payload.get("size")),
            ref=payload.get("ref"),
            head=payload.get("head"),
            befor=payload.get("before"),
            action=payload.get("action"),
            issue_id=object_id(payload.get("issue")) or as_int(payload.get("issue_id")),
            pull_request_id=object_id(payload.get("pull_request")),
            comment_id=object_id(comment) or as_int(payload.get("comment_id")),
            ref_type=payload.get("ref_type"),
            master_branch=payload.get("master_branch"),
            description=payload.get("description"),
            number=as_int(payload.get("number")),
            forkee_id=object_id(payload.get("forkee")),
            release_id=object_id(payload.get("release")),
            member_id=object_id(payload.get("member")),
            commit=commit,
            dup=ctx.dup,
        )
    )


def _objects(payload: dict[str, Any], ctx: EventContext, rows: Rows) -> None:
    member = payload.get("member")
    if isinstance(member, dict):
        rows.actor(member)
    for commit in payload.get("commits") or ():
        commits.commit(commit, ctx, rows)
    issue = payload.get("issue")
    if isinstance(issue, dict):
        issues.issue(issue, ctx, rows)
    pull_request = payload.get("pull_request")
    if isinstance(pull_request, dict) and pull_request.get("id") is not None:
        pull_requests.pull_request(pull_request, ctx, rows)
    comment = payload.get("comment")
    if isinstance(comment, dict) and comment.get("id") is not None:
        comments.comment(comment, ctx, rows)
    review = payload.get("review")
    if isinstance(review, dict) and review.get("id") is not None:
        pull_requests.review(review, ctx, rows)
    forkee = payload.get("forkee")
    if isinstance(forkee, dict) and forkee.get("id") is not None:
        repositories.forkee(forkee, ctx, rows)
    release = payload.get("release")
    if isinstance(release, dict) and release.get("id") is not None:
        repositories.release(release, ctx, rows)
    for page in payload.get("pages") or ():
        repositories.wiki_page(page, ctx, rows)
    team = payload.get("team")
    if isinstance(team, dict) and team.get("id") is not None:
        repositories.team(team, payload.get("repository"), ctx, rows)
