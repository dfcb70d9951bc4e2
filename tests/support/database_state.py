"""What a project database holds, in a form two runs can be compared by: row counts and digests."""

from __future__ import annotations

import psycopg2
from devstats_sync.schema import TABLES

# Columns filled with now() on insert: they differ between two otherwise identical loads.
VOLATILE_COLUMNS = {("gha_commits", "inserted_at"), ("gha_repos", "created_at"), ("gha_repos", "updated_at")}


def table_checksums(dsn: str) -> dict[str, tuple[int, str]]:
    """Row count and an order-independent digest of every gha_* table, minus volatile columns."""
    out: dict[str, tuple[int, str]] = {}
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
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
