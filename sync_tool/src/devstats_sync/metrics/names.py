"""Series and column names as DevStats forms them from metric rows.

DevStats concatenates the parts of a row name without adding separators (``prefix`` + normalized row
name + column name), so the SQL decides the readable shape, e.g. ``'company_activity_,' || company``.
"""

from __future__ import annotations

import re

# PostgreSQL truncates identifiers longer than this silently; a truncated table name would make two
# series collide, so a too-long name is an error instead.
MAX_IDENTIFIER = 63
_NON_ALNUM = re.compile(r"[^a-z0-9_]")


class SeriesNameError(ValueError):
    pass


def normalize_name(text: str) -> str:
    """DevStats' NormalizeName: lower case, trimmed, every character outside [a-z0-9_] becomes ``_``."""
    return _NON_ALNUM.sub("_", text.strip().lower())


def table_identifier(prefix: str, name: str) -> str:
    """``s<series>``/``t<tag>``: the name Grafana dashboards query, checked against PostgreSQL's limit."""
    table = prefix + name
    if not name:
        raise SeriesNameError(f"empty series name for a {prefix!r} table")
    if len(table.encode()) > MAX_IDENTIFIER:
        raise SeriesNameError(
            f"table name {table!r} is {len(table.encode())} bytes; PostgreSQL allows {MAX_IDENTIFIER}"
        )
    return table


def _split_multi(row_name: str, escape_value_name: bool) -> tuple[str, str]:
    """For multi-value rows: (series suffix from the part after a backtick, value column name)."""
    parts = row_name.split("`")
    value_name = normalize_name(parts[0]) if escape_value_name else parts[0]
    series_part = normalize_name(parts[1]) if len(parts) > 1 else ""
    return series_part, value_name


def _single_column(first_column: str, multi_value: bool, escape_value_name: bool) -> list[tuple[str, str]]:
    prefix, _, row = first_column.partition(",")
    if not prefix:
        return []
    if multi_value:
        series_part, value_name = _split_multi(row, escape_value_name)
        return [(prefix + series_part, value_name)]
    row_name = normalize_name(row)
    return [(prefix + row_name, "value")] if row_name else []


def _multi_column(first_column: str, multi_value: bool, escape_value_name: bool) -> list[tuple[str, str]]:
    parts = first_column.split(";")
    if len(parts) < 3 or not parts[0]:
        return []
    prefix, row, columns = parts[0], parts[1], parts[2].split(",")
    if multi_value:
        series_part, value_name = _split_multi(row, escape_value_name)
        return [(prefix + series_part + column, value_name) for column in columns]
    row_name = normalize_name(row)
    return [(prefix + row_name + column, "value") for column in columns] if row_name else []


def names_for_row(
    kind: str, first_column: str, *, multi_value: bool = False, escape_value_name: bool = False
) -> list[tuple[str, str]]:
    """The (series, value column) pairs one result row feeds, in the order of its value columns.

    Without ``multi_value`` the value column is always ``value``. An empty list means the row names
    no series (DevStats skips such rows).
    """
    if kind == "single_row_multi_column":
        return [(normalize_name(name), "value") for name in first_column.split(",")]
    if kind == "multi_row_single_column":
        return _single_column(first_column, multi_value, escape_value_name)
    if kind == "multi_row_multi_column":
        return _multi_column(first_column, multi_value, escape_value_name)
    raise SeriesNameError(f"unknown series_name_or_func function {kind!r}")
