"""Rows -> COPY text format, per table, from the column types of the schema.

Formatting is most of the client's work on a write, so each table's formatter is compiled once into
one list comprehension (see :func:`_formatter`). Strings are cut to DevStats' varchar widths, NUL
characters dropped, and the rare value that is neither a number nor a clean string takes the slow path.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import orjson

from devstats_sync.schema import TABLE_BY_NAME

_SPECIAL = re.compile(r"[\\\t\n\r\x00]")
_VARCHAR = re.compile(r"^varchar\((\d+)\)")


def _cell(value: Any, limit: int) -> str:
    """A text cell in COPY text format, cut to its varchar width as DevStats does."""
    if value is None:
        return "\\N"
    if type(value) is not str:
        value = str(value) if isinstance(value, int | float | datetime) else orjson.dumps(value).decode()
    if limit and len(value) > limit:
        value = value[:limit]
    if _SPECIAL.search(value):
        value = (
            value.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
            .replace("\x00", "")
        )
    return value


def _number(value: Any) -> str:
    """Numbers that arrive as floats (``11213937.0`` in pre-2015 events) or strings."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value) if isinstance(value, int | float) else str(int(str(value)))


@functools.cache
def _formatter(table: str) -> Callable[[Iterable[tuple[Any, ...]]], list[str]]:
    """rows -> their COPY lines, compiled per table from its column types.

    Formatting is most of the client's work on a write. The generated list comprehension unpacks
    each row into locals and builds its line as one f-string: no Python call per row, and none per
    cell for the common cases (numbers, NULLs, short clean strings).
    """
    types = dict(TABLE_BY_NAME[table].columns)
    columns = TABLE_BY_NAME[table].row_columns
    names = [f"c{index}" for index in range(len(columns))]
    cells = []
    for value, column in zip(names, columns, strict=True):
        sql_type = types[column]
        if sql_type.startswith(("bigint", "int", "smallint", "double")):
            cells.append(
                f"{{N if {value} is None else {value} if type({value}) is int else number({value})}}"
            )
        elif sql_type.startswith("boolean"):
            cells.append(f"{{N if {value} is None else (T if {value} else F)}}")
        else:
            match = _VARCHAR.match(sql_type)
            limit = int(match.group(1)) if match else 0
            fits = f" and len({value}) <= {limit}" if limit else ""
            clean = " and ".join(f"{char} not in {value}" for char in ("NL", "BACKSLASH", "CR", "TAB", "NUL"))
            cells.append(
                # Five substring searches: far cheaper than one isprintable() on long bodies, which
                # looks every character up; the rare string holding one of them goes to cell().
                f"{{N if {value} is None else {value} if type({value}) is str{fits} "
                f"and {clean} else cell({value}, {limit})}}"
            )
    line = "\\t".join(cells)
    unpack = ", ".join(names) + ","
    source = f'def format_rows(rows):\n    return [f"{line}" for {unpack} in rows]\n'
    namespace: dict[str, Any] = {
        "N": "\\N",
        "T": "t",
        "F": "f",
        "BACKSLASH": "\\",
        "NL": "\n",
        "CR": "\r",
        "TAB": "\t",
        "NUL": "\x00",
        "cell": _cell,
        "number": _number,
        "type": type,
        "len": len,
    }
    exec(compile(source, f"<copy formatter for {table}>", "exec"), namespace)
    return namespace["format_rows"]


def copy_text(table: str, rows: Iterable[tuple[Any, ...]]) -> str:
    """Rows of a table in COPY text format."""
    lines = _formatter(table)(rows)
    lines.append("")
    return "\n".join(lines)
