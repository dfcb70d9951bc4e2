"""Series and column names as DevStats forms them from metric rows.

DevStats concatenates the parts of a row name without adding separators (``prefix`` + normalized row
name + column name), so the SQL decides the readable shape, e.g. ``'company_activity_,' || company``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

# PostgreSQL truncates identifiers longer than this silently; a truncated table name would make two
# series collide, so a too-long name is an error instead.
MAX_IDENTIFIER = 63
_NON_ALNUM = re.compile(r"[^a-z0-9_]")


class SeriesNameError(ValueError):
    pass


@functools.lru_cache(maxsize=65536)
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


@dataclass(frozen=True)
class RowNaming:
    """How a metric turns row names into series and value names (its metrics.yaml switches)."""

    multi_value: bool = False
    escape_value_name: bool = False
    skip_escape_series_name: bool = False
    # series_name_map: a (normalized) row name renamed before it is used.
    name_map: Mapping[str, str] = field(default_factory=dict)

    def series_part(self, text: str) -> str:
        return text if self.skip_escape_series_name else normalize_name(text)

    def mapped(self, name: str) -> str:
        return self.name_map.get(name, name)

    def row(self, row_name: str) -> tuple[str, str]:
        """(series suffix, value column name) of a row name: without multi_value the row name is
        the suffix and the value column is ``value``; with it the row name (before a backtick) is
        the value column and what follows the backtick, if anything, the suffix."""
        if not self.multi_value:
            return self.mapped(self.series_part(row_name)), "value"
        parts = row_name.split("`")
        value_name = normalize_name(parts[0]) if self.escape_value_name else parts[0]
        suffix = self.series_part(parts[1]) if len(parts) > 1 else ""
        return suffix, self.mapped(value_name)


def _single_column(first_column: str, naming: RowNaming) -> list[tuple[str, str]]:
    # Only the part between the first and the second comma names the row, as in calc_metric.
    parts = first_column.split(",")
    prefix = parts[0]
    if not prefix:
        return []
    suffix, value_name = naming.row(parts[1] if len(parts) > 1 else "")
    if not naming.multi_value and not suffix:
        return []
    return [(prefix + suffix, value_name)]


def _multi_column(first_column: str, naming: RowNaming) -> list[tuple[str, str]]:
    parts = first_column.split(";")
    if len(parts) < 3 or not parts[0]:
        return []
    prefix, columns = parts[0], parts[2].split(",")
    suffix, value_name = naming.row(parts[1])
    if not naming.multi_value and not suffix:
        return []
    return [(prefix + suffix + column, value_name) for column in columns]


def names_for_row(kind: str, first_column: str, naming: RowNaming | None = None) -> list[tuple[str, str]]:
    """The (series, value column) pairs one result row feeds, in the order of its value columns.

    An empty list means the row names no series (DevStats skips such rows).
    """
    naming = naming or RowNaming()
    if kind == "single_row_multi_column":
        return [(normalize_name(name), "value") for name in first_column.split(",")]
    if kind == "multi_row_single_column":
        return _single_column(first_column, naming)
    if kind == "multi_row_multi_column":
        return _multi_column(first_column, naming)
    raise SeriesNameError(f"unknown series_name_or_func function {kind!r}")
