"""Every panel query of every default dashboard, with Grafana's macros and template variables expanded
as Grafana does, on a database the real pipeline filled: the columns its panel type needs, and rows."""

from __future__ import annotations

import datetime
import itertools
from pathlib import Path
from typing import Any

import psycopg2
import pytest
import yaml

from plugins.module_utils.grafana_dashboards import build_dashboard
from plugins.module_utils.grafana_sql import Variable, panel_sql

ROOT = Path(__file__).resolve().parents[2]
DESCRIPTIONS = sorted((ROOT / "roles" / "grafana" / "files" / "dashboards").glob("*.yml"))
NUMERIC = {20, 21, 23, 700, 701, 1700}
TIMESTAMP = {1114, 1184}
TEXT = {25, 1043, 19}


def run(conn: Any, sql: str) -> tuple[list[tuple[str, int]], list[tuple[Any, ...]]]:
    with conn.cursor() as cur:
        cur.execute(sql)
        return [(c.name, c.type_code) for c in cur.description], cur.fetchall()


def _utc(moment: datetime.datetime) -> datetime.datetime:
    return moment.replace(tzinfo=datetime.UTC)


def variable_choices(conn: Any, dashboard: dict[str, Any], start, end) -> list[dict[str, Variable]]:
    """Every period option, each with the dashboard's query variables evaluated as Grafana does (in
    order, each seeing the ones before it): the default and one other value of each."""
    choices: list[list[tuple[str, str]]] = []
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "custom":
            choices.append([(variable["name"], option["value"]) for option in variable["options"]])
    combos = [dict(c) for c in itertools.product(*choices)] or [{}]
    out = []
    for combo in combos:
        values = {name: Variable(value) for name, value in combo.items()}
        for variable in dashboard["templating"]["list"]:
            if variable["type"] != "query":
                continue
            sql = panel_sql(variable["query"], values, _utc(start), _utc(end))
            columns, rows = run(conn, sql)
            assert rows, f"{dashboard['uid']}: variable {variable['name']} has no values: {sql}"
            index = [name for name, _ in columns].index("__value") if "__value" in dict(columns) else 0
            found = [str(row[index]) for row in rows]
            default = variable["current"]["value"]
            assert default in found, (
                f"{dashboard['uid']}: default {default!r} of {variable['name']} not in {found}"
            )
            values[variable["name"]] = Variable(default)
        out.append(values)
    return out


def check_panel(
    conn: Any, dashboard: dict, panel: dict, variables: dict[str, Variable], *, start: Any, end: Any
) -> str | None:
    """None when every target of the panel answers with the columns its type draws and with rows."""
    where = f"{dashboard['uid']} / {panel['title']} / { ({k: v.value for k, v in variables.items()}) }"
    for target in panel["targets"]:
        sql = panel_sql(target["rawSql"], variables, _utc(start), _utc(end))
        try:
            columns, rows = run(conn, sql)
        except psycopg2.Error as error:
            return f"{where}: {str(error).strip()}\n{sql}"
        names, types = [c[0] for c in columns], [c[1] for c in columns]
        if panel["type"] == "timeseries":
            wide = names[0] == "time" and types[0] in TIMESTAMP and any(t in NUMERIC for t in types[1:])
            long = names[:3] == ["time", "metric", "value"] and types[1] in TEXT and types[2] in NUMERIC
            if target["format"] != "time_series" or not (wide or long):
                return f"{where}: a time series needs time + numbers (or time, metric, value); got {columns}"
        elif panel["type"] == "stat" and not any(t in NUMERIC for t in types):
            return f"{where}: a stat needs a number; got {columns}"
        elif panel["type"] == "table" and len(names) < 2:
            return f"{where}: a table of names and values needs two columns; got {columns}"
        if not rows:
            return f"{where}: no rows\n{sql}"
    return None


def dashboards() -> list[dict[str, Any]]:
    return [build_dashboard(yaml.safe_load(path.read_text())) for path in DESCRIPTIONS]


@pytest.mark.parametrize("dashboard", dashboards(), ids=lambda d: d["uid"])
def test_every_panel_answers_with_the_columns_its_type_needs(dashboard: dict, project_db: dict) -> None:
    conn, start, end = project_db["conn"], project_db["start"], project_db["end"]
    problems = [
        problem
        for variables in variable_choices(conn, dashboard, start, end)
        for panel in dashboard["panels"]
        if (problem := check_panel(conn, dashboard, panel, variables, start=start, end=end))
    ]
    assert problems == []


def test_release_annotations_answer_with_time_and_text(project_db: dict) -> None:
    (annotation,) = [a for a in dashboards()[0]["annotations"]["list"] if "target" in a]
    sql = panel_sql(annotation["target"]["rawSql"], {}, _utc(project_db["start"]), _utc(project_db["end"]))
    columns, rows = run(project_db["conn"], sql)
    assert [name for name, _ in columns] == ["time", "text", "tags"]
    assert rows, "the project's start date is an annotation at least"


def test_the_countries_dashboard_has_rows(project_db: dict) -> None:
    (dashboard,) = [d for d in dashboards() if d["uid"] == "devstats-countries"]
    sql = panel_sql(
        dashboard["panels"][0]["targets"][0]["rawSql"],
        {"period": Variable("q")},
        _utc(project_db["start"]),
        _utc(project_db["end"]),
    )
    assert run(project_db["conn"], sql)[1]


def test_a_dashboard_over_a_series_no_metric_produces_fails(project_db: dict) -> None:
    description = {
        "uid": "made-up",
        "title": "Made up",
        "variables": ["period"],
        "periods": ["w"],
        "panels": [{"title": "Stars", "draw": "lines", "lines": [{"table": "sstars", "label": "Stars"}]}],
    }
    dashboard = build_dashboard(description)
    conn, start, end = project_db["conn"], project_db["start"], project_db["end"]
    (variables,) = variable_choices(conn, dashboard, start, end)
    problem = check_panel(conn, dashboard, dashboard["panels"][0], variables, start=start, end=end)
    assert problem and 'relation "sstars" does not exist' in problem
    # A series of an existing table that no metric writes fails as well: no rows.
    description["panels"][0]["lines"] = [
        {"table": "sissues", "series": "issues_reopened", "label": "Reopened"}
    ]
    dashboard = build_dashboard(description)
    problem = check_panel(conn, dashboard, dashboard["panels"][0], variables, start=start, end=end)
    assert problem and "no rows" in problem
