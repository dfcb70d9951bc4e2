"""The rows of an hour, grouped by table, and what the rows of one event repeat."""

from __future__ import annotations

from typing import Any

from devstats_sync.normalize.fields import hash_id
from devstats_sync.normalize.row_factories import Row, builds_rows, row
from devstats_sync.schema import TABLE_BY_NAME, TABLES

_ACTOR_NAME = TABLE_BY_NAME["gha_actors"].row_columns.index("name")


class Rows:
    """Rows of one hour for one database, grouped by table (every table of the schema, most of them
    left empty); the rows events share (actors, repos, orgs, labels) are kept once per key."""

    def __init__(self) -> None:
        self.tables: dict[str, list[Row]] = {table.name: [] for table in TABLES}
        self.actors: dict[tuple[int, str], Row] = {}
        self.repos: dict[tuple[int, str], Row] = {}
        self.orgs: dict[int, Row] = {}
        self.labels: dict[int, Row] = {}
        self.unknown_types: dict[str, int] = {}

    def finish(self) -> dict[str, list[Row]]:
        self.tables["gha_actors"] = list(self.actors.values())
        self.tables["gha_repos"] = list(self.repos.values())
        self.tables["gha_orgs"] = list(self.orgs.values())
        self.tables["gha_labels"] = list(self.labels.values())
        return self.tables

    def absorb(self, part: Rows) -> None:
        """Takes in the shared rows (actors, repos, orgs, labels) of another part of the same hour,
        as if its events had been normalized here: the first actor row with a name wins."""
        for key, actor in part.actors.items():
            known = self.actors.get(key)
            if known is None or (actor[_ACTOR_NAME] is not None and known[_ACTOR_NAME] is None):
                self.actors[key] = actor
        pairs = ((self.repos, part.repos), (self.orgs, part.orgs), (self.labels, part.labels))
        for mine, theirs in pairs:
            for key, shared in theirs.items():
                mine.setdefault(key, shared)
        for kind, count in part.unknown_types.items():
            self.unknown_types[kind] = self.unknown_types.get(kind, 0) + count

    @builds_rows
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
        if key not in self.actors or (name and self.actors[key][_ACTOR_NAME] is None):
            self.actors[key] = row.gha_actors(id=actor_id, login=login, name=name or None)
        return actor_id, login


class EventContext:
    """What the rows of one event repeat: its id, type, actor, repository and time."""

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

    @builds_rows
    def text(self, rows: Rows, body: Any) -> None:
        """A comment, review, commit message, title or body as a row of gha_texts."""
        if body:
            rows.tables["gha_texts"].append(
                row.gha_texts(
                    event_id=self.event_id,
                    body=body,
                    created_at=self.created_at,
                    actor_id=self.actor_id,
                    actor_login=self.actor_login,
                    repo_id=self.repo_id,
                    repo_name=self.repo_name,
                    type=self.type,
                )
            )


def user_or_actor(user: Any, ctx: EventContext, rows: Rows) -> tuple[int, str]:
    """The user an object names, or the event's actor when it names none (the columns are NOT NULL)."""
    user_id, login = rows.actor(user)
    if user_id is None:
        return ctx.actor_id, ctx.actor_login
    return user_id, login or ""
