# -*- coding: utf-8 -*-
# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Grafana dashboards built from one short description each, over the series the sync tool computes.

A description names the dashboard, its periods and its panels; each panel names the series tables it
draws (the ``s<series>``/``t<tag>`` tables of DevStats, see sync_tool/README.md) and the builder writes
the SQL, the template variables DevStats dashboards use (``period``, ``repogroup_name``/``repogroup``,
``range``), the release annotations and the panel layout. Nobody edits dashboard JSON by hand.

Panel kinds (``draw``):
- ``lines``: one line per listed series: ``{table, series?, label}`` (``series`` selects a row of a merged
  table, and may use ``[[repogroup]]``).
- ``split``: every series of a merged table whose name starts with ``prefix``, one line each, optionally
  only those named by the first ``top`` rows of a tag table.
- ``columns``: every value column of a multi-value table, one line each (countries).
- ``total``: a stat of the sum of a series over the time range.
- ``ranking``: a table of a histogram table's rows for the chosen range or period.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

DATASOURCE = {"type": "grafana-postgresql-datasource", "uid": "psql"}
# What Grafana 12 writes; older provisioned dashboards are migrated on load, this one needs none.
SCHEMA_VERSION = 41
PERIOD_NAMES = {
    "h": "Hour",
    "d": "Day",
    "d7": "7 Days MA",
    "w": "Week",
    "m": "Month",
    "q": "Quarter",
    "y": "Year",
}
PANEL_KINDS = ("lines", "split", "columns", "total", "ranking")
VARIABLES = ("period", "repogroup", "range")
_WIDTH = 24
_HEIGHT = {"total": 4, "ranking": 12}
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_SERIES_TEXT = re.compile(r"^[a-z0-9_]*(\[\[repogroup\]\][a-z0-9_]*)?$")
_UID = re.compile(r"^[a-z0-9-]{1,40}$")


class DashboardError(ValueError):
    """A description that cannot become a dashboard; the message names the dashboard and panel."""


def _require(condition: bool, where: str, message: str) -> None:
    if not condition:
        raise DashboardError(f"{where}: {message}")


def _identifier(value: Any, where: str, what: str) -> str:
    _require(
        isinstance(value, str) and bool(_IDENTIFIER.match(value)),
        where,
        f"{what} {value!r} is not a table or column name (lowercase letters, digits, '_')",
    )
    return value


def _label(text: Any, where: str) -> str:
    _require(
        isinstance(text, str) and text != "" and '"' not in text, where, f"label {text!r} is empty or quoted"
    )
    return text


def _period_filter(column: str = "period") -> str:
    return f"{column} = '[[period]]'"


def _lines_targets(panel: Mapping[str, Any], where: str) -> list[str]:
    queries = []
    for line in panel.get("lines") or []:
        table = _identifier(line.get("table"), where, "table")
        label = _label(line.get("label"), where)
        conditions = ["$__timeFilter(time)", _period_filter()]
        series = line.get("series")
        if series is not None:
            _require(
                isinstance(series, str) and bool(_SERIES_TEXT.match(series)),
                where,
                f"series {series!r} is not valid",
            )
            conditions.append(f"series = '{series}'")
        queries.append(
            f'select\n  time,\n  value as "{label}"\nfrom\n  {table}\nwhere\n  '
            + "\n  and ".join(conditions)
            + "\norder by\n  time"
        )
    _require(bool(queries), where, "draw 'lines' needs at least one line")
    return queries


def _split_target(panel: Mapping[str, Any], where: str) -> str:
    table = _identifier(panel.get("table"), where, "table")
    prefix = _identifier(panel.get("prefix"), where, "series prefix")
    conditions = ["$__timeFilter(time)", _period_filter(), f"series like '{prefix}%'"]
    top = panel.get("top")
    if top is not None:
        tag = _identifier(top.get("tag"), where, "tag table")
        column = _identifier(top.get("column"), where, "tag column")
        limit = top.get("limit")
        _require(
            isinstance(limit, int) and limit > 0, where, f"top limit {limit!r} is not a positive integer"
        )
        conditions.append(f"series in (select '{prefix}' || {column} from {tag} order by time limit {limit})")
    return (
        f"select\n  time,\n  substr(series, {len(prefix) + 1}) as metric,\n  value\n"
        f"from\n  {table}\nwhere\n  " + "\n  and ".join(conditions) + "\norder by\n  time"
    )


def _columns_target(panel: Mapping[str, Any], where: str) -> str:
    table = _identifier(panel.get("table"), where, "table")
    # A multi-value table has a column per value name (a country); each row is unpivoted, so the panel
    # draws whichever columns exist without naming them.
    return (
        "select\n  s.time,\n  c.key as metric,\n  c.value::double precision as value\nfrom\n"
        f"  {table} s,\n  jsonb_each_text(to_jsonb(s) - 'time' - 'period') c\nwhere\n"
        f"  $__timeFilter(s.time)\n  and {_period_filter('s.period')}\norder by\n  s.time"
    )


def _total_target(panel: Mapping[str, Any], where: str) -> str:
    table = _identifier(panel.get("table"), where, "table")
    period = panel.get("period", "d")
    _require(
        period in PERIOD_NAMES, where, f"total period {period!r} is not one of {', '.join(PERIOD_NAMES)}"
    )
    label = _label(panel.get("label", panel.get("title")), where)
    return (
        f'select\n  coalesce(sum(value), 0) as "{label}"\nfrom\n  {table}\nwhere\n'
        f"  $__timeFilter(time)\n  and period = '{period}'"
    )


def _ranking_target(panel: Mapping[str, Any], where: str) -> str:
    table = _identifier(panel.get("table"), where, "table")
    variable = panel.get("by", "range")
    _require(variable in ("range", "period"), where, f"ranking by {variable!r}: expected range or period")
    name = _label(panel.get("name_label", "Name"), where)
    value = _label(panel.get("value_label", "Value"), where)
    limit = panel.get("limit", 25)
    _require(isinstance(limit, int) and limit > 0, where, f"limit {limit!r} is not a positive integer")
    return (
        f'select\n  name as "{name}",\n  value as "{value}"\nfrom\n  {table}\n'
        f"where\n  period = '[[{variable}]]'\norder by\n  value desc,\n  name\nlimit {limit}"
    )


_TARGETS = {
    "split": lambda panel, where: [_split_target(panel, where)],
    "columns": lambda panel, where: [_columns_target(panel, where)],
    "total": lambda panel, where: [_total_target(panel, where)],
    "ranking": lambda panel, where: [_ranking_target(panel, where)],
    "lines": _lines_targets,
}


def _panel_json(panel: Mapping[str, Any], index: int, y: int, where: str) -> dict[str, Any]:
    draw = panel.get("draw")
    _require(draw in PANEL_KINDS, where, f"draw {draw!r} is not one of {', '.join(PANEL_KINDS)}")
    title = panel.get("title")
    _require(isinstance(title, str) and title != "", where, "every panel needs a title")
    queries = _TARGETS[draw](panel, where)
    tabular = draw in ("total", "ranking")
    targets = [
        {
            "refId": chr(ord("A") + number),
            "datasource": dict(DATASOURCE),
            "editorMode": "code",
            "format": "table" if tabular else "time_series",
            "rawQuery": True,
            "rawSql": sql,
        }
        for number, sql in enumerate(queries)
    ]
    kind = {"total": "stat", "ranking": "table"}.get(draw, "timeseries")
    defaults: dict[str, Any] = {"unit": panel.get("unit", "short")}
    if kind == "timeseries":
        defaults["custom"] = {"drawStyle": "line", "lineWidth": 2, "fillOpacity": 10, "spanNulls": True}
    options = {
        "timeseries": {
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
            "tooltip": {"mode": "multi", "sort": "desc"},
        },
        "stat": {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "colorMode": "value",
            "graphMode": "none",
            "justifyMode": "auto",
            "textMode": "auto",
            "orientation": "auto",
        },
        "table": {"showHeader": True, "cellHeight": "sm"},
    }[kind]
    height = _HEIGHT.get(draw, 9)
    return {
        "id": index,
        "type": kind,
        "title": title,
        "description": panel.get("description", ""),
        "datasource": dict(DATASOURCE),
        "gridPos": {"h": height, "w": _WIDTH, "x": 0, "y": y},
        "targets": targets,
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": options,
    }


def _custom_variable(
    name: str, choices: Sequence[tuple[str, str]], default: str, label: str
) -> dict[str, Any]:
    options = [{"selected": value == default, "text": text, "value": value} for text, value in choices]
    current = next(option for option in options if option["selected"])
    return {
        "name": name,
        "label": label,
        "type": "custom",
        "query": ",".join(f"{text} : {value}" for text, value in choices),
        "current": {"text": current["text"], "value": current["value"]},
        "options": options,
        "hide": 0,
        "multi": False,
        "includeAll": False,
        "skipUrlSync": False,
    }


def _query_variable(name: str, query: str, default: str, label: str, hide: int = 0) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": dict(DATASOURCE),
        "query": query,
        "current": {"text": default, "value": default},
        "options": [],
        "refresh": 1,
        "sort": 0,
        "hide": hide,
        "multi": False,
        "includeAll": False,
        "skipUrlSync": False,
    }


# The repository group variables as DevStats dashboards have them: a visible name and a hidden value
# (the normalized name, as series names carry it); 'All' is the series computed over every group.
REPOGROUP_NAMES_SQL = (
    "select 'All' as repo_group_name union all (select repo_group_name from trepo_groups order by time)"
)
REPOGROUP_VALUE_SQL = (
    "select 'all' as repo_group_value where '[[repogroup_name]]' = 'All' union all "
    "select repo_group_value from trepo_groups where repo_group_name = '[[repogroup_name]]'"
)
RANGES_SQL = (
    "select quick_ranges_name as __text, quick_ranges_suffix as __value from tquick_ranges order by time"
)
ANNOTATIONS_SQL = (
    "select\n  time,\n  title as text,\n  description as tags\nfrom\n  sannotations\n"
    "where\n  $__timeFilter(time)"
)


def _variables(description: Mapping[str, Any], where: str) -> list[dict[str, Any]]:
    wanted = description.get("variables") or []
    for name in wanted:
        _require(name in VARIABLES, where, f"variable {name!r} is not one of {', '.join(VARIABLES)}")
    out = []
    if "period" in wanted:
        periods = description.get("periods") or []
        for period in periods:
            _require(
                period in PERIOD_NAMES, where, f"period {period!r} is not one of {', '.join(PERIOD_NAMES)}"
            )
        default = description.get("period_default", periods[0] if periods else None)
        _require(
            default in periods, where, f"period_default {default!r} is not one of the dashboard's periods"
        )
        out.append(_custom_variable("period", [(PERIOD_NAMES[p], p) for p in periods], default, "Period"))
    if "repogroup" in wanted:
        out.append(_query_variable("repogroup_name", REPOGROUP_NAMES_SQL, "All", "Repository group"))
        out.append(_query_variable("repogroup", REPOGROUP_VALUE_SQL, "all", "", hide=2))
    if "range" in wanted:
        out.append(_query_variable("range", RANGES_SQL, "y", "Range"))
        # Every project has the quick range 'Last year' (suffix y) whatever its releases.
        out[-1]["current"] = {"text": "Last year", "value": "y"}
    return out


def build_dashboard(description: Mapping[str, Any], folder_tag: str = "devstats") -> dict[str, Any]:
    """The dashboard JSON of one description (see the module's docstring)."""
    uid = description.get("uid") if isinstance(description, Mapping) else None
    _require(
        isinstance(uid, str) and bool(_UID.match(uid)), "dashboard", f"uid {uid!r}: expected [a-z0-9-], 1-40"
    )
    where = f"dashboard {uid}"
    title = description.get("title")
    _require(isinstance(title, str) and title != "", where, "title is required")
    panels_in = description.get("panels")
    _require(isinstance(panels_in, list) and bool(panels_in), where, "panels: expected a non-empty list")
    panels, y = [], 0
    for index, panel in enumerate(panels_in, start=1):
        _require(isinstance(panel, Mapping), where, f"panel #{index} is not a mapping")
        built = _panel_json(panel, index, y, f"{where}, panel #{index} ({panel.get('title')})")
        y += built["gridPos"]["h"]
        panels.append(built)
    uses = {
        variable
        for panel in panels
        for target in panel["targets"]
        for variable in VARIABLES
        if f"[[{variable}]]" in target["rawSql"]
    }
    declared = set(description.get("variables") or [])
    _require(
        uses <= declared,
        where,
        f"panels use variables {sorted(uses - declared)} the dashboard does not declare",
    )
    return {
        "uid": uid,
        "title": title,
        "description": description.get("description", ""),
        "tags": [folder_tag, *description.get("tags", [])],
        "timezone": "utc",
        "editable": False,
        "graphTooltip": 1,
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "time": {"from": description.get("time_from", "now-1y"), "to": "now"},
        "timepicker": {},
        "refresh": "",
        "fiscalYearStartMonth": 0,
        "liveNow": False,
        "weekStart": "monday",
        "links": [
            {
                "asDropdown": True,
                "includeVars": True,
                "keepTime": True,
                "tags": [folder_tag],
                "title": "Dashboards",
                "type": "dashboards",
            }
        ],
        "annotations": {
            "list": [
                {
                    "builtIn": 1,
                    "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                    "enable": True,
                    "hide": True,
                    "iconColor": "rgba(0, 211, 255, 1)",
                    "name": "Annotations & Alerts",
                    "type": "dashboard",
                },
                {
                    "datasource": dict(DATASOURCE),
                    "enable": True,
                    "hide": False,
                    "iconColor": "rgba(255, 96, 96, 1)",
                    "name": "Releases",
                    "target": {
                        "refId": "Anno",
                        "datasource": dict(DATASOURCE),
                        "editorMode": "code",
                        "format": "table",
                        "rawQuery": True,
                        "rawSql": ANNOTATIONS_SQL,
                    },
                },
            ]
        },
        "templating": {"list": _variables(description, where)},
        "panels": panels,
    }


def dashboard_file_name(dashboard: Mapping[str, Any]) -> str:
    """The file (and ConfigMap key) of a dashboard: its uid, so it is unique within a project."""
    return f"{dashboard['uid']}.json"


def dashboard_json(dashboard: Mapping[str, Any]) -> str:
    """The file content: stable key order, so two builds give the same bytes."""
    return json.dumps(dashboard, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def load_dashboard(text: str, source: str) -> dict[str, Any]:
    """A dashboard file of a foundation's own (DevStats) dashboards, checked to be one; kept unchanged."""
    try:
        dashboard = json.loads(text)
    except ValueError as error:
        raise DashboardError(f"{source}: not a Grafana dashboard: not JSON ({error})") from error
    if not isinstance(dashboard, dict):
        raise DashboardError(
            f"{source}: not a Grafana dashboard: a JSON {type(dashboard).__name__}, not an object"
        )
    missing = [key for key in ("title",) if not isinstance(dashboard.get(key), str) or not dashboard[key]]
    if not isinstance(dashboard.get("panels", dashboard.get("rows")), list):
        missing.append("panels (or rows)")
    if missing:
        raise DashboardError(f"{source}: not a Grafana dashboard: no {' and no '.join(missing)}")
    return dashboard
