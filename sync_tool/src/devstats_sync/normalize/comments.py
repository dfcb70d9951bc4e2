"""Comments on issues, pull requests (review comments) and commits: gha_comments and their texts."""

from __future__ import annotations

from typing import Any

from devstats_sync.normalize.fields import utc
from devstats_sync.normalize.row_factories import builds_rows, row
from devstats_sync.normalize.rows import EventContext, Rows, user_or_actor


@builds_rows
def comment(comment: dict[str, Any], ctx: EventContext, rows: Rows) -> None:
    user_id, user_login = user_or_actor(comment.get("user"), ctx, rows)
    rows.tables["gha_comments"].append(
        row.gha_comments(
            id=int(comment["id"]),
            event_id=ctx.event_id,
            body=comment.get("body") or "",
            created_at=utc(comment.get("created_at")) or ctx.created_at,
            updated_at=utc(comment.get("updated_at")) or ctx.created_at,
            user_id=user_id,
            commit_id=comment.get("commit_id"),
            original_commit_id=comment.get("original_commit_id"),
            diff_hunk=comment.get("diff_hunk"),
            position=comment.get("position"),
            original_position=comment.get("original_position"),
            path=comment.get("path"),
            pull_request_review_id=comment.get("pull_request_review_id"),
            line=comment.get("line"),
            dup=ctx.dup,
            dup_user_login=user_login,
        )
    )
    ctx.text(rows, comment.get("body"))
