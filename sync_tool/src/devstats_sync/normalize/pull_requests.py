"""Pull requests as an event saw them: gha_pull_requests with assignees, requested reviewers, their
base and head branches (and the repositories those live in), and pull request reviews."""

from __future__ import annotations

from typing import Any

from devstats_sync.normalize.fields import as_int, utc
from devstats_sync.normalize.issues import milestone
from devstats_sync.normalize.repositories import forkee
from devstats_sync.normalize.row_factories import builds_rows, row
from devstats_sync.normalize.rows import EventContext, Rows, user_or_actor


@builds_rows
def pull_request(pr: dict[str, Any], ctx: EventContext, rows: Rows) -> None:
    pr_id = int(pr["id"])
    user_id, user_login = user_or_actor(pr.get("user"), ctx, rows)
    assignee_id, assignee_login = rows.actor(pr.get("assignee"))
    merged_by_id, merged_by_login = rows.actor(pr.get("merged_by"))
    milestone_id = milestone(pr.get("milestone"), ctx, rows)
    base_sha = _branch(pr.get("base"), ctx, rows)
    head_sha = _branch(pr.get("head"), ctx, rows)
    rows.tables["gha_pull_requests"].append(
        row.gha_pull_requests(
            id=pr_id,
            event_id=ctx.event_id,
            user_id=user_id,
            base_sha=base_sha,
            head_sha=head_sha,
            merged_by_id=merged_by_id,
            assignee_id=assignee_id,
            milestone_id=milestone_id,
            number=int(pr.get("number") or 0),
            state=pr.get("state") or "",
            locked=pr.get("locked"),
            title=pr.get("title") or "",
            body=pr.get("body"),
            created_at=utc(pr.get("created_at")) or ctx.created_at,
            updated_at=utc(pr.get("updated_at")) or ctx.created_at,
            closed_at=utc(pr.get("closed_at")),
            merged_at=utc(pr.get("merged_at")),
            merge_commit_sha=pr.get("merge_commit_sha"),
            merged=pr.get("merged"),
            mergeable=pr.get("mergeable"),
            rebaseable=pr.get("rebaseable"),
            mergeable_state=pr.get("mergeable_state"),
            comments=pr.get("comments"),
            review_comments=pr.get("review_comments"),
            maintainer_can_modify=pr.get("maintainer_can_modify"),
            commits=pr.get("commits"),
            additions=pr.get("additions"),
            deletions=pr.get("deletions"),
            changed_files=pr.get("changed_files"),
            dup=ctx.dup,
            dup_user_login=user_login,
            dupn_assignee_login=assignee_login,
            dupn_merged_by_login=merged_by_login,
        )
    )
    for assignee in pr.get("assignees") or ():
        assignee_id, _ = rows.actor(assignee)
        if assignee_id is not None:
            rows.tables["gha_pull_requests_assignees"].append(
                row.gha_pull_requests_assignees(
                    pull_request_id=pr_id, event_id=ctx.event_id, assignee_id=assignee_id
                )
            )
    for reviewer in pr.get("requested_reviewers") or ():
        reviewer_id, _ = rows.actor(reviewer)
        if reviewer_id is not None:
            rows.tables["gha_pull_requests_requested_reviewers"].append(
                row.gha_pull_requests_requested_reviewers(
                    pull_request_id=pr_id, event_id=ctx.event_id, requested_reviewer_id=reviewer_id
                )
            )
    if ctx.type == "PullRequestEvent":
        ctx.text(rows, pr.get("title"))
        ctx.text(rows, pr.get("body"))


@builds_rows
def _branch(branch: Any, ctx: EventContext, rows: Rows) -> str:
    """Records a pull request's base or head branch (and its repository); returns its sha."""
    if not isinstance(branch, dict):
        return ""
    sha = branch.get("sha") or ""
    user_id, user_login = rows.actor(branch.get("user"))
    repo = branch.get("repo") if isinstance(branch.get("repo"), dict) else None
    if sha:
        rows.tables["gha_branches"].append(
            row.gha_branches(
                sha=sha,
                event_id=ctx.event_id,
                user_id=user_id,
                repo_id=as_int(repo.get("id")) if repo else None,
                label=branch.get("label") or "",
                ref=branch.get("ref") or "",
                dup_type=ctx.type,
                dup_created_at=ctx.created_at,
                dupn_forkee_name=repo.get("full_name") if repo else None,
                dupn_user_login=user_login,
            )
        )
    if repo and repo.get("id") is not None:
        forkee(repo, ctx, rows)
    return sha


@builds_rows
def review(review: dict[str, Any], ctx: EventContext, rows: Rows) -> None:
    user_id, user_login = user_or_actor(review.get("user"), ctx, rows)
    rows.tables["gha_reviews"].append(
        row.gha_reviews(
            id=int(review["id"]),
            user_id=user_id,
            commit_id=review.get("commit_id") or "",
            submitted_at=utc(review.get("submitted_at")) or ctx.created_at,
            author_association=review.get("author_association") or "",
            state=review.get("state") or "",
            body=review.get("body"),
            event_id=ctx.event_id,
            dup=ctx.dup,
            dup_user_login=user_login,
        )
    )
    ctx.text(rows, review.get("body"))
