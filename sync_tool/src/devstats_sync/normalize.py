"""GH Archive events -> rows of the DevStats gha_* tables.

Three shapes of input are accepted: the Events API format (2015-01-01 on), the pre-2015 Timeline
format (no event id, ``actor`` is a login, ``repository{owner,name}``, thin payloads), and the
trimmed payloads GH Archive has published since 2025-10-07 (PushEvent without ``commits``/``size``,
slimmer pull requests). Missing fields become NULL, or a neutral value where the DevStats column is
NOT NULL, so a slimmer payload never loses the event.

Rows are plain tuples in the column order of :data:`COLUMNS`; timestamps stay ISO strings in UTC.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

Event = dict[str, Any]
Row = tuple[Any, ...]

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

_DUP = ("dup_actor_id", "dup_actor_login", "dup_repo_id", "dup_repo_name", "dup_type", "dup_created_at")

COLUMNS: dict[str, tuple[str, ...]] = {
    "gha_events": (
        "id",
        "type",
        "actor_id",
        "repo_id",
        "public",
        "created_at",
        "org_id",
        "forkee_id",
        "dup_actor_login",
        "dup_repo_name",
    ),
    "gha_actors": ("id", "login", "name"),
    "gha_repos": ("id", "name", "org_id", "org_login"),
    "gha_orgs": ("id", "login"),
    "gha_payloads": (
        "event_id",
        "push_id",
        "size",
        "ref",
        "head",
        "befor",
        "action",
        "issue_id",
        "pull_request_id",
        "comment_id",
        "ref_type",
        "master_branch",
        "description",
        "number",
        "forkee_id",
        "release_id",
        "member_id",
        "commit",
        *_DUP,
    ),
    "gha_commits": (
        "sha",
        "event_id",
        "author_name",
        "message",
        "is_distinct",
        *_DUP,
        "encrypted_email",
        "author_email",
        "origin",
    ),
    "gha_comments": (
        "id",
        "event_id",
        "body",
        "created_at",
        "updated_at",
        "user_id",
        "commit_id",
        "original_commit_id",
        "diff_hunk",
        "position",
        "original_position",
        "path",
        "pull_request_review_id",
        "line",
        *_DUP,
        "dup_user_login",
    ),
    "gha_issues": (
        "id",
        "event_id",
        "assignee_id",
        "body",
        "closed_at",
        "comments",
        "created_at",
        "locked",
        "milestone_id",
        "number",
        "state",
        "title",
        "updated_at",
        "user_id",
        "is_pull_request",
        *_DUP,
        "dupn_assignee_login",
        "dup_user_login",
    ),
    "gha_issues_assignees": ("issue_id", "event_id", "assignee_id"),
    "gha_issues_labels": ("issue_id", "event_id", "label_id", *_DUP, "dup_issue_number", "dup_label_name"),
    "gha_issues_events_labels": (
        "issue_id",
        "event_id",
        "label_id",
        "label_name",
        "created_at",
        "actor_id",
        "actor_login",
        "repo_id",
        "repo_name",
        "type",
        "issue_number",
    ),
    "gha_labels": ("id", "name", "color", "is_default"),
    "gha_milestones": (
        "id",
        "event_id",
        "closed_at",
        "closed_issues",
        "created_at",
        "creator_id",
        "description",
        "due_on",
        "number",
        "open_issues",
        "state",
        "title",
        "updated_at",
        *_DUP,
        "dupn_creator_login",
    ),
    "gha_pull_requests": (
        "id",
        "event_id",
        "user_id",
        "base_sha",
        "head_sha",
        "merged_by_id",
        "assignee_id",
        "milestone_id",
        "number",
        "state",
        "locked",
        "title",
        "body",
        "created_at",
        "updated_at",
        "closed_at",
        "merged_at",
        "merge_commit_sha",
        "merged",
        "mergeable",
        "rebaseable",
        "mergeable_state",
        "comments",
        "review_comments",
        "maintainer_can_modify",
        "commits",
        "additions",
        "deletions",
        "changed_files",
        *_DUP,
        "dup_user_login",
        "dupn_assignee_login",
        "dupn_merged_by_login",
    ),
    "gha_pull_requests_assignees": ("pull_request_id", "event_id", "assignee_id"),
    "gha_pull_requests_requested_reviewers": ("pull_request_id", "event_id", "requested_reviewer_id"),
    "gha_reviews": (
        "id",
        "user_id",
        "commit_id",
        "submitted_at",
        "author_association",
        "state",
        "body",
        "event_id",
        *_DUP,
        "dup_user_login",
    ),
    "gha_branches": (
        "sha",
        "event_id",
        "user_id",
        "repo_id",
        "label",
        "ref",
        "dup_type",
        "dup_created_at",
        "dupn_forkee_name",
        "dupn_user_login",
    ),
    "gha_forkees": (
        "id",
        "event_id",
        "name",
        "full_name",
        "owner_id",
        "description",
        "fork",
        "created_at",
        "updated_at",
        "pushed_at",
        "homepage",
        "size",
        "stargazers_count",
        "has_issues",
        "has_projects",
        "has_downloads",
        "has_wiki",
        "has_pages",
        "forks",
        "open_issues",
        "watchers",
        "default_branch",
        "public",
        "language",
        "organization",
        *_DUP,
        "dup_owner_login",
    ),
    "gha_releases": (
        "id",
        "event_id",
        "tag_name",
        "target_commitish",
        "name",
        "draft",
        "author_id",
        "prerelease",
        "created_at",
        "published_at",
        "body",
        *_DUP,
        "dup_author_login",
    ),
    "gha_releases_assets": ("release_id", "event_id", "asset_id"),
    "gha_assets": (
        "id",
        "event_id",
        "name",
        "label",
        "uploader_id",
        "content_type",
        "state",
        "size",
        "download_count",
        "created_at",
        "updated_at",
        *_DUP,
        "dup_uploader_login",
    ),
    "gha_pages": ("sha", "event_id", "action", "title", *_DUP),
    "gha_teams": ("id", "event_id", "name", "slug", "permission", *_DUP),
    "gha_teams_repositories": ("team_id", "event_id", "repository_id"),
    "gha_texts": (
        "event_id",
        "body",
        "created_at",
        "actor_id",
        "actor_login",
        "repo_id",
        "repo_name",
        "type",
    ),
}


def hash_id(*parts: str) -> int:
    """A stable negative id (DevStats keeps derived ids below zero, apart from real GitHub ids)."""
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).digest()
    return -(int.from_bytes(digest, "big") & 0x7FFF_FFFF_FFFF_FFFF) - 1


def utc(value: Any) -> str | None:
    """Normalizes a GitHub timestamp to naive UTC ISO text; pre-2015 ones carry an offset."""
    if not value:
        return None
    text = str(value)
    if text.endswith("Z"):
        return text[:-1]
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = datetime.strptime(text, "%Y/%m/%d %H:%M:%S %z")
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed.isoformat()


def is_pre2015(event: Event) -> bool:
    return "repository" in event or isinstance(event.get("actor"), str) or "actor_attributes" in event


def event_id_of(event: Event) -> int:
    """The event's id; pre-2015 events have none, so one is derived from what identifies them."""
    raw = event.get("id")
    if raw is not None and not is_pre2015(event):
        return int(raw)
    repo = event.get("repository") or {}
    actor = event.get("actor")
    login = actor if isinstance(actor, str) else (actor or {}).get("login", "")
    return hash_id(
        "event",
        str(event.get("type", "")),
        str(login),
        _pre2015_repo_name(repo),
        utc(event.get("created_at")) or "",
    )


def _pre2015_repo_name(repo: dict[str, Any]) -> str:
    if not repo:
        return ""
    if repo.get("full_name"):
        return str(repo["full_name"])
    owner = repo.get("owner")
    if isinstance(owner, dict):
        owner = owner.get("login")
    return f"{owner}/{repo.get('name')}" if owner else str(repo.get("name", ""))


def repo_name_of(event: Event) -> str | None:
    """The ``owner/name`` an event belongs to (what project filters match), or None."""
    repo = event.get("repo")
    if isinstance(repo, dict) and repo.get("name"):
        return str(repo["name"])
    repository = event.get("repository")
    if isinstance(repository, dict):
        return _pre2015_repo_name(repository) or None
    return None


def _int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    return int(value)


class Rows:
    """Rows of one hour for one database, grouped by table; const rows deduplicated on the way in."""

    def __init__(self) -> None:
        self.tables: dict[str, list[Row]] = {name: [] for name in COLUMNS}
        self._actors: dict[tuple[int, str], Row] = {}
        self._repos: dict[tuple[int, str], Row] = {}
        self._orgs: dict[int, Row] = {}
        self._labels: dict[int, Row] = {}
        self.unknown_types: dict[str, int] = {}

    def finish(self) -> dict[str, list[Row]]:
        self.tables["gha_actors"] = list(self._actors.values())
        self.tables["gha_repos"] = list(self._repos.values())
        self.tables["gha_orgs"] = list(self._orgs.values())
        self.tables["gha_labels"] = list(self._labels.values())
        return self.tables

    def absorb(self, part: Rows) -> None:
        """Takes in the shared rows (actors, repos, orgs, labels) of another part of the same hour,
        as if its events had been normalized here: the first actor row with a name wins."""
        for key, row in part._actors.items():
            known = self._actors.get(key)
            if known is None or (row[2] is not None and known[2] is None):
                self._actors[key] = row
        pairs = ((self._repos, part._repos), (self._orgs, part._orgs), (self._labels, part._labels))
        for mine, theirs in pairs:
            for key, row in theirs.items():
                mine.setdefault(key, row)
        for kind, count in part.unknown_types.items():
            self.unknown_types[kind] = self.unknown_types.get(kind, 0) + count

    def actor(self, user: Any, name: str | None = None) -> tuple[int | None, str | None]:
        """Records a user object (or a pre-2015 login) as an actor; returns (id, login)."""
        if not user:
            return None, None
        if isinstance(user, str):
            login, actor_id = user, hash_id("actor", user)
        else:
            login = user.get("login")
            if not login:
                return None, None
            raw_id = user.get("id")
            actor_id = int(raw_id) if raw_id is not None else hash_id("actor", login)
        key = (actor_id, login)
        if key not in self._actors or (name and self._actors[key][2] is None):
            self._actors[key] = (actor_id, login, name or None)
        return actor_id, login


class _Context:
    """What every row of one event repeats (the dup_* columns)."""

    __slots__ = ("actor_id", "actor_login", "created_at", "dup", "event_id", "repo_id", "repo_name", "type")

    def __init__(
        self, *, event_id: int, etype: str, actor_id: int, login: str, repo_id: int, repo: str, at: str
    ) -> None:
        self.event_id = event_id
        self.type = etype
        self.actor_id = actor_id
        self.actor_login = login
        self.repo_id = repo_id
        self.repo_name = repo
        self.created_at = at
        self.dup = (actor_id, login, repo_id, repo, etype, at)

    def text(self, rows: Rows, body: Any) -> None:
        if body:
            rows.tables["gha_texts"].append(
                (
                    self.event_id,
                    body,
                    self.created_at,
                    self.actor_id,
                    self.actor_login,
                    self.repo_id,
                    self.repo_name,
                    self.type,
                )
            )


def normalize(event: Event, event_id: int, rows: Rows) -> None:
    """Appends the rows of one event (already given its final id) to ``rows``."""
    if is_pre2015(event):
        _normalize_pre2015(event, event_id, rows)
    else:
        _normalize_current(event, event_id, rows)


def _normalize_current(event: Event, event_id: int, rows: Rows) -> None:
    etype = str(event.get("type") or "UnknownEvent")
    actor_id, login = rows.actor(event.get("actor"))
    if actor_id is None:
        actor_id, login = 0, ""
    repo = event.get("repo") or {}
    repo_id, repo_name = int(repo.get("id") or 0), str(repo.get("name") or "")
    org = event.get("org") or None
    org_id = _int(org.get("id")) if org else None
    if org_id is not None:
        rows._orgs.setdefault(org_id, (org_id, org.get("login") or ""))
    if (repo_id, repo_name) not in rows._repos:
        rows._repos[repo_id, repo_name] = (repo_id, repo_name, org_id, org.get("login") if org else None)
    created_at = utc(event.get("created_at")) or ""
    ctx = _Context(
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
        (
            event_id,
            etype,
            actor_id,
            repo_id,
            bool(event.get("public", True)),
            created_at,
            org_id,
            _int(forkee.get("id")) if forkee else None,
            ctx.actor_login,
            repo_name,
        )
    )
    _payload_row(payload, ctx, rows)
    if etype not in KNOWN_TYPES:
        rows.unknown_types[etype] = rows.unknown_types.get(etype, 0) + 1
    _objects(payload, ctx, rows)


def _object_id(value: Any) -> int | None:
    """The id of a payload object, given as the object or as its bare id."""
    if value is None:
        return None
    if isinstance(value, dict):
        return _int(value.get("id"))
    return _int(value) if isinstance(value, int) else None


def _payload_row(payload: dict[str, Any], ctx: _Context, rows: Rows) -> None:
    comment = payload.get("comment")
    commit = payload.get("commit") or (comment.get("commit_id") if isinstance(comment, dict) else None)
    rows.tables["gha_payloads"].append(
        (
            ctx.event_id,
            _int(payload.get("push_id")),
            _int(payload.get("size")),
            payload.get("ref"),
            payload.get("head"),
            payload.get("before"),
            payload.get("action"),
            _object_id(payload.get("issue")) or _int(payload.get("issue_id")),
            _object_id(payload.get("pull_request")),
            _object_id(payload.get("comment")) or _int(payload.get("comment_id")),
            payload.get("ref_type"),
            payload.get("master_branch"),
            payload.get("description"),
            _int(payload.get("number")),
            _object_id(payload.get("forkee")),
            _object_id(payload.get("release")),
            _object_id(payload.get("member")),
            commit,
            *ctx.dup,
        )
    )


def _objects(payload: dict[str, Any], ctx: _Context, rows: Rows) -> None:
    member = payload.get("member")
    if isinstance(member, dict):
        rows.actor(member)
    for commit in payload.get("commits") or ():
        _commit(commit, ctx, rows)
    issue = payload.get("issue")
    if isinstance(issue, dict):
        _issue(issue, ctx, rows)
    pull_request = payload.get("pull_request")
    if isinstance(pull_request, dict) and pull_request.get("id") is not None:
        _pull_request(pull_request, ctx, rows)
    comment = payload.get("comment")
    if isinstance(comment, dict) and comment.get("id") is not None:
        _comment(comment, ctx, rows)
    review = payload.get("review")
    if isinstance(review, dict) and review.get("id") is not None:
        _review(review, ctx, rows)
    forkee = payload.get("forkee")
    if isinstance(forkee, dict) and forkee.get("id") is not None:
        _forkee(forkee, ctx, rows)
    release = payload.get("release")
    if isinstance(release, dict) and release.get("id") is not None:
        _release(release, ctx, rows)
    for page in payload.get("pages") or ():
        rows.tables["gha_pages"].append(
            (page.get("sha") or "", ctx.event_id, page.get("action") or "", page.get("title") or "", *ctx.dup)
        )
    team = payload.get("team")
    if isinstance(team, dict) and team.get("id") is not None:
        rows.tables["gha_teams"].append(
            (
                int(team["id"]),
                ctx.event_id,
                team.get("name") or "",
                team.get("slug") or "",
                team.get("permission") or "",
                *ctx.dup,
            )
        )
        repository = payload.get("repository")
        if isinstance(repository, dict) and repository.get("id") is not None:
            rows.tables["gha_teams_repositories"].append(
                (int(team["id"]), ctx.event_id, int(repository["id"]))
            )


def _commit(commit: Any, ctx: _Context, rows: Rows) -> None:
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
        (
            sha,
            ctx.event_id,
            name or "",
            message or "",
            bool(distinct if distinct is not None else True),
            *ctx.dup,
            email or "",
            "",
            0,
        )
    )
    ctx.text(rows, message)


def _labels(labels: Iterable[Any], issue_id: int, number: int, ctx: _Context, rows: Rows) -> None:
    for label in labels:
        if not isinstance(label, dict) or not label.get("name"):
            continue
        name = label["name"]
        label_id = _int(label.get("id"))
        if label_id is None:
            label_id = hash_id("label", name)
        rows._labels.setdefault(label_id, (label_id, name, label.get("color") or "", label.get("default")))
        rows.tables["gha_issues_labels"].append((issue_id, ctx.event_id, label_id, *ctx.dup, number, name))
        rows.tables["gha_issues_events_labels"].append(
            (
                issue_id,
                ctx.event_id,
                label_id,
                name,
                ctx.created_at,
                ctx.actor_id,
                ctx.actor_login,
                ctx.repo_id,
                ctx.repo_name,
                ctx.type,
                number,
            )
        )


def _milestone(milestone: Any, ctx: _Context, rows: Rows) -> int | None:
    if not isinstance(milestone, dict) or milestone.get("id") is None:
        return None
    creator_id, creator_login = rows.actor(milestone.get("creator"))
    milestone_id = int(milestone["id"])
    rows.tables["gha_milestones"].append(
        (
            milestone_id,
            ctx.event_id,
            utc(milestone.get("closed_at")),
            milestone.get("closed_issues") or 0,
            utc(milestone.get("created_at")) or ctx.created_at,
            creator_id,
            milestone.get("description"),
            utc(milestone.get("due_on")),
            milestone.get("number") or 0,
            milestone.get("open_issues") or 0,
            milestone.get("state") or "",
            milestone.get("title") or "",
            utc(milestone.get("updated_at")) or ctx.created_at,
            *ctx.dup,
            creator_login,
        )
    )
    return milestone_id


def _user_or_actor(user: Any, ctx: _Context, rows: Rows) -> tuple[int, str]:
    user_id, login = rows.actor(user)
    if user_id is None:
        return ctx.actor_id, ctx.actor_login
    return user_id, login or ""


def _issue(issue: dict[str, Any], ctx: _Context, rows: Rows) -> None:
    if issue.get("id") is None:
        return
    issue_id = int(issue["id"])
    number = int(issue.get("number") or 0)
    user_id, user_login = _user_or_actor(issue.get("user"), ctx, rows)
    assignee_id, assignee_login = rows.actor(issue.get("assignee"))
    milestone_id = _milestone(issue.get("milestone"), ctx, rows)
    rows.tables["gha_issues"].append(
        (
            issue_id,
            ctx.event_id,
            assignee_id,
            issue.get("body"),
            utc(issue.get("closed_at")),
            issue.get("comments") or 0,
            utc(issue.get("created_at")) or ctx.created_at,
            bool(issue.get("locked")),
            milestone_id,
            number,
            issue.get("state") or "",
            issue.get("title") or "",
            utc(issue.get("updated_at")) or ctx.created_at,
            user_id,
            "pull_request" in issue,
            *ctx.dup,
            assignee_login,
            user_login,
        )
    )
    for assignee in issue.get("assignees") or ():
        assignee_id, _ = rows.actor(assignee)
        if assignee_id is not None:
            rows.tables["gha_issues_assignees"].append((issue_id, ctx.event_id, assignee_id))
    _labels(issue.get("labels") or (), issue_id, number, ctx, rows)
    if ctx.type == "IssuesEvent":
        # DevStats keeps a title and a body as two texts.
        ctx.text(rows, issue.get("title"))
        ctx.text(rows, issue.get("body"))


def _branch(branch: Any, ctx: _Context, rows: Rows) -> str:
    if not isinstance(branch, dict):
        return ""
    sha = branch.get("sha") or ""
    user_id, user_login = rows.actor(branch.get("user"))
    repo = branch.get("repo") if isinstance(branch.get("repo"), dict) else None
    if sha:
        rows.tables["gha_branches"].append(
            (
                sha,
                ctx.event_id,
                user_id,
                _int(repo.get("id")) if repo else None,
                branch.get("label") or "",
                branch.get("ref") or "",
                ctx.type,
                ctx.created_at,
                repo.get("full_name") if repo else None,
                user_login,
            )
        )
    if repo and repo.get("id") is not None:
        _forkee(repo, ctx, rows)
    return sha


def _pull_request(pr: dict[str, Any], ctx: _Context, rows: Rows) -> None:
    pr_id = int(pr["id"])
    user_id, user_login = _user_or_actor(pr.get("user"), ctx, rows)
    assignee_id, assignee_login = rows.actor(pr.get("assignee"))
    merged_by_id, merged_by_login = rows.actor(pr.get("merged_by"))
    milestone_id = _milestone(pr.get("milestone"), ctx, rows)
    base_sha = _branch(pr.get("base"), ctx, rows)
    head_sha = _branch(pr.get("head"), ctx, rows)
    rows.tables["gha_pull_requests"].append(
        (
            pr_id,
            ctx.event_id,
            user_id,
            base_sha,
            head_sha,
            merged_by_id,
            assignee_id,
            milestone_id,
            int(pr.get("number") or 0),
            pr.get("state") or "",
            pr.get("locked"),
            pr.get("title") or "",
            pr.get("body"),
            utc(pr.get("created_at")) or ctx.created_at,
            utc(pr.get("updated_at")) or ctx.created_at,
            utc(pr.get("closed_at")),
            utc(pr.get("merged_at")),
            pr.get("merge_commit_sha"),
            pr.get("merged"),
            pr.get("mergeable"),
            pr.get("rebaseable"),
            pr.get("mergeable_state"),
            pr.get("comments"),
            pr.get("review_comments"),
            pr.get("maintainer_can_modify"),
            pr.get("commits"),
            pr.get("additions"),
            pr.get("deletions"),
            pr.get("changed_files"),
            *ctx.dup,
            user_login,
            assignee_login,
            merged_by_login,
        )
    )
    for assignee in pr.get("assignees") or ():
        assignee_id, _ = rows.actor(assignee)
        if assignee_id is not None:
            rows.tables["gha_pull_requests_assignees"].append((pr_id, ctx.event_id, assignee_id))
    for reviewer in pr.get("requested_reviewers") or ():
        reviewer_id, _ = rows.actor(reviewer)
        if reviewer_id is not None:
            rows.tables["gha_pull_requests_requested_reviewers"].append((pr_id, ctx.event_id, reviewer_id))
    if ctx.type == "PullRequestEvent":
        ctx.text(rows, pr.get("title"))
        ctx.text(rows, pr.get("body"))


def _comment(comment: dict[str, Any], ctx: _Context, rows: Rows) -> None:
    user_id, user_login = _user_or_actor(comment.get("user"), ctx, rows)
    rows.tables["gha_comments"].append(
        (
            int(comment["id"]),
            ctx.event_id,
            comment.get("body") or "",
            utc(comment.get("created_at")) or ctx.created_at,
            utc(comment.get("updated_at")) or ctx.created_at,
            user_id,
            comment.get("commit_id"),
            comment.get("original_commit_id"),
            comment.get("diff_hunk"),
            comment.get("position"),
            comment.get("original_position"),
            comment.get("path"),
            comment.get("pull_request_review_id"),
            comment.get("line"),
            *ctx.dup,
            user_login,
        )
    )
    ctx.text(rows, comment.get("body"))


def _review(review: dict[str, Any], ctx: _Context, rows: Rows) -> None:
    user_id, user_login = _user_or_actor(review.get("user"), ctx, rows)
    rows.tables["gha_reviews"].append(
        (
            int(review["id"]),
            user_id,
            review.get("commit_id") or "",
            utc(review.get("submitted_at")) or ctx.created_at,
            review.get("author_association") or "",
            review.get("state") or "",
            review.get("body"),
            ctx.event_id,
            *ctx.dup,
            user_login,
        )
    )
    ctx.text(rows, review.get("body"))


def _forkee(repo: dict[str, Any], ctx: _Context, rows: Rows) -> None:
    owner_id, owner_login = _user_or_actor(repo.get("owner"), ctx, rows)
    organization = repo.get("organization")
    if isinstance(organization, dict):
        organization = organization.get("login")
    rows.tables["gha_forkees"].append(
        (
            int(repo["id"]),
            ctx.event_id,
            repo.get("name") or "",
            repo.get("full_name") or "",
            owner_id,
            repo.get("description"),
            bool(repo.get("fork")),
            utc(repo.get("created_at")) or ctx.created_at,
            utc(repo.get("updated_at")) or ctx.created_at,
            utc(repo.get("pushed_at")),
            repo.get("homepage"),
            repo.get("size") or 0,
            repo.get("stargazers_count") or 0,
            bool(repo.get("has_issues")),
            repo.get("has_projects"),
            bool(repo.get("has_downloads")),
            bool(repo.get("has_wiki")),
            repo.get("has_pages"),
            repo.get("forks") or 0,
            repo.get("open_issues") or 0,
            repo.get("watchers") or 0,
            repo.get("default_branch") or repo.get("master_branch") or "",
            repo.get("public"),
            repo.get("language"),
            organization,
            *ctx.dup,
            owner_login,
        )
    )


def _release(release: dict[str, Any], ctx: _Context, rows: Rows) -> None:
    release_id = int(release["id"])
    author_id, author_login = _user_or_actor(release.get("author"), ctx, rows)
    rows.tables["gha_releases"].append(
        (
            release_id,
            ctx.event_id,
            release.get("tag_name") or "",
            release.get("target_commitish") or "",
            release.get("name"),
            bool(release.get("draft")),
            author_id,
            bool(release.get("prerelease")),
            utc(release.get("created_at")) or ctx.created_at,
            utc(release.get("published_at")),
            release.get("body"),
            *ctx.dup,
            author_login,
        )
    )
    for asset in release.get("assets") or ():
        if not isinstance(asset, dict) or asset.get("id") is None:
            continue
        uploader_id, uploader_login = _user_or_actor(asset.get("uploader"), ctx, rows)
        asset_id = int(asset["id"])
        rows.tables["gha_assets"].append(
            (
                asset_id,
                ctx.event_id,
                asset.get("name") or "",
                asset.get("label"),
                uploader_id,
                asset.get("content_type") or "",
                asset.get("state") or "",
                asset.get("size") or 0,
                asset.get("download_count") or 0,
                utc(asset.get("created_at")) or ctx.created_at,
                utc(asset.get("updated_at")) or ctx.created_at,
                *ctx.dup,
                uploader_login,
            )
        )
        rows.tables["gha_releases_assets"].append((release_id, ctx.event_id, asset_id))


def _normalize_pre2015(event: Event, event_id: int, rows: Rows) -> None:
    """Maps a Timeline event onto the current shape, then normalizes it like any other event."""
    attributes = event.get("actor_attributes") or {}
    login = (
        event.get("actor") if isinstance(event.get("actor"), str) else (event.get("actor") or {}).get("login")
    )
    repository = event.get("repository") or {}
    organization = repository.get("organization")
    payload = dict(event.get("payload") or {})
    if "shas" in payload and "commits" not in payload:
        payload["commits"] = payload.pop("shas")
    current: Event = {
        "type": event.get("type"),
        "actor": {"id": hash_id("actor", login), "login": login} if login else None,
        "repo": {
            "id": _int(repository.get("id")) or hash_id("repo", _pre2015_repo_name(repository)),
            "name": _pre2015_repo_name(repository),
        },
        "payload": payload,
        "public": event.get("public", True),
        "created_at": utc(event.get("created_at")),
    }
    if organization:
        current["org"] = {"id": hash_id("org", str(organization)), "login": organization}
    if login and attributes.get("name"):
        rows.actor({"id": hash_id("actor", login), "login": login}, attributes.get("name"))
    _normalize_current(current, event_id, rows)
