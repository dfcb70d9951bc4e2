"""A metric query's rows turned into series points, the way DevStats' calc_metric reads them.

Time series (one query per bucket):

* one column: the literal series ``series_name_or_func`` (``_<period>`` appended with
  ``add_period_to_name``), one row, its value;
* a name column then values: a series function names each value's series (names.py);
  ``multi_value`` gathers a row's values as columns of one series; ``custom_data`` reads the values
  as (time, value, text) triples written at their own times (``value``, ``str``, ``dt`` columns,
  or ``<name>_v``, ``_s``, ``_t`` with ``multi_value``); ``hll`` values are HyperLogLog sketches.

Histograms (one query per quick range): rows of (name, value), or a series name column then
(name, value) pairs (with ``custom_data``: (name, time, value, text) 4-tuples), or with ``multi_value``
a series name carrying its typed value names (``'hpr_wl;sig:s,iss:f;sigs'``). Rows are stamped one
hour apart downwards from 2012-07-01 per series, as DevStats stores them.

A series or value name from the data that PostgreSQL cannot take (longer than 63 bytes) is left out
with a warning, as DevStats leaves it out; a name from metrics.yaml is checked when it is loaded.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from devstats_sync.metrics.config import MetricDef
from devstats_sync.metrics.names import (
    MAX_IDENTIFIER,
    RowNaming,
    SeriesNameError,
    names_for_row,
    table_identifier,
)
from devstats_sync.metrics.periods import describe_hours
from devstats_sync.metrics.storage import HLL_EMPTY, Hll, Point, Value

# Histogram rows get descending fake times from here, as DevStats stores them.
HISTOGRAM_TIME = datetime(2012, 7, 1)
log = logging.getLogger(__name__)


class RowShapeError(ValueError):
    """The query's columns or rows do not fit what the metric's definition says."""


def number(value: Any) -> float:
    return 0.0 if value is None else float(value)


def _sketch(value: Any) -> Hll:
    return HLL_EMPTY if value is None else Hll(value)


def _moment(value: Any, default: datetime) -> datetime:
    if value is None:
        return default
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _text(value: Any) -> str:
    return "" if value is None else str(value)


class PointMaker:
    """Builds one metric's points; ``now`` stands in for a missing custom-data time."""

    def __init__(self, metric: MetricDef, now: datetime) -> None:
        self.metric = metric
        self.now = now
        self.naming = RowNaming(
            multi_value=metric.multi_value,
            escape_value_name=metric.escape_value_name,
            skip_escape_series_name=metric.skip_escape_series_name,
            name_map=dict(metric.series_name_map),
        )
        # calc_metric names histogram rows with neither escape switch.
        self.hist_naming = RowNaming(multi_value=metric.multi_value, name_map=dict(metric.series_name_map))
        self._warned: set[str] = set()

    def _left_out(self, name: str) -> None:
        if name not in self._warned:
            self._warned.add(name)
            log.warning(
                "metric %r: name %r is longer than PostgreSQL's %d bytes; its values are left out",
                self.metric.name,
                name,
                MAX_IDENTIFIER,
            )

    def point(self, series: str, when: datetime, period: str, values: dict[str, Value]) -> Point | None:
        kept = {}
        for name, value in values.items():
            if len(name.encode()) > MAX_IDENTIFIER:
                self._left_out(name)
            else:
                kept[name] = value
        merge = self.metric.merge_series
        try:
            table = table_identifier("s", merge or series)
        except SeriesNameError:
            self._left_out(series)
            return None
        return Point(table, when, period, kept, series if merge else None) if kept else None

    def _value(self, raw: Any) -> Value:
        return _sketch(raw) if self.metric.hll else number(raw)

    def _described(self, values: dict[str, Value], value: Any) -> dict[str, Value]:
        if self.metric.desc and not self.metric.hll:
            values["descr"] = describe_hours(number(value))
        return values

    # ---- time series ----

    def bucket(
        self, period: str, when: datetime, columns: list[str], rows: list[tuple[Any, ...]]
    ) -> list[Point]:
        """The points of one bucket stamped ``when`` (its start)."""
        metric = self.metric
        if len(columns) == 1:
            if metric.is_function:
                raise RowShapeError(
                    f"{metric.series_name_or_func} needs a name column, the query returns one column"
                )
            if len(rows) > 1:
                raise RowShapeError(f"a literal series needs one row, the query returned {len(rows)}")
            raw = rows[0][0] if rows else None
            name = metric.series_name_or_func + (f"_{period}" if metric.add_period_to_name else "")
            found = self.point(name, when, period, self._described({"value": self._value(raw)}, raw))
            return [found] if found else []
        if not metric.is_function:
            raise RowShapeError(
                f"the query returns {len(columns)} columns; a literal series name needs one, "
                "use a series_name_or_func function for named rows"
            )
        points: list[Point | None] = []
        gathered: dict[str, dict[str, Value]] = defaultdict(dict)
        for row in rows:
            pairs = names_for_row(metric.series_name_or_func, str(row[0]), self.naming)
            width = 3 if metric.custom_data else 1
            if len(pairs) * width > len(row) - 1:
                raise RowShapeError(
                    f"row {row[0]!r} names {len(pairs)} series but has {len(row) - 1} value columns"
                    + (" (custom_data needs a time, a value and a text per series)" if width == 3 else "")
                )
            for index, (series, value_name) in enumerate(pairs):
                cells = row[1 + index * width : 1 + (index + 1) * width]
                if metric.custom_data:
                    points += self._custom(series, value_name, period, cells, gathered)
                elif metric.multi_value:
                    gathered[series][value_name] = self._value(cells[0])
                else:
                    points.append(
                        self.point(
                            series, when, period, self._described({"value": self._value(cells[0])}, cells[0])
                        )
                    )
        points += [self.point(series, when, period, values) for series, values in gathered.items()]
        return (
            unique_times([p for p in points if p])
            if metric.custom_data_unique_time
            else [p for p in points if p]
        )

    def _custom(
        self,
        series: str,
        value_name: str,
        period: str,
        cells: tuple[Any, ...],
        gathered: dict[str, dict[str, Value]],
    ) -> list[Point | None]:
        moment, raw, text = _moment(cells[0], self.now), cells[1], _text(cells[2])
        if self.metric.multi_value:
            suffix = "_h" if self.metric.hll else "_v"
            gathered[series].update(
                {
                    f"{value_name}_t": moment,
                    f"{value_name}{suffix}": self._value(raw),
                    f"{value_name}_s": text,
                }
            )
            return []
        values = self._described({"value": self._value(raw), "str": text, "dt": moment}, raw)
        return [self.point(series, moment, period, values)]

    # ---- histograms ----

    def histogram(
        self, label: str, columns: list[str], rows: list[tuple[Any, ...]]
    ) -> dict[str, list[Point]]:
        """Points per series of one quick range ``label``; each series' rows replace its old ones."""
        metric = self.metric
        by_series: dict[str, list[Point]] = defaultdict(list)

        def add(series: str, values: dict[str, Value]) -> None:
            when = HISTOGRAM_TIME - timedelta(hours=len(by_series[series]))
            found = self.point(series, when, label, values)
            if found:
                by_series[series].append(found)

        if len(columns) == 2:
            for row in rows:
                add(metric.series_name_or_func, {"name": _text(row[0]), "value": number(row[1])})
            return dict(by_series)
        if len(columns) < 3 or not metric.is_function:
            raise RowShapeError(
                "a histogram query returns (name, value) or, with a series function, a series name column "
                f"and (name, value) pairs; got {len(columns)} columns"
            )
        for row in rows:
            pairs = names_for_row(metric.series_name_or_func, str(row[0]), self.hist_naming)
            if metric.multi_value:
                for series, values in self._typed_values(pairs, row):
                    add(series, values)
                continue
            width = 4 if metric.custom_data else 2
            for index, (series, _value_name) in enumerate(pairs):
                cells = row[1 + index * width : 1 + (index + 1) * width]
                if len(cells) < width:
                    raise RowShapeError(f"histogram row {row[0]!r} lacks the values of {series}")
                if metric.custom_data:
                    add(series, {"name": _text(cells[0]), "value": number(cells[2]), "str": _text(cells[3]),
                                 "dt": _moment(cells[1], self.now)})  # fmt: skip
                else:
                    add(series, {"name": _text(cells[0]), "value": number(cells[1])})
        return {series: unique_times(points) if metric.custom_data_unique_time else points
                for series, points in by_series.items()}  # fmt: skip

    def _typed_values(
        self, pairs: list[tuple[str, str]], row: tuple[Any, ...]
    ) -> Iterable[tuple[str, dict[str, Value]]]:
        """A multi-value histogram row: its value names say their types, ``name:s`` or ``name:f``."""
        if len(pairs) != 1:
            raise RowShapeError(
                f"a multi-value histogram row names one series, {row[0]!r} names {len(pairs)}"
            )
        series, value_names = pairs[0]
        values: dict[str, Value] = {}
        for index, spec in enumerate(value_names.split(",")):
            name, _, kind = spec.partition(":")
            if kind not in ("s", "f") or index + 1 >= len(row):
                raise RowShapeError(
                    f"value {spec!r} of row {row[0]!r}: expected name:s or name:f with a column"
                )
            cell = row[index + 1]
            if cell is None:
                raise RowShapeError(
                    f"value {name!r} of row {row[0]!r} is null (DevStats refuses nulls here too)"
                )
            values[name] = _text(cell) if kind == "s" else number(cell)
        yield series, values


def unique_times(points: list[Point]) -> list[Point]:
    """custom_data_unique_time: points sharing (table, time, series, period) get 1, 2, ...
    microseconds added, in the order of their values, so none overwrites another."""
    groups: dict[tuple[str, datetime, str | None, str], list[Point]] = defaultdict(list)
    for point in points:
        groups[(point.table, point.time, point.series, point.period)].append(point)
    result = []
    for group in groups.values():
        ordered = sorted(group, key=lambda p: sorted((k, str(v)) for k, v in p.values.items()))
        for offset, point in enumerate(ordered):
            point.time += timedelta(microseconds=offset)
            result.append(point)
    return result
