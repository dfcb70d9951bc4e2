"""The default dashboards: built from their descriptions, valid for Grafana's dashboard model, and the
errors a bad description or a foundation's bad dashboard file gives."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from grafana_foundation_sdk.cog import encoder
from grafana_foundation_sdk.cog.plugins import register_default_plugins
from grafana_foundation_sdk.models.dashboard import Dashboard

from plugins.module_utils.grafana_dashboards import (
    DATASOURCE,
    DashboardError,
    build_dashboard,
    dashboard_json,
    load_dashboard,
)
from plugins.module_utils.grafana_manifests import own_dashboards

ROOT = Path(__file__).resolve().parents[2]
DESCRIPTIONS = sorted((ROOT / "roles" / "grafana" / "files" / "dashboards").glob("*.yml"))


def built(path: Path) -> dict[str, Any]:
    return build_dashboard(yaml.safe_load(path.read_text()))


# The model types an annotation's target as the built-in annotation's query (limit, tags, type);
# Grafana keeps a data source's annotation query there, as it keeps a panel's in its targets.
MODEL_GAPS = re.compile(r"^\.annotations\.list\[[1-9]\]\.target\.")


def _missing(ours: Any, model: Any, where: str = "") -> list[str]:
    """Paths of `ours` that the model dropped or changed on its round trip."""
    if MODEL_GAPS.match(where):
        return []
    if isinstance(ours, dict):
        if not isinstance(model, dict):
            return [f"{where}: {model!r}"]
        return [
            p
            for key, value in ours.items()
            for p in _missing(value, model.get(key, "<dropped>"), f"{where}.{key}")
        ]
    if isinstance(ours, list):
        if not isinstance(model, list) or len(model) != len(ours):
            return [f"{where}: {model!r}"]
        return [
            p
            for i, (a, b) in enumerate(zip(ours, model, strict=True))
            for p in _missing(a, b, f"{where}[{i}]")
        ]
    return [] if ours == model else [f"{where}: {ours!r} became {model!r}"]


@pytest.mark.parametrize("path", DESCRIPTIONS, ids=lambda p: p.stem)
def test_every_default_dashboard_survives_grafanas_dashboard_model(path: Path) -> None:
    register_default_plugins()
    dashboard = built(path)
    model = json.loads(encoder.JSONEncoder(sort_keys=True).encode(Dashboard.from_json(dashboard)))
    assert _missing(dashboard, model) == []


def test_the_round_trip_catches_what_the_model_does_not_know() -> None:
    register_default_plugins()
    dashboard = built(DESCRIPTIONS[0])
    dashboard["panels"][0]["gridPosition"] = {"h": 1}
    dashboard["panels"][1]["options"]["legend"]["shown"] = True
    model = json.loads(encoder.JSONEncoder().encode(Dashboard.from_json(dashboard)))
    assert len(_missing(dashboard, model)) == 2


def test_default_set_covers_the_issue_and_names_the_devstats_datasource() -> None:
    dashboards = [built(path) for path in DESCRIPTIONS]
    assert len({d["uid"] for d in dashboards}) == len(dashboards) >= 9
    for dashboard in dashboards:
        for panel in dashboard["panels"]:
            assert (
                panel["datasource"] == DATASOURCE == {"type": "grafana-postgresql-datasource", "uid": "psql"}
            )
            for target in panel["targets"]:
                assert target["rawQuery"] is True and target["format"] in ("time_series", "table")
        assert dashboard_json(dashboard) == dashboard_json(json.loads(dashboard_json(dashboard)))
    names = {v["name"] for d in dashboards for v in d["templating"]["list"]}
    assert {"period", "repogroup_name", "repogroup", "range"} <= names


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(uid="Bad UID"), "uid 'Bad UID'"),
        (lambda d: d["panels"][0].update(draw="pie"), "draw 'pie' is not one of"),
        (
            lambda d: d["panels"][1]["lines"][0].update(table="sevents; drop table x"),
            "is not a table or column",
        ),
        (lambda d: d.update(periods=["d", "fortnight"]), "period 'fortnight'"),
        (lambda d: d.update(variables=[]), "do(es)? not declare|not one of the dashboard's periods"),
        (lambda d: d["panels"][1]["lines"][0].update(label='say "hi"'), "is empty or quoted"),
    ],
)
def test_bad_descriptions_are_refused_naming_the_dashboard(change: Any, message: str) -> None:
    description = yaml.safe_load(DESCRIPTIONS[0].read_text())
    change(description)
    with pytest.raises(DashboardError, match=message):
        build_dashboard(description)


def test_a_foundations_own_dashboards_are_kept_unchanged_and_bad_files_named(tmp_path: Path) -> None:
    project = tmp_path / "kubernetes"
    project.mkdir()
    own = '{"title": "PR velocity", "panels": [], "uid": "12"}'
    (project / "pr-velocity.json").write_text(own)
    (project / "notes.txt").write_text("not a dashboard, not JSON either: ignored, not *.json")
    assert own_dashboards(str(tmp_path), "kubernetes") == [("pr-velocity.json", own)]
    assert own_dashboards(str(tmp_path), "prometheus") is None
    (project / "broken.json").write_text('{"title": "x"}')
    with pytest.raises(DashboardError, match=r"broken\.json: not a Grafana dashboard: no panels \(or rows\)"):
        own_dashboards(str(tmp_path), "kubernetes")


@pytest.mark.parametrize(
    ("text", "message"),
    [("[1, 2]", "a JSON list, not an object"), ("{", "not JSON"), ('{"panels": []}', "no title")],
)
def test_load_dashboard_says_why_a_file_is_not_a_dashboard(text: str, message: str) -> None:
    with pytest.raises(DashboardError, match=message):
        load_dashboard(text, "x.json")
