"""Issues as an event saw them: gha_issues with their assignees, labels and milestone.

An issue that is a pull request arrives here too (``is_pull_request``); its pull request side is
in :mod:`devstats_sync.normalize.pull_requests`, and the two are linked after the hours are in.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from devstats_sync.normalize.fields import as_int, hash_id, utc
from devstats_sync.normalize.row_factories import builds_rows, row
from devstats_sync.normalize.rows import EventContext, Rows, user_or_actor


@builds_rows
def issue(issue: dict[str, Any], ctx: EventContext, rows: Rows) -> None:
    if issue.get("id") is None:
        return
    issue_id = int(issue["id"])
    number = int(issue.get("number") or 0)
    user_id, user_login = user_or_actor(issue.get("user"), ctx, rows)
    assignee_id, assignee_login = rows.actor(issue.get("assignee"))
    milestone_id = milestone(issue.get("milestone"), ctx, rows)
    rows.tables["gha_issues"].append(
        row.gha_issues(
            id=issue_id,
            event_id=ctx.event_id,
            assignee_id=assignee_id,
            body=issue.get("body"),
            closed_at=utc(issue.get("closed_at")),
            comments=issue.get("comments") or 0,
            created_at=utc(issue.get("created_at")) or ctx.created_at,
            locked=bool(issue.get("locked")),
            milestone_id=milestone_id,
            number=number,
            state=issue.get("state") or "",
            title=issue.get("title") or "",
            updated_at=utc(issue.get("updated_at")) or ctx.created_at,
            user_id=user_id,
            is_pull_request="pull_request" in issue,
            dup=ctx.dup,
            dupn_assignee_login=assignee_login,
            dup_user_login=user_login,
        )
    )
    for assignee in issue.get("assignees") or ():
        assignee_id, _ = rows.actor(assignee)
        if assignee_id is not None:
            rows.tables["gha_issues_assignees"].append(
                row.gha_issues_assignees(issue_id=issue_id, event_id=ctx.event_id, assignee_id=assignee_id)
            )
    _labels(issue.get("labels") or (), issue_id, number, ctx, rows)
    if ctx.type == "IssuesEvent":
        # DevStats keeps a title and a body as two texts.
        ctx.text(rows, issue.get("title"))
        ctx.text(rows, issue.get("body"))


@builds_rows
def _labels(labels: Iterable[Any], issue_id: int, number: int, ctx: EventContext, rows: Rows) -> None:
    for label in labels:
        if not isinstance(label, dict) or not label.get("name"):
            continue
        name = label["name"]
        label_id = as_int(label.get("id"))
        if label_id is None:
            label_id = hash_id("label", name)
        rows.labels.setdefault(
            label_id,
            row.gha_labels(
                id=label_id, name=name, color=label.get("color") or "", is_default=label.get("default")
            ),
        )
        rows.tables["gha_issues_labels"].append(
            row.gha_issues_labels(
                issue_id=issue_id,
                event_id=ctx.event_id,
                label_id=label_id,
                dup=ctx.dup,
                dup_issue_number=number,
                dup_label_name=name,
            )
        )
        rows.tables["gha_issues_events_labels"].append(
            row.gha_issues_events_labels(
                issue_id=issue_id,
                event_id=ctx.event_id,
                label_id=label_id,
                label_name=name,
                created_at=ctx.created_at,
                actor_id=ctx.actor_id,
                actor_login=ctx.actor_login,
                repo_id=ctx.repo_id,
                repo_name=ctx.repo_name,
                type=ctx.type,
                issue_number=number,
            )
        )


@builds_rows
def milestone(milestone: Any, ctx: EventContext, rows: Rows) -> int | None:
    """Records an issue's or pull request's milestone; returns its id."""
    if not isinstance(milestone, dict) or milestone.get("id") is None:
        return None
    creator_id, creator_login = rows.actor(milestone.get("creator"))
    milestone_id = int(milestone["id"])
    rows.tables["gha_milestones"].append(
        row.gha_milestones(
            id=milestone_id,
            event_id=ctx.event_id,
            closed_at=utc(milestone.get("closed_at")),
            closed_issues=milestone.get("closed_issues") or 0,
            created_at=utc(milestone.get("created_at")) or ctx.created_at,
            creator_id=creator_id,
            description=milestone.get("description"),
            due_on=utc(milestone.get("due_on")),
            number=milestone.get("number") or 0,
            open_issues=milestone.get("open_issues") or 0,
            state=milestone.get("state") or "",
            title=milestone.get("title") or "",
            updated_at=utc(milestone.get("updated_at")) or ctx.created_at,
            dup=ctx.dup,
            dupn_creator_login=creator_login,
        )
    )
    return milestone_id
