"""Writes one hour of one project: everything, or nothing.

The rows events share (actors, repos, orgs, labels) are COPied into temporary staging tables and
merged with ``INSERT ... ON CONFLICT DO NOTHING``. Events take the same way when some of the hour's
ids are stored already (a re-run), and the rows keyed by an event are then COPied straight into
their tables for the events that turned out new only. When no id of the hour is stored, which the
id check has just asked the database, all of the hour's rows are new: the hour is normalized a
slice of events at a time and each slice COPied straight into the tables (events included) while
the next one is normalized. Another writer storing one of those ids in the meantime makes the COPY
fail and the hour roll back, to be retried, rather than lose an event. The hour's ``gha_parsed``
mark is written in the same transaction. A crash at any point rolls the whole hour back; re-running
an hour finds its rows already there and changes nothing.

An event that cannot be stored costs that event, not its hour: one the normalizer cannot read is
left out, and when the database refuses the hour's rows (a timestamp it cannot parse, a number too
large for its column), the hour is written again in halves, each under a savepoint, down to the single
events it refuses. Those go to the quarantine (:mod:`devstats_sync.hour_records`) with their file,
line and reason, in the hour's transaction; the rest lands. More than :data:`QUARANTINE_LIMIT` refused
events fail the hour instead: that many points at something other than a few odd events.

The hour's event ids come from :mod:`devstats_sync.event_ids`, its COPY lines from
:mod:`devstats_sync.copy_format`.
"""

from __future__ import annotations

import gc
import io
import operator
import sys
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg2
from psycopg2.extensions import connection, cursor

from devstats_sync import hour_records, normalize
from devstats_sync.copy_format import CopyData, copy_data
from devstats_sync.event_ids import assign_ids
from devstats_sync.schema import TABLE_BY_NAME, TABLES

_EPOCH = datetime(1970, 1, 1)
_HOUR_LOCK = 0x6768_6172  # advisory lock class for "an hour of this database is being written"


@dataclass
class HourResult:
    skipped: bool = False
    events: int = 0
    written: int = 0
    collisions: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    unknown_types: dict[str, int] = field(default_factory=dict)
    quarantined: list[hour_records.QuarantinedEvent] = field(default_factory=list)


class HourRefusedError(RuntimeError):
    """The database refused more of an hour's events than a few odd ones explain."""


# Events refused: by the normalizer (event, reason), collected while the hour is written.
Refused = list[tuple[dict[str, Any], str]]
QUARANTINE_LIMIT = 100
# What the database answers to rows it cannot store (bad values, NULLs, oversized index entries).
REFUSALS = (psycopg2.DataError, psycopg2.IntegrityError, psycopg2.errors.ProgramLimitExceeded)


# Events normalized between two hand-overs to the loader: large enough to keep the statements few;
# the first and last slices are smaller (down to _FIRST_SLICE), so that the server starts soon after
# the client and finishes soon after it (an hour's write takes as long as the slower of the two plus
# these ends, where the other one waits).
_SLICE = 5000
_FIRST_SLICE = 1000
# Each COPY costs a round trip and hands the GIL to the loader thread and back several times: rows of
# a table that few events fill wait for later slices until they are this many.
_MIN_COPY_ROWS = 3000
_SWITCH_INTERVAL = 0.0001
_NORMALIZE_ERRORS = (ValueError, TypeError, KeyError, AttributeError, IndexError)


def _normalize_all(identified: Sequence[tuple[int, dict[str, Any]]], refused: Refused) -> normalize.Rows:
    """Rows of the hour; an event that cannot be normalized is left out and added to ``refused``."""
    rows = normalize.Rows()
    try:
        for event_id, event in identified:
            normalize.normalize(event, event_id, rows)
    except _NORMALIZE_ERRORS:
        # Rare: redo the hour event by event, trying each on its own first so a failing event
        # leaves no partial rows behind.
        rows = normalize.Rows()
        for event_id, event in identified:
            try:
                normalize.normalize(event, event_id, normalize.Rows())
            except _NORMALIZE_ERRORS as error:
                refused.append((event, f"cannot be normalized: {error!r}"))
                continue
            normalize.normalize(event, event_id, rows)
    return rows


_SHARED_TABLES = frozenset({"gha_actors", "gha_repos", "gha_orgs", "gha_labels"})
_EVENT_COLUMN = {
    table.name: table.row_columns.index("event_id") for table in TABLES if "event_id" in table.row_columns
}
_KEY_GETTERS = {
    table.name: operator.itemgetter(*(table.row_columns.index(k) for k in table.primary_key))
    for table in TABLES
    if table.primary_key
}


class HourWriter:
    """Writes hours into one project database over one connection."""

    def __init__(self, conn: connection) -> None:
        self.conn = conn
        self._staged: set[str] = set()
        self._compression: str | None = None

    def unparsed_hours(self, start: datetime, end: datetime) -> list[datetime]:
        """The hours of ``[start, end)`` without a ``gha_parsed`` mark, ascending."""
        with self.conn, self.conn.cursor() as cur:
            cur.execute(
                "select h from generate_series(%s::timestamp, %s::timestamp - interval '1 hour', "
                "interval '1 hour') h where not exists (select 1 from gha_parsed p where p.dt = h) "
                "order by h",
                (start, end),
            )
            return [row[0] for row in cur.fetchall()]

    def _toast_compression(self, cur: cursor) -> str:
        """lz4 where the server has it ("" where it has not): the long texts of an hour (bodies,
        commit messages) are compressed several times faster than with pglz, a few percent of the
        server's work on a write, and read faster too. Any reader decompresses either."""
        if self._compression is None:
            cur.execute(
                "select 1 from pg_settings where name = 'default_toast_compression' and 'lz4' = any(enumvals)"
            )
            self._compression = "lz4" if cur.fetchone() else ""
        return self._compression

    def _stage(self, cur: cursor, table: str) -> str:
        staging = f"_stage_{table}"
        if table not in self._staged:
            cur.execute(
                f"create temporary table if not exists {staging} "
                f"(like {table} including defaults) on commit delete rows"
            )
            self._staged.add(table)
        return staging

    def write_hour(
        self,
        hour: datetime,
        events: Sequence[dict[str, Any]],
        force: bool = False,
        *,
        source: str = "",
        line_numbers: Sequence[int] | None = None,
    ) -> HourResult:
        """Writes the hour's events; ``source`` and ``line_numbers`` (one per event, default their
        position) say where a quarantined event came from."""
        # An hour allocates hundreds of thousands of tuples next to millions of live objects of the
        # parsed events; the cyclic collector would walk all of those again and again (a quarter
        # of the client's CPU). Rows form no cycles, so reference counting frees them anyway.
        collecting = gc.isenabled()
        gc.disable()
        # The loader thread needs the GIL for a moment to start each COPY; at the default 5 ms switch
        # interval it would wait that long for the formatting thread each time, the server idle.
        switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(_SWITCH_INTERVAL)
        try:
            return self._write_hour(hour, events, force, source, line_numbers)
        except BaseException:
            # The rollback also dropped staging tables created in this transaction.
            self._staged.clear()
            raise
        finally:
            sys.setswitchinterval(switch_interval)
            if collecting:
                gc.enable()

    def _write_hour(
        self,
        hour: datetime,
        events: Sequence[dict[str, Any]],
        force: bool,
        source: str,
        line_numbers: Sequence[int] | None,
    ) -> HourResult:
        result = HourResult(events=len(events))
        refused: Refused = []
        with self.conn, self.conn.cursor() as cur:
            cur.execute("select pg_advisory_xact_lock(%s, %s)", (_HOUR_LOCK, _hour_key(hour)))
            cur.execute("select 1 from gha_parsed where dt = %s", (hour,))
            if cur.fetchone() is not None and not force:
                result.skipped = True
                return result
            identified, result.collisions, stored = assign_ids(cur, events)
            if self._toast_compression(cur):
                cur.execute(f"set local default_toast_compression = {self._compression}")
            # Staging tables outlive a rollback to the savepoint when made before it.
            for table in (*_SHARED_TABLES, "gha_events"):
                self._stage(cur, table)
            cur.execute("savepoint hour_rows")
            try:
                if stored == 0:
                    result.written = self._stream(cur, identified, result, refused)
                else:
                    rows = _normalize_all(identified, refused)
                    tables = rows.finish()
                    result.unknown_types = rows.unknown_types
                    result.written = self._move(cur, tables, result)
            except REFUSALS:
                cur.execute("rollback to savepoint hour_rows")
                result.rows.clear()
                result.written = self._isolate(cur, identified, result, refused)
            if refused:
                result.quarantined = _quarantined(events, line_numbers, refused)
                hour_records.quarantine(cur, hour, source, result.quarantined)
            hour_records.resolve(cur, hour)
            cur.execute("insert into gha_parsed(dt) values (%s) on conflict do nothing", (hour,))
        return result

    def _isolate(
        self,
        cur: cursor,
        identified: Sequence[tuple[int, dict[str, Any]]],
        result: HourResult,
        refused: Refused,
    ) -> int:
        """Writes what the database takes of the hour, halving the parts it refuses down to the single
        events, which join ``refused``; returns how many events went in."""
        unreadable = {id(event) for event, _ in refused}
        parts = [[pair for pair in identified if id(pair[1]) not in unreadable]]
        written = 0
        refused_here = 0
        result.unknown_types = {}
        while parts:
            part = parts.pop()
            if not part:
                continue
            rows = _normalize_all(part, refused)
            tables = rows.finish()
            cur.execute("savepoint isolate")
            try:
                for table in self._staged:
                    cur.execute(f"delete from _stage_{table}")
                part_result = HourResult()
                written += self._move(cur, tables, part_result)
            except REFUSALS as error:
                cur.execute("rollback to savepoint isolate")
                cur.execute("release savepoint isolate")
                if len(part) > 1:
                    half = len(part) // 2
                    parts += [part[half:], part[:half]]
                    continue
                refused.append((part[0][1], f"refused by the database: {_refusal(error)}"))
                refused_here += 1
                if refused_here > QUARANTINE_LIMIT:
                    raise HourRefusedError(
                        f"the database refused more than {QUARANTINE_LIMIT} of its events, "
                        f"the last: {_refusal(error)}"
                    ) from error
                continue
            cur.execute("release savepoint isolate")
            for table, count in part_result.rows.items():
                result.rows[table] = result.rows.get(table, 0) + count
            for kind, count in rows.unknown_types.items():
                result.unknown_types[kind] = result.unknown_types.get(kind, 0) + count
        return written

    def accept_empty(self, hour: datetime, reason: str) -> None:
        """Marks an hour parsed without events, recording why (an hour the archive lacks, say)."""
        with self.conn, self.conn.cursor() as cur:
            cur.execute("select pg_advisory_xact_lock(%s, %s)", (_HOUR_LOCK, _hour_key(hour)))
            hour_records.accept_empty(cur, hour, reason)
            cur.execute("insert into gha_parsed(dt) values (%s) on conflict do nothing", (hour,))

    def _copy(self, cur: cursor, target: str, table: str, data: CopyData) -> int:
        # One read of the whole buffer: small reads would make the loader thread fight for the GIL.
        sql = f"copy {target} ({', '.join(TABLE_BY_NAME[table].row_columns)}) from stdin{data.options}"
        cur.copy_expert(sql, io.BytesIO(data.data), size=max(len(data.data), 8192))
        return cur.rowcount

    def _stream(
        self,
        cur: cursor,
        identified: Sequence[tuple[int, dict[str, Any]]],
        result: HourResult,
        refused: Refused,
    ) -> int:
        """Writes an hour none of whose events is stored; returns how many went in."""
        staged = {table: self._stage(cur, table) for table in _SHARED_TABLES}
        shared = normalize.Rows()
        waiting: dict[str, list[tuple[Any, ...]]] = {}
        loads: list[tuple[str, Future[int]]] = []
        # One loader thread runs the statements in order while this thread normalizes and formats
        # the next slice: psycopg2 releases the GIL while it waits for PostgreSQL.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="copy") as loader:
            bounds = _slice_bounds(len(identified))
            for start, end in bounds:
                part = _normalize_all(identified[start:end], refused)
                shared.absorb(part)
                if end == bounds[-1][1]:
                    # The shared rows are complete: the server merges them (the slowest statements
                    # of a first load) while this thread formats the last slice.
                    tables = shared.finish()
                    for table in _SHARED_TABLES:
                        if tables[table]:
                            data = copy_data(table, tables[table])
                            loads.append((table, loader.submit(self._merge, cur, table, staged[table], data)))
                # The shared tables' lists stay empty until finish(): these are the event-keyed rows.
                # A table's rows wait for later slices until they make a COPY worth its round trip,
                # or as many as the slice has events (the first slices' events go out at once).
                for table, table_rows in part.tables.items():
                    if not table_rows:
                        continue
                    rows = waiting.setdefault(table, [])
                    rows += table_rows
                    if len(rows) >= min(_MIN_COPY_ROWS, end - start):
                        data = copy_data(table, _unique_rows(table, waiting.pop(table)))
                        loads.append((table, loader.submit(self._copy, cur, table, table, data)))
            for table, rows in waiting.items():
                data = copy_data(table, _unique_rows(table, rows))
                loads.append((table, loader.submit(self._copy, cur, table, table, data)))
            for table, load in loads:
                result.rows[table] = result.rows.get(table, 0) + load.result()
        result.unknown_types = shared.unknown_types
        return result.rows.get("gha_events", 0)

    def _move(self, cur: cursor, tables: dict[str, list[tuple[Any, ...]]], result: HourResult) -> int:
        events = tables["gha_events"]
        if not events:
            return 0
        event_ids = {row[0] for row in events}
        # Staging tables are made before the loader thread takes over the cursor.
        stage_events = self._stage(cur, "gha_events")
        staged = {table: self._stage(cur, table) for table in _SHARED_TABLES if tables[table]}
        # One loader thread runs the statements in order while this thread formats the next table:
        # psycopg2 releases the GIL while it waits for PostgreSQL, so the two overlap.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="copy") as loader:
            # Events first: which of them are new decides which event-keyed rows go in. The rest is
            # formatted meanwhile expecting all of them to be new, and cut down if not.
            inserted = loader.submit(self._insert_events, cur, stage_events, copy_data("gha_events", events))
            loads: list[tuple[str, Future[int]]] = []
            for table, table_rows in tables.items():
                if table == "gha_events" or not table_rows:
                    continue
                if table in _SHARED_TABLES:
                    # Rows other events (and other hours) share: the database may hold them already.
                    data = copy_data(table, table_rows)
                    loads.append((table, loader.submit(self._merge, cur, table, staged[table], data)))
                    continue
                # Rows keyed by their event: only a new event's rows can be missing, and a new event's
                # rows cannot be there yet, so they go straight in (duplicates within the hour dropped).
                unique = _unique_rows(table, table_rows)
                data = copy_data(table, unique)
                load = loader.submit(
                    self._copy_fresh, cur, table, unique, data, events=len(event_ids), inserted=inserted
                )
                loads.append((table, load))
            new_ids = inserted.result()
            for table, load in loads:
                result.rows[table] = load.result()
        result.rows["gha_events"] = len(new_ids)
        return len(new_ids)

    def _insert_events(self, cur: cursor, staging: str, data: CopyData) -> set[int]:
        self._copy(cur, staging, "gha_events", data)
        columns = ", ".join(TABLE_BY_NAME["gha_events"].row_columns)
        cur.execute(
            f"insert into gha_events ({columns}) select {columns} from {staging} "
            "on conflict do nothing returning id"
        )
        return {row[0] for row in cur.fetchall()}

    def _copy_fresh(
        self,
        cur: cursor,
        table: str,
        rows: list[tuple[Any, ...]],
        data: CopyData,
        *,
        events: int,
        inserted: Future[set[int]],
    ) -> int:
        # The loader runs in submission order: the events are in by now. The new ids are a subset
        # of the hour's, so the same count means all of them are new and ``data`` holds the rows.
        new_ids = inserted.result()
        if len(new_ids) != events:
            event_at = _EVENT_COLUMN[table]
            rows = [row for row in rows if row[event_at] in new_ids]
            if not rows:
                return 0
            data = copy_data(table, rows)
        return self._copy(cur, table, table, data)

    def _merge(self, cur: cursor, table: str, staging: str, data: CopyData) -> int:
        self._copy(cur, staging, table, data)
        columns = ", ".join(TABLE_BY_NAME[table].row_columns)
        cur.execute(f"insert into {table} ({columns}) select {columns} from {staging} on conflict do nothing")
        return int(cur.rowcount)


def _slice_bounds(count: int) -> list[tuple[int, int]]:
    """[start, end) of each slice of ``count`` events: growing from _FIRST_SLICE to _SLICE, then
    shrinking again towards the end (about half of what is left, at least _FIRST_SLICE)."""
    bounds = []
    start = 0
    while start < count:
        size = max(_FIRST_SLICE, min(_SLICE, start, (count - start) // 2))
        end = min(count, start + size)
        bounds.append((start, end))
        start = end
    return bounds


def _hour_key(hour: datetime) -> int:
    return int((hour - _EPOCH).total_seconds()) // 3600


def _refusal(error: psycopg2.Error) -> str:
    """The database's reason, with where it found it (table, line of the COPY, column)."""
    primary = error.diag.message_primary or str(error).strip().splitlines()[0]
    return f"{primary} ({error.diag.context})" if error.diag.context else primary


def _quarantined(
    events: Sequence[dict[str, Any]], line_numbers: Sequence[int] | None, refused: Refused
) -> list[hour_records.QuarantinedEvent]:
    lines = line_numbers or range(1, len(events) + 1)
    line_of = {id(event): line for event, line in zip(events, lines, strict=True)}
    return [
        hour_records.QuarantinedEvent(
            line=line_of.get(id(event), 0),
            event_id=None if event.get("id") is None else str(event.get("id")),
            reason=reason,
            event=event,
        )
        for event, reason in refused
    ]


def _unique_rows(table: str, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows of an event-keyed table, one per key (an event can repeat one: a PR's base and head repo)."""
    key = _KEY_GETTERS.get(table)
    if key is None:
        return rows
    keys = list(map(key, rows))
    if len(set(keys)) == len(keys):
        return rows
    # The first row of each key wins, as if the later ones were refused by the key.
    first = dict(zip(reversed(keys), reversed(rows), strict=True))
    return list(first.values())


def link_issues_to_pull_requests(conn: connection, since: datetime) -> int:
    """Fills gha_issues_pull_requests for issues and pull requests seen since ``since``.

    An issue that is a pull request and the pull request itself arrive in different events, often
    in different hours, so the link is made after the hours are in. The table's unique key makes
    this idempotent, also when two runs link at once.
    """
    with conn, conn.cursor() as cur:
        cur.execute(
            """
            insert into gha_issues_pull_requests
                (issue_id, pull_request_id, number, repo_id, repo_name, created_at)
            select distinct on (i.id, p.id) i.id, p.id, i.number, i.dup_repo_id, i.dup_repo_name, p.created_at
            from gha_issues i
            join gha_pull_requests p on p.dup_repo_id = i.dup_repo_id and p.number = i.number
            where i.is_pull_request
              and (i.dup_created_at >= %(since)s or p.dup_created_at >= %(since)s)
            order by i.id, p.id
            on conflict (issue_id, pull_request_id) do nothing
            """,
            {"since": since},
        )
        return cur.rowcount
