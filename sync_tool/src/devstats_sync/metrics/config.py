"""Metric definitions in DevStats' ``metrics.yaml`` / ``tags.yaml`` format, and where their files live.

A metrics directory holds ``<project>/`` and ``shared/``; every file (the YAML files and the SQL they
name) is looked up in the project's directory first, then in ``shared/``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from devstats_sync.metrics.names import SeriesNameError, normalize_name, table_identifier
from devstats_sync.metrics.periods import PERIOD_TEXT, Period, parse_period

FUNCTIONS = ("single_row_multi_column", "multi_row_single_column", "multi_row_multi_column")
DESC_FUNCTIONS = ("time_diff_as_string",)
BUNDLED_DIR = Path(__file__).parent / "default"

# Every field of DevStats' metric (devstatscode cmd/gha2db_sync). Read with no effect here: env (its Go
# tool's threads and debug switches) and wait_after_fail (it sleeps after a failure to let the
# database recover; the next metric runs at once here). skip_past is calc_metric's own switch:
# past release ranges of histograms are computed once anyway.
_METRIC_FIELDS = {
    "name", "series_name_or_func", "sql", "sqls", "periods", "aggregate", "skip", "multi_value",
    "escape_value_name", "skip_escape_series_name", "merge_series", "histogram", "annotations_ranges",
    "desc", "drop", "env", "allow_fail", "wait_after_fail", "disabled", "project", "add_period_to_name",
    "custom_data", "custom_data_unique_time", "start_from", "last_hours", "series_name_map", "hll",
    "always_recalc", "skip_past",
}  # fmt: skip
_TAG_FIELDS = {"name", "sql", "series_name", "name_tag", "value_tag", "other_tags", "limit", "disabled"}


class MetricsConfigError(ValueError):
    pass


@dataclass(frozen=True)
class MetricDef:
    name: str
    series_name_or_func: str
    sql_files: tuple[Path, ...]
    periods: tuple[Period, ...]
    source: str
    multi_value: bool = False
    escape_value_name: bool = False
    merge_series: str | None = None
    histogram: bool = False
    annotations_ranges: bool = False
    desc: str | None = None
    drop: tuple[str, ...] = ()
    allow_fail: bool = False
    add_period_to_name: bool = False
    skip_escape_series_name: bool = False
    # Row names (normalized) renamed before they become series or value names.
    series_name_map: tuple[tuple[str, str], ...] = ()
    # Rows carry (time, value, text) triples, written at their own times (histograms: 4-tuples).
    custom_data: bool = False
    custom_data_unique_time: bool = False
    # Nothing before this moment is computed: start_from, or now - last_hours.
    start_from: datetime | None = None
    last_hours: int = 0
    # Values are HyperLogLog sketches (the hll extension), not numbers.
    hll: bool = False
    # Computed on every run instead of when due.
    always_recalc: bool = False
    # Quick ranges of annotations_ranges histograms left out, by suffix.
    skip: frozenset[str] = frozenset()

    @property
    def is_function(self) -> bool:
        return self.series_name_or_func in FUNCTIONS

    def key(self, sql_file: Path) -> str:
        """Identifies the metric's computed marks in gha_computed; stable across install paths."""
        return f"{self.series_name_or_func}/{sql_file.stem}"


@dataclass(frozen=True)
class TagDef:
    name: str
    sql_file: Path
    series_name: str
    name_tag: str | None
    value_tag: str | None
    other_tags: dict[str, tuple[str, bool]]
    limit: int

    @property
    def columns(self) -> tuple[str, ...]:
        """The tag table's columns besides ``time``, whether the query returns rows or not."""
        named = [name for name in (self.name_tag, self.value_tag) if name]
        for name, (_column, normalize) in self.other_tags.items():
            named += [name, f"{name}_norm"] if normalize else [name]
        return tuple(named)


def find_file(metrics_dir: Path, project: str, name: str) -> Path | None:
    for candidate in (metrics_dir / project / name, metrics_dir / "shared" / name):
        if candidate.is_file():
            return candidate
    return None


def _load_list(path: Path, key: str) -> list[Any]:
    try:
        document = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise MetricsConfigError(f"{path} is not valid YAML: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get(key), list):
        raise MetricsConfigError(f"{path}: expected a mapping with a '{key}' list")
    return document[key]


def _flag(raw: dict[str, Any], name: str, where: str) -> bool:
    value = raw.get(name, False)
    if not isinstance(value, bool):
        raise MetricsConfigError(f"{where}, field {name!r}: expected true or false, got {value!r}")
    return value


def _csv(raw: dict[str, Any], name: str, where: str, default: str = "") -> list[str]:
    value = raw.get(name, default)
    if value is None:
        return []
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise MetricsConfigError(f"{where}, field {name!r}: expected a comma-separated string, got {value!r}")
    return [item.strip() for item in value.split(",") if item.strip()]


def _applies_to(raw: dict[str, Any], project: str, where: str) -> bool:
    """``project: a,b`` limits a metric to those projects; ``project: '!a'`` excludes one."""
    names = _csv(raw, "project", where)
    if not names:
        return True
    excluded = {n[1:] for n in names if n.startswith("!")}
    included = {n for n in names if not n.startswith("!")}
    if project in excluded:
        return False
    return not included or project in included


def _periods(raw: dict[str, Any], where: str) -> tuple[Period, ...]:
    """Every period x aggregate, minus skip, named as gha2db_sync names them: the period text, then
    the aggregate unless it is 1 (``m6`` + ``7`` is ``m67``: 67 months)."""
    aggregates = _csv(raw, "aggregate", where, "1")
    skip = set(_csv(raw, "skip", where))
    result: list[Period] = []
    for base in _csv(raw, "periods", where):
        if not PERIOD_TEXT.match(base):
            raise MetricsConfigError(
                f"{where}, field 'periods': {base!r} is not one of h, d, w, m, q, y, "
                "optionally followed by a count (m6, y2)"
            )
        for aggregate in aggregates:
            if not aggregate.isdigit() or int(aggregate) < 1:
                raise MetricsConfigError(
                    f"{where}, field 'aggregate': {aggregate!r} is not a positive whole number"
                )
            text = base + ("" if aggregate == "1" else aggregate)
            period = parse_period(text)
            if text not in skip and period.label not in skip and period not in result:
                result.append(period)
    return tuple(result)


def _drop(raw: dict[str, Any], where: str) -> tuple[str, ...]:
    """Tables dropped on a full recompute: DevStats separates them with ';' (commas read too)."""
    value = raw.get("drop")
    if value is None:
        return ()
    if not isinstance(value, str):
        raise MetricsConfigError(
            f"{where}, field 'drop': expected table names separated by ';', got {value!r}"
        )
    return tuple(name.strip() for name in re.split(r"[;,]", value) if name.strip())


def _name_map(raw: dict[str, Any], where: str) -> tuple[tuple[str, str], ...]:
    value = raw.get("series_name_map") or {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise MetricsConfigError(f"{where}, field 'series_name_map': expected a mapping of names to names")
    return tuple(value.items())


def _start(raw: dict[str, Any], where: str) -> tuple[datetime | None, int]:
    start, hours = raw.get("start_from"), raw.get("last_hours", 0)
    if start is not None and hours:
        raise MetricsConfigError(f"{where}: use either 'start_from' or 'last_hours', not both")
    if isinstance(hours, bool) or not isinstance(hours, int) or hours < 0:
        raise MetricsConfigError(
            f"{where}, field 'last_hours': expected a whole number of hours, got {hours!r}"
        )
    if start is None:
        return None, hours
    if isinstance(start, datetime):
        return (start.astimezone(UTC).replace(tzinfo=None) if start.tzinfo else start), 0
    if isinstance(start, date):
        return datetime(start.year, start.month, start.day), 0
    raise MetricsConfigError(
        f"{where}, field 'start_from': expected a timestamp such as 2018-01-01T00:00:00Z, got {start!r}"
    )


def _whole(raw: dict[str, Any], name: str, where: str) -> int:
    value = raw.get(name, 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise MetricsConfigError(f"{where}, field {name!r}: expected a whole number, got {value!r}")
    return value


def _sql_files(raw: dict[str, Any], where: str, metrics_dir: Path, project: str) -> list[Path]:
    if ("sql" in raw) == ("sqls" in raw):
        raise MetricsConfigError(f"{where}: exactly one of 'sql' or 'sqls' is required")
    stems = [raw["sql"]] if "sql" in raw else raw["sqls"]
    if not isinstance(stems, list) or not stems or not all(isinstance(s, str) and s for s in stems):
        raise MetricsConfigError(f"{where}, field 'sqls': expected a non-empty list of SQL file names")
    files = []
    for stem in stems:
        found = find_file(metrics_dir, project, f"{stem}.sql")
        if found is None:
            raise MetricsConfigError(
                f"{where}: SQL file {stem}.sql found neither in {metrics_dir / project} "
                f"nor in {metrics_dir / 'shared'}"
            )
        files.append(found)
    return files


def _check_names(series: str, merge: Any, where: str) -> None:
    try:
        if series not in FUNCTIONS:
            table_identifier("s", series)
            if series != normalize_name(series):
                raise SeriesNameError(f"series name {series!r} must be lower case [a-z0-9_]")
        if merge is not None:
            if not isinstance(merge, str) or merge != normalize_name(merge):
                raise SeriesNameError(f"merge_series {merge!r} must be a lower case [a-z0-9_] name")
            table_identifier("s", merge)
    except SeriesNameError as error:
        raise MetricsConfigError(f"{where}: {error}") from None


def parse_metric(raw: Any, index: int, source: Path, metrics_dir: Path, project: str) -> MetricDef | None:
    """One metrics.yaml entry; None when it is disabled or not for this project."""
    if not isinstance(raw, dict):
        raise MetricsConfigError(f"{source}: metric #{index + 1} is not a mapping")
    where = f"{source}, metric {raw.get('name', '')!r} (#{index + 1})"
    unknown = sorted(set(raw) - _METRIC_FIELDS)
    if unknown:
        raise MetricsConfigError(f"{where}: unknown field(s) {', '.join(unknown)}")
    for required in ("name", "series_name_or_func"):
        if not isinstance(raw.get(required), str) or not raw[required].strip():
            raise MetricsConfigError(f"{where}, field {required!r}: required, a non-empty string")
    if _flag(raw, "disabled", where) or not _applies_to(raw, project, where):
        return None
    files = _sql_files(raw, where, metrics_dir, project)
    series = raw["series_name_or_func"].strip()
    histogram = _flag(raw, "histogram", where)
    annotations_ranges = _flag(raw, "annotations_ranges", where)
    periods = _periods(raw, where)
    if not periods and not (histogram and annotations_ranges):
        raise MetricsConfigError(f"{where}, field 'periods': at least one period is required")
    if annotations_ranges and not histogram:
        raise MetricsConfigError(f"{where}, field 'annotations_ranges': only valid with 'histogram: true'")
    if histogram and raw.get("drop"):
        raise MetricsConfigError(f"{where}, field 'drop': not valid on a histogram (DevStats refuses it too)")
    custom_data = _flag(raw, "custom_data", where)
    unique_time = _flag(raw, "custom_data_unique_time", where)
    if unique_time and not custom_data:
        raise MetricsConfigError(
            f"{where}, field 'custom_data_unique_time': only valid with 'custom_data: true'"
        )
    start_from, last_hours = _start(raw, where)
    _whole(raw, "wait_after_fail", where)
    desc = raw.get("desc")
    if desc is not None and desc not in DESC_FUNCTIONS:
        raise MetricsConfigError(f"{where}, field 'desc': {desc!r} is not one of {', '.join(DESC_FUNCTIONS)}")
    merge = raw.get("merge_series")
    # DevStats' per-metric ``env`` tunes its Go tool (threads, debug); accepted, nothing to apply here.
    env = raw.get("env") or {}
    if not isinstance(env, dict) or not all(isinstance(k, str) for k in env):
        raise MetricsConfigError(f"{where}, field 'env': expected a mapping of names to values")
    _check_names(series, merge, where)
    return MetricDef(
        name=raw["name"],
        series_name_or_func=series,
        sql_files=tuple(files),
        periods=periods,
        source=str(source),
        multi_value=_flag(raw, "multi_value", where),
        escape_value_name=_flag(raw, "escape_value_name", where),
        merge_series=merge,
        histogram=histogram,
        annotations_ranges=annotations_ranges,
        desc=desc,
        drop=_drop(raw, where),
        allow_fail=_flag(raw, "allow_fail", where),
        add_period_to_name=_flag(raw, "add_period_to_name", where),
        skip_escape_series_name=_flag(raw, "skip_escape_series_name", where),
        series_name_map=_name_map(raw, where),
        custom_data=custom_data,
        custom_data_unique_time=unique_time,
        start_from=start_from,
        last_hours=last_hours,
        hll=_flag(raw, "hll", where),
        always_recalc=_flag(raw, "always_recalc", where),
        skip=frozenset(_csv(raw, "skip", where)),
    )


def load_metrics(metrics_dir: Path, project: str) -> list[MetricDef]:
    path = find_file(metrics_dir, project, "metrics.yaml")
    if path is None:
        raise MetricsConfigError(f"no metrics.yaml in {metrics_dir / project} or {metrics_dir / 'shared'}")
    metrics = []
    for index, raw in enumerate(_load_list(path, "metrics")):
        metric = parse_metric(raw, index, path, metrics_dir, project)
        if metric is not None:
            metrics.append(metric)
    return metrics


def load_tags(metrics_dir: Path, project: str) -> list[TagDef]:
    """Tag tables from ``tags.yaml`` (optional): ``t<series_name>`` rows for Grafana variables."""
    path = find_file(metrics_dir, project, "tags.yaml")
    if path is None:
        return []
    tags = []
    for index, raw in enumerate(_load_list(path, "tags")):
        if not isinstance(raw, dict):
            raise MetricsConfigError(f"{path}: tag #{index + 1} is not a mapping")
        where = f"{path}, tag {raw.get('name', '')!r} (#{index + 1})"
        unknown = sorted(set(raw) - _TAG_FIELDS)
        if unknown:
            raise MetricsConfigError(f"{where}: unknown field(s) {', '.join(unknown)}")
        if _flag(raw, "disabled", where):
            continue
        for required in ("name", "sql", "series_name"):
            if not isinstance(raw.get(required), str) or not raw[required]:
                raise MetricsConfigError(f"{where}, field {required!r}: required, a non-empty string")
        sql_file = find_file(metrics_dir, project, f"{raw['sql']}.sql")
        if sql_file is None:
            raise MetricsConfigError(f"{where}: SQL file {raw['sql']}.sql not found")
        other = raw.get("other_tags") or {}
        if not isinstance(other, dict) or not all(
            isinstance(v, list) and len(v) == 2 for v in other.values()
        ):
            raise MetricsConfigError(f"{where}, field 'other_tags': expected name: [column, normalize]")
        limit = raw.get("limit", 0)
        if not isinstance(limit, int) or isinstance(limit, bool):
            raise MetricsConfigError(f"{where}, field 'limit': expected a whole number")
        try:
            table_identifier("t", raw["series_name"])
        except SeriesNameError as error:
            raise MetricsConfigError(f"{where}: {error}") from None
        tags.append(
            TagDef(
                name=raw["name"],
                sql_file=sql_file,
                series_name=raw["series_name"],
                name_tag=raw.get("name_tag"),
                value_tag=raw.get("value_tag"),
                other_tags={
                    k: (str(v[0]), str(v[1]).lower() in ("1", "t", "y", "true")) for k, v in other.items()
                },
                limit=limit if limit > 0 else 127,
            )
        )
    return tags
