"""The local run's state: its summary is replaced whole, and one that cannot be read means run again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from devstats_sync import cli

from tests.support.sync_inputs import write_projects_file


def test_a_truncated_summary_runs_the_demo_again_and_is_replaced_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    projects = write_projects_file(
        tmp_path / "projects.yaml", [{"name": "acme", "orgs": ["acme"], "start_date": "2020-01-01"}]
    )
    state = tmp_path / "state"
    state.mkdir()
    # What a run killed while writing the old way left behind.
    (state / "summary.json").write_text('{"project": "acme", "fingerprint": "0f3a')
    args = [
        "demo",
        "--projects-file",
        str(projects),
        "--state-dir",
        str(state),
        "--hours",
        "2",
        "--events",
        "40",
    ]
    assert cli.main([*args, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["hours_loaded"] == 2 and not summary["up_to_date"]
    assert json.loads((state / "summary.json").read_text())["fingerprint"] == summary["fingerprint"]
    assert sorted(path.name for path in state.iterdir()) == ["archive", "summary.json"]
    assert cli.main([*args, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["up_to_date"]
