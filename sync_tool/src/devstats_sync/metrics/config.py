"""Metric definitions in DevStats' ``metrics.yaml`` / ``tags.yaml`` format, and where their files live.

A metrics directory holds ``<project>/`` and ``shared/``; every file (the YAML files and the SQL they
name) is looked up in the project's directory first, then in ``shared/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from devstats_sync.metrics.names import SeriesNameError, normalize_name, table_identifier
from devstats_sync.metrics.periods import Period, parse_period

FUNCTIONS = ("single_row_multi_column", "multi_row_single_column", "multi_row_multi_column")
DESC_FUNCTIONS = ("time_diff_as_string",)
BUNDLED_DIR = Path(__file__).parent / "default"

_METRIC_FIELDS = {
    "name", "series_name_or_func", "sql", "sqls", "periods", "aggregate", "skip", "multi_value",
    "escape_value_name", "merge_series", "histogram", "annotations_ranges", "desc", "drop", "env",
    "allow_fail", "disabled", "project", "add_period_to_name",
    # Past release ranges of histograms are computed once anyway, as DevStats' skip_past asks.
    "skip_past",
}  # fmt: skip
# DevStats fields whose behaviour is not implemented: refused by name rather than ignored.
_UNSUPPORTED_FIELDS = {"custom_data", "series_name_map", "start_from", "last_hours"}
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
    aggregates = _csv(raw, "aggregate", where, "1")
    skip = set(_csv(raw, "skip", where))
    bases = _csv(raw, "periods", where)
    result: list[Period] = []
    for base in bases:
        if base not in ("h", "d", "w", "m", "q", "y"):
            raise MetricsConfigError(f"{where}, field 'periods': {base!r} is not one of h, d, w, m, q, y")
        for aggregate in aggregates:
            if not aggregate.isdigit() or int(aggregate) < 1:
                raise MetricsConfigError(
                    f"{where}, field 'aggregate': {aggregate!r} is not a positive whole number"
                )
            period = parse_period(base + ("" if aggregate == "1" else aggregate))
            if period.label not in skip and period not in result:
                result.append(period)
    return tuple(result)


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
    unsupported = sorted(set(raw) & _UNSUPPORTED_FIELDS)
    if unsupported:
        raise MetricsConfigError(
            f"{where}: field(s) {', '.join(unsupported)} of DevStats are not supported by devstats-sync"
        )
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
        drop=tuple(_csv(raw, "drop", where)),
        allow_fail=_flag(raw, "allow_fail", where),
        add_period_to_name=_flag(raw, "add_period_to_name", where),
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
