"""What could not be stored, kept in the project's database until someone resolves it.

- **Failed hours** (``devstats_sync_failed_hours``): an hour a project wants that did not complete
  (the archive lacks it, the download failed, the file holds no decodable event, the database refused
  it), with the reason of its last failure and the number of attempts. Every ingest retries the
  pending ones, however old; writing the hour deletes its record in the same transaction, so it is
  pending exactly as long as the hour is not parsed. An hour accepted as empty (``--accept-empty``)
  keeps its record with ``accepted_at`` set, beside its ``gha_parsed`` mark.
- **Quarantined events** (``devstats_sync_quarantine``): an event the normalizer or the database
  refused, with the file, line and reason; the rest of its hour is stored. Written in the hour's own
  transaction. Resolved by deleting the row once inspected.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from psycopg2.extensions import connection, cursor

from devstats_sync.schema import FAILED_HOURS, QUARANTINE


@dataclass(frozen=True)
class FailedHour:
    hour: datetime
    reason: str
    attempts: int
    first_failed_at: datetime
    last_failed_at: datetime

    def as_json(self) -> dict[str, Any]:
        def stamp(value: datetime) -> str:
            return value.strftime("%Y-%m-%dT%H:%M:%SZ")

        return {
            "hour": stamp(self.hour),
            "reason": self.reason,
            "attempts": self.attempts,
            "first_failed_at": stamp(self.first_failed_at),
            "last_failed_at": stamp(self.last_failed_at),
        }


@dataclass(frozen=True)
class QuarantinedEvent:
    line: int
    event_id: str | None
    reason: str
    event: dict[str, Any]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def record_failure(conn: connection, hour: datetime, reason: str) -> None:
    """Counts a failed attempt at an hour (its own transaction: the hour's was rolled back)."""
    with conn, conn.cursor() as cur:
        cur.execute(
            f"insert into {FAILED_HOURS.name} as f (dt, reason, attempts, first_failed_at, last_failed_at) "
            "values (%(dt)s, %(reason)s, 1, %(now)s, %(now)s) on conflict (dt) do update set "
            "reason = excluded.reason, attempts = f.attempts + 1, last_failed_at = excluded.last_failed_at, "
            "accepted_at = null",
            {"dt": hour, "reason": reason, "now": _now()},
        )


def resolve(cur: cursor, hour: datetime) -> None:
    """In the transaction that parses the hour: it is no longer pending."""
    cur.execute(f"delete from {FAILED_HOURS.name} where dt = %s and accepted_at is null", (hour,))


def accept_empty(cur: cursor, hour: datetime, reason: str) -> None:
    """In the transaction that marks the hour parsed without events: why it is empty, for the record."""
    now = _now()
    cur.execute(
        f"insert into {FAILED_HOURS.name} as f (dt, reason, attempts, first_failed_at, last_failed_at, "
        "accepted_at) values (%(dt)s, %(reason)s, 1, %(now)s, %(now)s, %(now)s) on conflict (dt) do update "
        "set reason = excluded.reason, accepted_at = excluded.accepted_at",
        {"dt": hour, "reason": reason, "now": now},
    )


def pending_hours(conn: connection) -> list[datetime]:
    with conn, conn.cursor() as cur:
        cur.execute(f"select dt from {FAILED_HOURS.name} where accepted_at is null order by dt")
        return [row[0] for row in cur.fetchall()]


def pending_failures(cur: cursor) -> list[FailedHour]:
    cur.execute(
        f"select dt, reason, attempts, first_failed_at, last_failed_at from {FAILED_HOURS.name} "
        "where accepted_at is null order by dt"
    )
    return [FailedHour(*row) for row in cur.fetchall()]


def quarantine(cur: cursor, hour: datetime, source: str, events: list[QuarantinedEvent]) -> None:
    """In the hour's transaction: the events it could not store, for inspection."""
    for item in events:
        cur.execute(
            f"insert into {QUARANTINE.name} (dt, source, line, event_id, reason, event) "
            "values (%s, %s, %s, %s, %s, %s) on conflict (dt, source, line) do update set "
            "event_id = excluded.event_id, reason = excluded.reason, event = excluded.event, "
            "quarantined_at = now()",
            (
                hour,
                source,
                item.line,
                item.event_id,
                item.reason,
                # ASCII JSON: lone surrogates and NULs, which PostgreSQL text refuses, stay escaped.
                json.dumps(item.event, default=str),
            ),
        )


def quarantined_count(cur: cursor) -> int:
    cur.execute(f"select count(*) from {QUARANTINE.name}")
    return int(cur.fetchone()[0])
