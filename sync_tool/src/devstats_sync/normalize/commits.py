"""A push's commits: gha_commits, and each message as a text.

GH Archive has carried no commits since its 2025-10 trimming; the git backfill fills them in then.
"""

from __future__ import annotations

from typing import Any

from devstats_sync.normalize.row_factories import builds_rows, row
from devstats_sync.normalize.rows import EventContext, Rows


@builds_rows
def commit(commit: Any, ctx: EventContext, rows: Rows) -> None:
    if isinstance(commit, list):  # pre-2015: [sha, email, message, name, distinct]
        sha, email, message, name, distinct = (list(commit) + [None] * 5)[:5]
    else:
        author = commit.get("author") or {}
        sha, email, message, name = (
            commit.get("sha"),
            author.get("email"),
            commit.get("message"),
            author.get("name"),
        )
        distinct = commit.get("distinct")
    if not sha:
        return
    rows.tables["gha_commits"].append(
        row.gha_commits(
            sha=sha,
            event_id=ctx.event_id,
            author_name=name or "",
            message=message or "",
            is_distinct=bool(distinct if distinct is not None else True),
            dup=ctx.dup,
            encrypted_email=email or "",
        )
    )
    ctx.text(rows, message)
