"""The id each event of an hour is stored under.

GitHub restarted event ids on 2025-10-08, so a new event can carry the id of a different, older one.
An event whose id is taken by a different event (other type, actor, repository or time) is stored
under a collision-safe id derived from its original id and fingerprint, in the range [2^60, 2^63),
which neither GitHub ids, DevStats' API ids (from 2^48) nor derived pre-2015 ids (negative) use. The
derivation is deterministic, so re-runs find the same id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import orjson
from psycopg2.extensions import cursor

from devstats_sync import normalize

COLLISION_BASE = 1 << 60
_COLLISION_SPAN = (1 << 63) - COLLISION_BASE

Fingerprint = tuple[str, int, int, str]


def collision_id(original: int, fingerprint: Fingerprint, attempt: int) -> int:
    digest = hashlib.blake2b(repr((original, fingerprint, attempt)).encode(), digest_size=8).digest()
    return COLLISION_BASE + int.from_bytes(digest, "big") % _COLLISION_SPAN


def _fingerprint(event: dict[str, Any]) -> Fingerprint:
    if normalize.is_pre2015(event):
        actor = event.get("actor")
        login = actor if isinstance(actor, str) else (actor or {}).get("login") or ""
        repository = event.get("repository") or {}
        return (
            str(event.get("type") or "UnknownEvent")[:40],
            normalize.hash_id("actor", login) if login else 0,
            int(repository.get("id") or 0) or normalize.hash_id("repo", normalize.repo_name_of(event) or ""),
            normalize.utc(event.get("created_at")) or "",
        )
    return (
        str(event.get("type") or "UnknownEvent")[:40],
        int((event.get("actor") or {}).get("id") or 0),
        int((event.get("repo") or {}).get("id") or 0),
        normalize.utc(event.get("created_at")) or "",
    )


def _stored_fingerprints(cur: cursor, ids: list[int]) -> dict[int, Fingerprint]:
    # GitHub ids grow with time, so a new hour's ids usually lie above everything stored: one index
    # probe of their range then saves looking each of them up.
    if not ids:
        return {}
    cur.execute("select 1 from gha_events where id between %s and %s limit 1", (min(ids), max(ids)))
    if cur.fetchone() is None:
        return {}
    cur.execute("select id, type, actor_id, repo_id, created_at from gha_events where id = any(%s)", (ids,))
    return {row[0]: (row[1], row[2], row[3], row[4].isoformat()) for row in cur.fetchall()}


def _content_digest(event: dict[str, Any]) -> bytes:
    return hashlib.blake2b(orjson.dumps(event, option=orjson.OPT_SORT_KEYS), digest_size=16).digest()


def assign_ids(
    cur: cursor, events: Sequence[dict[str, Any]]
) -> tuple[list[tuple[int, dict[str, Any]]], int, int]:
    """Final ids for an hour's events, how many were moved to collision-safe ids, how many are stored.

    Exact duplicates within the hour are dropped. Fingerprints and content digests are computed only
    for ids seen twice, which is rare.
    """
    originals = [normalize.event_id_of(event) for event in events]
    in_db = _stored_fingerprints(cur, originals)
    if not in_db and len(set(originals)) == len(originals):
        # The usual hour: every id new and once only, which the loop below would find one by one.
        return list(zip(originals, events, strict=True)), 0, 0
    taken_here: dict[int, dict[str, Any]] = {}
    pending = [(original, original, event) for original, event in zip(originals, events, strict=True)]
    result: list[tuple[int, dict[str, Any]]] = []
    moved = 0
    stored_already = 0
    attempt = 0
    while pending:
        if attempt:
            in_db = _stored_fingerprints(cur, [candidate for _, candidate, _ in pending])
        retry: list[tuple[int, int, dict[str, Any]]] = []
        for original, candidate, event in pending:
            other = taken_here.get(candidate)
            if other is not None:
                if _content_digest(other) == _content_digest(event):
                    continue  # the same event twice in one hour file
                retry.append((original, collision_id(original, _fingerprint(event), attempt), event))
                continue
            stored = in_db.get(candidate)
            if stored is not None and stored != _fingerprint(event):
                retry.append((original, collision_id(original, _fingerprint(event), attempt), event))
                continue
            taken_here[candidate] = event
            result.append((candidate, event))
            moved += candidate != original
            stored_already += stored is not None
        pending = retry
        attempt += 1
    return result, moved, stored_already
