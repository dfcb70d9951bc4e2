"""The compiled COPY formatter gives the Python formatter's bytes, for every table and any value."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from devstats_sync import copy_format, normalize
from devstats_sync.schema import TABLES

from sync_tool.tests.copy_values import rows_for

FIXTURES = Path(__file__).parents[1] / "fixtures" / "gharchive"


def _python_bytes(table: str, rows: list[tuple[Any, ...]]) -> bytes:
    return copy_format.copy_text(table, rows).encode("utf-8", "replace")


def test_the_compiled_formatter_is_built_here() -> None:
    # make setup compiles it; without it the writer silently falls back to the slow formatter.
    assert copy_format.COMPILED


@pytest.mark.parametrize("table", [table.name for table in TABLES])
def test_every_value_shape_gives_the_python_formatters_bytes(table: str) -> None:
    rows = rows_for(table)
    assert copy_format.copy_text_bytes(table, rows) == _python_bytes(table, rows)


def test_real_events_give_the_python_formatters_bytes() -> None:
    rows = normalize.Rows()
    for path in sorted(FIXTURES.glob("*.jsonl")):
        for line in path.read_bytes().splitlines():
            event = orjson.loads(line)
            normalize.normalize(event, normalize.event_id_of(event), rows)
    tables = {name: table_rows for name, table_rows in rows.finish().items() if table_rows}
    assert len(tables) >= 15
    for table, table_rows in tables.items():
        assert copy_format.copy_text_bytes(table, table_rows) == _python_bytes(table, table_rows), table


def test_no_rows_is_no_bytes() -> None:
    assert copy_format.copy_text_bytes("gha_events", []) == b"" == _python_bytes("gha_events", [])


def test_the_python_formatters_errors_are_the_compiled_ones() -> None:
    with pytest.raises(ValueError, match="invalid literal for int"):
        copy_format.copy_text_bytes("gha_orgs", [("not a number", "o")])
    with pytest.raises(ValueError, match="not a tuple of 2 values"):
        copy_format.copy_text_bytes("gha_orgs", [(1,)])
