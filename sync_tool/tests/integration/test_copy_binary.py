"""Rows sent in binary COPY format are stored exactly as their text form would be, and a value whose
text the server reads differently, or refuses, goes as text."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import orjson
import psycopg2
import pytest
from devstats_sync import copy_format, normalize
from devstats_sync.sample_data import GeneratorConfig, hour_lines
from devstats_sync.schema import TABLE_BY_NAME, TABLES
from devstats_sync.writer import REFUSALS, HourWriter
from psycopg2.extensions import cursor

from sync_tool.tests.copy_values import rows_for

FIXTURES = Path(__file__).parents[1] / "fixtures" / "gharchive"


def _stored(cur: cursor, table: str, data: bytes, options: str) -> list[str] | str:
    """What the table holds after the COPY (as JSON), or the server's reason for refusing it."""
    columns = ", ".join(TABLE_BY_NAME[table].row_columns)
    cur.execute("savepoint copy")
    cur.execute(f"create temporary table copied (like {table}) on commit drop")
    try:
        cur.copy_expert(f"copy copied ({columns}) from stdin{options}", io.BytesIO(data))
    except REFUSALS as error:
        cur.execute("rollback to savepoint copy")
        return error.diag.message_primary or str(error)
    cur.execute("select row_to_json(c)::text from copied c")
    stored = [row[0] for row in cur.fetchall()]
    cur.execute("rollback to savepoint copy")
    return stored


@pytest.mark.parametrize("table", [table.name for table in TABLES])
def test_binary_rows_are_stored_as_their_text(db_dsn: str, table: str) -> None:
    conn = psycopg2.connect(db_dsn)
    with conn, conn.cursor() as cur:
        for row in rows_for(table):
            text = _stored(cur, table, copy_format.copy_text_bytes(table, [row]), "")
            sent = copy_format.copy_data(table, [row])
            if sent.binary:
                # Binary only where the text is read as the same value: never where it is refused.
                assert _stored(cur, table, sent.data, sent.options) == text, row
            else:
                assert sent.data == copy_format.copy_text_bytes(table, [row])
    conn.close()


def test_rows_of_real_events_go_binary(db_dsn: str) -> None:
    rows = normalize.Rows()
    for path in sorted(FIXTURES.glob("*.jsonl")):
        for line in path.read_bytes().splitlines():
            event = orjson.loads(line)
            normalize.normalize(event, normalize.event_id_of(event), rows)
    conn = psycopg2.connect(db_dsn)
    with conn, conn.cursor() as cur:
        for table, table_rows in rows.finish().items():
            if not table_rows:
                continue
            sent = copy_format.copy_data(table, table_rows)
            text = copy_format.copy_text_bytes(table, table_rows)
            # Pre-2015 events carry some ids as floats, which only the text form holds.
            assert sent.binary or table in {"gha_orgs", "gha_repos", "gha_forkees"}, table
            if sent.binary:
                assert _stored(cur, table, sent.data, sent.options) == _stored(cur, table, text, ""), table
    conn.close()


def test_small_tables_wait_for_one_copy(db_dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # A COPY per table per slice would cost the hour a round trip per table per slice.
    copies: list[tuple[str, int]] = []
    copy = HourWriter._copy

    def counting(self: HourWriter, cur: cursor, target: str, table: str, data: copy_format.CopyData) -> int:
        count = copy(self, cur, target, table, data)
        copies.append((table, count))
        return count

    monkeypatch.setattr(HourWriter, "_copy", counting)
    config = GeneratorConfig(seed=5, events_per_hour=12_000, focus_repos=("o/r",), focus_share=1.0)
    events = [orjson.loads(line) for line in hour_lines(config, datetime(2024, 3, 1, 10))]
    conn = psycopg2.connect(db_dsn)
    result = HourWriter(conn).write_hour(datetime(2024, 3, 1, 10), events)
    conn.close()
    per_table: dict[str, list[int]] = {}
    for table, count in copies:
        per_table.setdefault(table, []).append(count)
    assert sum(per_table["gha_events"]) == result.rows["gha_events"] == 12_000
    assert len(per_table["gha_events"]) > 1
    # Tables that few events fill: one COPY for the whole hour.
    few = [table for table, counts in per_table.items() if table.startswith("gha_") and sum(counts) < 1000]
    assert {"gha_releases", "gha_pages"} <= set(few)
    assert all(len(per_table[table]) == 1 for table in few), {table: per_table[table] for table in few}
