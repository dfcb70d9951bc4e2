"""Reading an event's identity in either format: its id, its repository's name, its times.

Pre-2015 Timeline events carry no id, name their actor by login and their repository as
``repository{owner,name}``; the ids DevStats keeps for them are derived by hashing what identifies
them, and are negative so they never meet a real GitHub id.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

Event = dict[str, Any]


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
        pre2015_repo_name(repo),
        utc(event.get("created_at")) or "",
    )


def pre2015_repo_name(repo: dict[str, Any]) -> str:
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
        return pre2015_repo_name(repository) or None
    return None


def as_int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    return int(value)


def object_id(value: Any) -> int | None:
    """The id of a payload object, given as the object or as its bare id."""
    if value is None:
        return None
    if isinstance(value, dict):
        return as_int(value.get("id"))
    return as_int(value) if isinstance(value, int) else None
