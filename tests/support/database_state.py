"""What a project database holds, in forms tests compare: digests of every table, the state of each
hour, the quarantine, and rows stored twice."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import datetime

import psycopg2
from devstats_sync.schema import FAILED_HOURS, QUARANTINE, TABLES

# Columns filled with now() on insert: they differ between two otherwise identical loads.
VOLATILE_COLUMNS = {("gha_commits", "inserted_at"), ("gha_repos", "created_at"), ("gha_repos", "updated_at")}


@contextmanager
def _cursor(dsn: str) -> Iterator[psycopg2.extensions.cursor]:
    with closing(psycopg2.connect(dsn)) as conn, conn.cursor() as cur:
        yield cur


def table_checksums(dsn: str) -> dict[str, tuple[int, str]]:
    """Row count and an order-independent digest of every gha_* table, minus volatile columns."""
    out: dict[str, tuple[int, str]] = {}
    with _cursor(dsn) as cur:
        for table in TABLES:
            columns = ", ".join(c for c in table.column_names if (table.name, c) not in VOLATILE_COLUMNS)
            cur.execute(
                f"select count(*), coalesce(md5(string_agg(r::text, '|' order by r::text)), '') "
                f"from (select {columns} from {table.name}) r"
            )
            count, digest = cur.fetchone()
            out[table.name] = (int(count), str(digest))
    return out


def row_counts(dsn: str) -> dict[str, int]:
    return {table: count for table, (count, _) in table_checksums(dsn).items() if count}


def hour_states(dsn: str) -> dict[datetime, str]:
    """Each hour the database knows: ``parsed``, ``pending`` (failed, to be retried) or ``accepted``
    (parsed as empty on purpose, with its record kept)."""
    with _cursor(dsn) as cur:
        cur.execute("select dt from gha_parsed")
        states = dict.fromkeys((row[0] for row in cur.fetchall()), "parsed")
        cur.execute(f"select dt, accepted_at is not null from {FAILED_HOURS.name}")
        for hour, accepted in cur.fetchall():
            assert (hour in states) == accepted, f"{hour}: parsed and pending at once"
            states[hour] = "accepted" if accepted else "pending"
    return dict(sorted(states.items()))


def events_by_hour(dsn: str) -> dict[datetime, int]:
    with _cursor(dsn) as cur:
        cur.execute("select date_trunc('hour', created_at), count(*) from gha_events group by 1")
        return dict(sorted(cur.fetchall()))


def failed_hour_attempts(dsn: str) -> dict[datetime, int]:
    with _cursor(dsn) as cur:
        cur.execute(f"select dt, attempts from {FAILED_HOURS.name} where accepted_at is null")
        return dict(cur.fetchall())


def quarantined(dsn: str) -> list[tuple[datetime, str, int, str]]:
    """(hour, file, line, reason) of every quarantined event."""
    with _cursor(dsn) as cur:
        cur.execute(f"select dt, source, line, reason from {QUARANTINE.name} order by dt, line")
        return cur.fetchall()


def duplicated_rows(dsn: str) -> dict[str, int]:
    """Tables without a primary key: how many rows repeat another one exactly."""
    out = {}
    with _cursor(dsn) as cur:
        for table in TABLES:
            if table.primary_key or any("primary key" in sql_type for _, sql_type in table.columns):
                continue
            cur.execute(
                f"select count(*) - (select count(*) from (select distinct * from {table.name}) d) "
                f"from {table.name}"
            )
            extra = int(cur.fetchone()[0])
            if extra:
                out[table.name] = extra
    return out
