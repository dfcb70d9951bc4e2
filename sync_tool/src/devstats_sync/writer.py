"""Writes one hour of one project: everything, or nothing.

The hour's rows are COPied into temporary staging tables and moved into the gha_* tables with
``INSERT ... ON CONFLICT DO NOTHING``, and the hour's ``gha_parsed`` mark is written in the same
transaction. A crash at any point rolls the whole hour back; re-running an hour finds its rows
already there and changes nothing.

Event ids: GitHub restarted event ids on 2025-10-08, so a new event can carry the id of a different,
older one. An event whose id is taken by a different event (other type, actor, repository or time)
is stored under a collision-safe id derived from its original id and content, in the range
[2^60, 2^63), which neither GitHub ids, DevStats' API ids (from 2^48) nor derived pre-2015 ids
(negative) use. The derivation is deterministic, so re-runs find the same id.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from psycopg2.extensions import connection, cursor

from devstats_sync import normalize
from devstats_sync.schema import TABLE_BY_NAME

COLLISION_BASE = 1 << 60
_COLLISION_SPAN = (1 << 63) - COLLISION_BASE
_HOUR_LOCK = 0x6768_6172  # advisory lock class for "an hour of this database is being written"
_SPECIAL = re.compile(r"[\\\t\n\r\x00]")
_VARCHAR = re.compile(r"^varchar\((\d+)\)")

Fingerprint = tuple[str, int, int, str]


@dataclass
class HourResult:
    skipped: bool = False
    events: int = 0
    written: int = 0
    collisions: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    unknown_types: dict[str, int] = field(default_factory=dict)


def _limits(table: str, columns: Sequence[str]) -> tuple[int | None, ...]:
    types = dict(TABLE_BY_NAME[table].columns)
    limits = []
    for column in columns:
        match = _VARCHAR.match(types[column])
        limits.append(int(match.group(1)) if match else None)
    return tuple(limits)


_LIMITS = {table: _limits(table, columns) for table, columns in normalize.COLUMNS.items()}


def _escape(text: str) -> str:
    if _SPECIAL.search(text):
        text = (
            text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
            .replace("\x00", "")
        )  # fmt: skip
    return text


def copy_text(rows: Iterable[tuple[Any, ...]], limits: tuple[int | None, ...]) -> str:
    """Rows in COPY text format; strings cut to their varchar width, as DevStats does."""
    out: list[str] = []
    append = out.append
    for row in rows:
        cells = []
        for value, limit in zip(row, limits, strict=True):
            kind = type(value)
            if value is None:
                cells.append("\\N")
            elif kind is str:
                if limit is not None and len(value) > limit:
                    value = value[:limit]
                cells.append(_escape(value))
            elif kind is bool:
                cells.append("t" if value else "f")
            elif kind is int or kind is float:
                cells.append(str(value))
            else:
                cells.append(_escape(orjson.dumps(value).decode()))
        append("\t".join(cells))
    out.append("")
    return "\n".join(out)


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


def _content_digest(event: dict[str, Any]) -> bytes:
    return hashlib.blake2b(orjson.dumps(event, option=orjson.OPT_SORT_KEYS), digest_size=16).digest()


def assign_ids(cur: cursor, events: Sequence[dict[str, Any]]) -> tuple[list[tuple[int, dict[str, Any]]], int]:
    """Final ids for an hour's events: exact duplicates dropped, colliding ids moved aside."""
    taken_here: dict[int, tuple[Fingerprint, bytes | None, dict[str, Any]]] = {}
    pending: list[tuple[int, int, Fingerprint, dict[str, Any]]] = []
    for event in events:
        original = normalize.event_id_of(event)
        pending.append((original, original, _fingerprint(event), event))
    result: list[tuple[int, dict[str, Any]]] = []
    collisions = 0
    attempt = 0
    while pending:
        cur.execute(
            "select id, type, actor_id, repo_id, created_at from gha_events where id = any(%s)",
            ([candidate for _, candidate, _, _ in pending],),
        )
        in_db = {row[0]: (row[1], row[2], row[3], row[4].isoformat()) for row in cur.fetchall()}
        retry: list[tuple[int, int, Fingerprint, dict[str, Any]]] = []
        for original, candidate, fingerprint, event in pending:
            known = taken_here.get(candidate)
            if known is not None:
                if known[0] == fingerprint and _same_content(known, event):
                    continue  # the same event twice in one hour file
                retry.append((original, collision_id(original, fingerprint, attempt), fingerprint, event))
                continue
            stored = in_db.get(candidate)
            if stored is not None and stored != fingerprint:
                retry.append((original, collision_id(original, fingerprint, attempt), fingerprint, event))
                continue
            taken_here[candidate] = (fingerprint, None, event)
            result.append((candidate, event))
        collisions += len(retry)
        pending = retry
        attempt += 1
    return result, collisions


def _same_content(known: tuple[Fingerprint, bytes | None, dict[str, Any]], event: dict[str, Any]) -> bool:
    return _content_digest(known[2]) == _content_digest(event)


class HourWriter:
    """Writes hours into one project database over one connection."""

    def __init__(self, conn: connection) -> None:
        self.conn = conn
        self._staged: set[str] = set()

    def is_parsed(self, hour: datetime) -> bool:
        with self.conn, self.conn.cursor() as cur:
            cur.execute("select 1 from gha_parsed where dt = %s", (hour,))
            return cur.fetchone() is not None

    def parsed_hours(self, start: datetime, end: datetime) -> set[datetime]:
        with self.conn, self.conn.cursor() as cur:
            cur.execute("select dt from gha_parsed where dt >= %s and dt < %s", (start, end))
            return {row[0] for row in cur.fetchall()}

    def _stage(self, cur: cursor, table: str) -> str:
        staging = f"_stage_{table}"
        if table not in self._staged:
            cur.execute(
                f"create temporary table if not exists {staging} "
                f"(like {table} including defaults) on commit delete rows"
            )
            self._staged.add(table)
        return staging

    def write_hour(self, hour: datetime, events: Sequence[dict[str, Any]], force: bool = False) -> HourResult:
        result = HourResult(events=len(events))
        with self.conn, self.conn.cursor() as cur:
            hour_key = int(hour.timestamp()) // 3600
            cur.execute("select pg_advisory_xact_lock(%s, %s)", (_HOUR_LOCK, hour_key))
            cur.execute("select 1 from gha_parsed where dt = %s", (hour,))
            if cur.fetchone() is not None and not force:
                result.skipped = True
                return result
            identified, result.collisions = assign_ids(cur, events)
            rows = normalize.Rows()
            for event_id, event in identified:
                normalize.normalize(event, event_id, rows)
            tables = rows.finish()
            result.unknown_types = rows.unknown_types
            result.written = self._move(cur, tables, result)
            cur.execute("insert into gha_parsed(dt) values (%s) on conflict do nothing", (hour,))
        return result

    def _move(self, cur: cursor, tables: dict[str, list[tuple[Any, ...]]], result: HourResult) -> int:
        for table, table_rows in tables.items():
            if not table_rows:
                continue
            staging = self._stage(cur, table)
            columns = normalize.COLUMNS[table]
            data = copy_text(table_rows, _LIMITS[table]).encode("utf-8", "replace")
            cur.copy_expert(f"copy {staging} ({', '.join(columns)}) from stdin", io.BytesIO(data))
        new_events = 0
        if tables["gha_events"]:
            cur.execute(
                "create temporary table if not exists _new_events (id bigint primary key) on commit delete rows"
            )
            columns = ", ".join(normalize.COLUMNS["gha_events"])
            cur.execute(
                f"with inserted as (insert into gha_events ({columns}) select {columns} from _stage_gha_events "
                "on conflict do nothing returning id) insert into _new_events select id from inserted"
            )
            new_events = cur.rowcount
            result.rows["gha_events"] = new_events
        for table, table_rows in tables.items():
            if not table_rows or table == "gha_events":
                continue
            columns = ", ".join(normalize.COLUMNS[table])
            if table in normalize.KEYLESS_TABLES:
                cur.execute(
                    f"insert into {table} ({columns}) select {columns} from _stage_{table} s "
                    "where s.event_id in (select id from _new_events)"
                )
            else:
                cur.execute(
                    f"insert into {table} ({columns}) select {columns} from _stage_{table} on conflict do nothing"
                )
            result.rows[table] = cur.rowcount
        return new_events


def link_issues_to_pull_requests(conn: connection, since: datetime) -> int:
    """Fills gha_issues_pull_requests for issues and pull requests seen since ``since``.

    An issue that is a pull request and the pull request itself arrive in different events, often
    in different hours, so the link is made after the hours are in, idempotently.
    """
    with conn, conn.cursor() as cur:
        cur.execute(
            """
            insert into gha_issues_pull_requests (issue_id, pull_request_id, number, repo_id, repo_name, created_at)
            select distinct on (i.id, p.id) i.id, p.id, i.number, i.dup_repo_id, i.dup_repo_name, p.created_at
            from gha_issues i
            join gha_pull_requests p on p.dup_repo_id = i.dup_repo_id and p.number = i.number
            where i.is_pull_request
              and (i.dup_created_at >= %(since)s or p.dup_created_at >= %(since)s)
              and not exists (
                select 1 from gha_issues_pull_requests ipr
                where ipr.issue_id = i.id and ipr.pull_request_id = p.id
              )
            order by i.id, p.id
            """,
            {"since": since},
        )
        return cur.rowcount
