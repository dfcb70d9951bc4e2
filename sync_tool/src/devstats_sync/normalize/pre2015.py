"""Pre-2015 Timeline events mapped onto today's shape, so one normalizer serves both formats.

A Timeline event names its actor by login (with ``actor_attributes``), its repository as
``repository{id?,owner,name,organization}`` and its pushed commits as ``payload.shas``; its
actor, repository and organization get ids derived from their names, as DevStats derives them.
"""

from __future__ import annotations

from devstats_sync.normalize.fields import Event, as_int, hash_id, pre2015_repo_name, utc
from devstats_sync.normalize.rows import Rows


def to_current(event: Event, rows: Rows) -> Event:
    """The event in the current format; the actor's display name, which only the Timeline carries,
    is recorded in ``rows`` on the way."""
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
            "id": as_int(repository.get("id")) or hash_id("repo", pre2015_repo_name(repository)),
            "name": pre2015_repo_name(repository),
        },
        "payload": payload,
        "public": event.get("public", True),
        "created_at": utc(event.get("created_at")),
    }
    if organization:
        current["org"] = {"id": hash_id("org", str(organization)), "login": organization}
    if login and attributes.get("name"):
        rows.actor({"id": hash_id("actor", login), "login": login}, attributes.get("name"))
    return current
