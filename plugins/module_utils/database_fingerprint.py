# -*- coding: utf-8 -*-
# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""What a database holds, in a form two servers can be compared by: rows and a key checksum per table.

For each table of the public schema: the number of rows and an order-independent checksum of its
primary-key columns (all columns for a table without a key, such as gha_texts): the sum of the first
64 bits of the MD5 of each row's key. Equal on two servers means the same keys are there, however the
rows are stored. Also the ``gha_parsed`` watermark (the last hour the sync tool finished) and the
database's comment, where a migration marks its progress.
"""

from __future__ import annotations

from typing import Any

KEY_COLUMNS_SQL = """
select c.relname,
       coalesce(
         (select array_agg(a.attname order by k.ord)
            from pg_index i
            cross join unnest(i.indkey) with ordinality as k(attnum, ord)
            join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
           where i.indrelid = c.oid and i.indisprimary),
         (select array_agg(a.attname order by a.attnum)
            from pg_attribute a
           where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped)
       )
  from pg_class c
  join pg_namespace n on n.oid = c.relnamespace
 where n.nspname = 'public' and c.relkind in ('r', 'p')
 order by c.relname
"""


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def table_fingerprint_sql(table: str, key_columns: list[str]) -> str:
    row = ", ".join(_quote(c) for c in key_columns)
    return (
        "select count(*), coalesce(sum(('x' || substr(md5(row("
        + row
        + ")::text), 1, 16))::bit(64)::bigint::numeric), 0) from public."
        + _quote(table)
    )


def fingerprint(conn: Any) -> dict[str, Any]:
    """The fingerprint of the database `conn` is connected to (psycopg2 connection, read-only use)."""
    tables: dict[str, dict[str, Any]] = {}
    with conn.cursor() as cur:
        cur.execute(KEY_COLUMNS_SQL)
        keyed = cur.fetchall()
        for table, columns in keyed:
            cur.execute(table_fingerprint_sql(table, list(columns)))
            rows, checksum = cur.fetchone()
            tables[table] = {"rows": int(rows), "checksum": str(checksum), "key": list(columns)}
        watermark = None
        if "gha_parsed" in tables:
            cur.execute("select to_char(max(dt), 'YYYY-MM-DD HH24:00') from gha_parsed")
            watermark = cur.fetchone()[0]
        cur.execute(
            "select shobj_description(oid, 'pg_database') from pg_database where datname = current_database()"
        )
        comment = cur.fetchone()[0]
    return {"tables": tables, "watermark": watermark, "comment": comment or ""}


def differences(source: dict[str, Any], target: dict[str, Any]) -> list[str]:
    """Each table whose rows or key checksum differ between source and target, in words; [] when equal."""
    out = []
    for table in sorted(set(source["tables"]) | set(target["tables"])):
        left, right = source["tables"].get(table), target["tables"].get(table)
        if left is None or right is None:
            out.append(f"table {table}: only on the {'target' if left is None else 'source'}")
        elif left["rows"] != right["rows"]:
            out.append(f"table {table}: {left['rows']} rows on the source, {right['rows']} on the target")
        elif left["checksum"] != right["checksum"]:
            out.append(
                f"table {table}: same {left['rows']} rows but different keys ({', '.join(left['key'])})"
            )
    if source.get("watermark") != target.get("watermark"):
        out.append(
            f"gha_parsed watermark: {source.get('watermark')} on the source, "
            f"{target.get('watermark')} on the target"
        )
    return out
