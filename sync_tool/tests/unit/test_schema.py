from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import psycopg2
import pytest
from devstats_sync import schema

SCHEMA_DOC = Path("/work/shared/devstats-schema.md")


def _doc_tables() -> dict[str, tuple[str, list[str]]]:
    tables = {}
    for line in SCHEMA_DOC.read_text().splitlines():
        match = re.match(r"^\| `(gha_\w+)` \| ([^|]+) \| (.+) \|$", line)
        if match:
            name, key, columns = match.groups()
            tables[name] = (key.strip(), [c.strip().split(" ", 1)[0] for c in columns.split(";")])
    return tables


@pytest.mark.skipif(not SCHEMA_DOC.exists(), reason="the shared schema facts are not on this machine")
def test_tables_match_the_devstats_schema_facts() -> None:
    doc = _doc_tables()
    assert set(doc) == set(schema.TABLE_BY_NAME)
    for name, (key, columns) in doc.items():
        table = schema.TABLE_BY_NAME[name]
        assert list(table.column_names) == columns, name
        expected_key = () if key == "-" else tuple(k.strip() for k in key.split(","))
        assert table.primary_key == expected_key, name


def _columns(dsn: str) -> list[tuple[str, str, str, str]]:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "select table_name, column_name, data_type, is_nullable from information_schema.columns "
            "where table_schema = 'public' order by table_name, ordinal_position"
        )
        return cur.fetchall()


def test_schema_is_created_idempotently_and_versioned(make_database: Callable[..., str]) -> None:
    dsn = make_database(with_schema=False)
    conn = psycopg2.connect(dsn)
    assert schema.ensure_schema(conn) == 0
    first = _columns(dsn)
    assert schema.ensure_schema(conn) == schema.SCHEMA_VERSION
    assert _columns(dsn) == first
    with conn.cursor() as cur:
        cur.execute("select value_i from gha_vars where name = %s", (schema.SCHEMA_VERSION_VAR,))
        assert cur.fetchone() == (schema.SCHEMA_VERSION,)
    types = {(t, c): (d, n) for t, c, d, n in first}
    assert types["gha_events", "id"] == ("bigint", "NO")
    assert types["gha_events", "created_at"] == ("timestamp without time zone", "NO")
    assert types["gha_actors", "sex_prob"] == ("double precision", "YES")
    assert len({t for t, *_ in first}) == len(schema.TABLES) + len(schema.TOOL_TABLES)
    conn.close()


def test_newer_schema_is_refused(db_dsn: str) -> None:
    conn = psycopg2.connect(db_dsn)
    with conn, conn.cursor() as cur:
        cur.execute("update gha_vars set value_i = 999 where name = %s", (schema.SCHEMA_VERSION_VAR,))
    with pytest.raises(schema.SchemaTooNewError, match="newer than this devstats-sync supports"):
        schema.ensure_schema(conn)
    conn.close()


def test_indexes_are_created_once(db_dsn: str) -> None:
    conn = psycopg2.connect(db_dsn)
    assert schema.create_indexes(conn) == len(schema.INDEXES)
    assert schema.create_indexes(conn) == 0
    conn.close()
