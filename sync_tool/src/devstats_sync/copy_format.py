"""Rows -> COPY data (text or binary format), per table, from the column types of the schema.

Formatting is most of the client's work on a write. The format is defined here, in Python: each
table's formatter is compiled once into one list comprehension (see :func:`_formatter`). Strings
are cut to DevStats' varchar widths, NUL characters dropped, and the rare value that is neither a
number nor a clean string takes the slow path.

The writer takes its rows from :func:`copy_data`, which uses the compiled module ``_copy_lines``
where the package was built with it: rows in PostgreSQL's binary COPY format, which the server reads
with less work than text (timestamps above all), where every value has an exact binary form, and
otherwise the compiled twin of the Python formatter (the same bytes, about ten times faster).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from devstats_sync.schema import TABLE_BY_NAME

try:
    from devstats_sync import _copy_lines
except ImportError:  # installed where no C compiler was found: the Python formatter, slower
    _copy_lines = None

COMPILED = _copy_lines is not None
_SPECIAL = re.compile(r"[\\\t\n\r\x00]")
_VARCHAR = re.compile(r"^varchar\((\d+)\)")
NUMBER, BOOLEAN, TEXT = "n", "b", "s"
# The binary form of each SQL type the schema uses (the compiled module's kind letters).
_BINARY_KINDS = {
    "bigint": "q",
    "int": "i",
    "integer": "i",
    "smallint": "h",
    "double": "d",
    "boolean": "b",
    "timestamp": "t",
    "varchar": "s",
    "text": "s",
}
_NUMBER_KINDS = frozenset("qihd")


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
def _column_types(table: str) -> tuple[tuple[str, int], ...]:
    """Each column's binary kind (a letter of _BINARY_KINDS, "" for a type without one here) and
    varchar width (0: none), from the schema's column types."""
    types = dict(TABLE_BY_NAME[table].columns)
    columns = []
    for column in TABLE_BY_NAME[table].row_columns:
        sql_type = types[column]
        kind = _BINARY_KINDS.get(re.split(r"[\s(]", sql_type, maxsplit=1)[0], "")
        match = _VARCHAR.match(sql_type)
        columns.append(("" if "with time zone" in sql_type else kind, int(match.group(1)) if match else 0))
    return tuple(columns)


@functools.cache
def column_kinds(table: str) -> tuple[str, tuple[int, ...]]:
    """How each column of the table is written as text: NUMBER, BOOLEAN or TEXT, and its varchar
    width (0: none)."""
    columns = _column_types(table)
    kinds = "".join(
        NUMBER if kind in _NUMBER_KINDS else BOOLEAN if kind == "b" else TEXT for kind, _ in columns
    )
    return kinds, tuple(limit for _, limit in columns)


@functools.cache
def _binary_kinds(table: str) -> bytes | None:
    """Each column's kind in the binary format, or None when a column's type has none here."""
    kinds = [kind for kind, _ in _column_types(table)]
    return None if "" in kinds else "".join(kinds).encode()


@functools.cache
def _formatter(table: str) -> Callable[[Iterable[tuple[Any, ...]]], list[str]]:
    """rows -> their COPY lines, compiled per table from its column types.

    Formatting is most of the client's work on a write. The generated list comprehension unpacks
    each row into locals and builds its line as one f-string: no Python call per row, and none per
    cell for the common cases (numbers, NULLs, short clean strings).
    """
    kinds, limits = column_kinds(table)
    names = [f"c{index}" for index in range(len(kinds))]
    cells = []
    for value, kind, limit in zip(names, kinds, limits, strict=True):
        if kind == NUMBER:
            cells.append(
                f"{{N if {value} is None else {value} if type({value}) is int else number({value})}}"
            )
        elif kind == BOOLEAN:
            cells.append(f"{{N if {value} is None else (T if {value} else F)}}")
        else:
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


@dataclass(frozen=True)
class CopyData:
    """A table's rows as a COPY reads them: the bytes, and whether they are in binary format."""

    data: bytes
    binary: bool

    @property
    def options(self) -> str:
        return " (format binary)" if self.binary else ""


def copy_data(table: str, rows: Sequence[tuple[Any, ...]]) -> CopyData:
    """Rows of a table for COPY: binary where every value has an exact binary form, else text."""
    kinds = _binary_kinds(table)
    if _copy_lines is not None and kinds is not None:
        data = _copy_lines.copy_binary(rows, kinds, column_kinds(table)[1])
        if data is not None:
            return CopyData(data, binary=True)
    return CopyData(copy_text_bytes(table, rows), binary=False)


def copy_text_bytes(table: str, rows: Sequence[tuple[Any, ...]]) -> bytes:
    """Rows of a table in COPY text format, encoded as UTF-8 (characters UTF-8 cannot hold, lone
    surrogates from a JSON escape, replaced)."""
    if _copy_lines is None:
        return copy_text(table, rows).encode("utf-8", "replace")
    kinds, limits = column_kinds(table)
    return _copy_lines.copy_lines(rows, kinds.encode(), limits, _cell, _number)
