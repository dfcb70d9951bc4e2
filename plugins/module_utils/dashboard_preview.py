# -*- coding: utf-8 -*-
# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""An offline HTML preview of a project's dashboards, for the local run where no Grafana runs.

Each panel's SQL is expanded exactly as for Grafana (grafana_sql) under the dashboard's variables, with
the finest period it offers; the local run executes those queries on its embedded database; the page
draws each panel's answer with plotly (lines for time series, a number for a stat, a table), with
plotly.js inlined so the file opens without any network. The page records in ``data-drawn`` on its body
how many charts plotly drew, and in ``data-errors`` any script error, for tests and curious readers.
"""

from __future__ import annotations

import datetime
import html
import json
from collections.abc import Mapping, Sequence
from typing import Any

from .grafana_sql import Variable, panel_sql

try:
    import plotly.graph_objects as go
    from plotly.offline import get_plotlyjs

    HAS_PLOTLY = True
except ImportError:  # the preview is optional: only the local run draws it
    HAS_PLOTLY = False

# The fixed values of the preview for the variables whose options come from the database.
PREVIEW_VALUES = {"repogroup_name": "All", "repogroup": "all", "range": "y"}


def preview_variables(dashboard: Mapping[str, Any]) -> dict[str, Variable]:
    """The finest period the dashboard offers, and the defaults every project has for the others."""
    values: dict[str, Variable] = {}
    for variable in dashboard.get("templating", {}).get("list", []):
        name = variable["name"]
        if variable.get("type") == "custom" and variable.get("options"):
            values[name] = Variable(variable["options"][0]["value"])
        elif name in PREVIEW_VALUES:
            values[name] = Variable(PREVIEW_VALUES[name])
    return values


def _query_id(dashboard: Mapping[str, Any], panel: Mapping[str, Any], target: Mapping[str, Any]) -> str:
    return f"{dashboard['uid']}/{panel['id']}/{target['refId']}"


def preview_queries(
    dashboards: Sequence[Mapping[str, Any]], start: datetime.datetime, end: datetime.datetime
) -> list[dict[str, str]]:
    """{id, sql} of every panel target, ready for PostgreSQL."""
    queries = []
    for dashboard in dashboards:
        variables = preview_variables(dashboard)
        for panel in dashboard["panels"]:
            for target in panel.get("targets", []):
                sql = panel_sql(target["rawSql"], variables, start, end)
                queries.append({"id": _query_id(dashboard, panel, target), "sql": sql})
    return queries


def _time_series(figure: Any, answer: Mapping[str, Any]) -> None:
    columns, rows = answer["columns"], answer["rows"]
    if columns[:3] == ["time", "metric", "value"]:
        series: dict[str, tuple[list, list]] = {}
        for time, metric, value in (row[:3] for row in rows):
            xs, ys = series.setdefault(str(metric), ([], []))
            xs.append(time)
            ys.append(value)
        for metric, (xs, ys) in sorted(series.items()):
            figure.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=metric))
        return
    for index, column in enumerate(columns[1:], start=1):
        figure.add_trace(
            go.Scatter(x=[r[0] for r in rows], y=[r[index] for r in rows], mode="lines+markers", name=column)
        )


def _figure(panel: Mapping[str, Any], answers: Sequence[Mapping[str, Any]]) -> Any:
    figure = go.Figure()
    usable = [a for a in answers if a.get("rows")]
    if panel["type"] == "stat" and usable:
        figure.add_trace(go.Indicator(mode="number", value=float(usable[0]["rows"][0][0] or 0)))
    elif panel["type"] == "table" and usable:
        columns, rows = usable[0]["columns"], usable[0]["rows"]
        figure.add_trace(
            go.Table(
                header={"values": columns},
                cells={"values": [[r[i] for r in rows] for i in range(len(columns))]},
            )
        )
    else:
        for answer in usable:
            _time_series(figure, answer)
    if not usable:
        problems = [a["error"] for a in answers if "error" in a]
        figure.add_annotation(text=problems[0][:120] if problems else "No data", showarrow=False)
    figure.update_layout(title=panel["title"], height=320, margin={"l": 40, "r": 20, "t": 50, "b": 40})
    return figure


_HEAD = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<script>
window.addEventListener("error", function (event) {{
  var body = document.body || document.documentElement;
  body.dataset.errors = (body.dataset.errors || "") + event.message + "\\n";
}});
</script>
<script>{plotly}</script>
<style>body{{font-family:sans-serif;margin:1em 2em}} h2{{margin-top:2em}} .panel{{margin:1em 0}}</style>
</head>
<body>
<h1>{title}</h1>
<p>{note}</p>
"""
_TAIL = """<script>
document.body.dataset.drawn = String(document.querySelectorAll(".js-plotly-plot").length);
document.body.dataset.panels = String(document.querySelectorAll(".panel").length);
</script>
</body>
</html>
"""


def preview_html(
    dashboards: Sequence[Mapping[str, Any]], answers: Mapping[str, Mapping[str, Any]], title: str, note: str
) -> str:
    """The whole page: every dashboard, every panel drawn from its query's answer."""
    if not HAS_PLOTLY:
        raise RuntimeError("the dashboard preview needs the plotly Python package (requirements/dev.txt)")
    parts = [_HEAD.format(title=html.escape(title), note=html.escape(note), plotly=get_plotlyjs())]
    for dashboard in dashboards:
        variables = preview_variables(dashboard)
        chosen = ", ".join(
            f"{name} = {v.value}" for name, v in sorted(variables.items()) if name != "repogroup"
        )
        parts.append(f"<h2>{html.escape(dashboard['title'])}</h2>\n<p>{html.escape(chosen)}</p>\n")
        for panel in dashboard["panels"]:
            panel_answers = [
                answers.get(_query_id(dashboard, panel, t), {}) for t in panel.get("targets", [])
            ]
            div = f"{dashboard['uid']}-{panel['id']}"
            chart = _figure(panel, panel_answers).to_html(
                full_html=False, include_plotlyjs=False, div_id=div, config={"displaylogo": False}
            )
            parts.append(f'<div class="panel">{chart}</div>\n')
    parts.append(_TAIL)
    return "".join(parts)


def dashboards_from_files(files: Sequence[Sequence[str]]) -> list[dict[str, Any]]:
    """The dashboards of [file name, JSON] pairs."""
    return [json.loads(pair[1]) for pair in files]
