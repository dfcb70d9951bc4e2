"""The project_cronjobs module run by Ansible: check mode, never changed, bad input fails with the reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.manifests.playbook_runs import run_playbook

PLAYBOOK = Path(__file__).parent / "playbooks" / "module.yml"


def _run(tmp_path: Path, variables: dict[str, Any], *args: str) -> tuple[Any, dict[str, Any]]:
    extra = tmp_path / "vars.json"
    extra.write_text(json.dumps(variables))
    run = run_playbook(PLAYBOOK, "-e", f"@{extra}", *args)
    (result,) = run.task_results("Render")
    return run, result


def test_check_mode_renders_and_reports_no_change(tmp_path: Path) -> None:
    projects = [{"name": "kubernetes", "orgs": ["kubernetes"]}, {"name": "old", "archived": True}]
    run, result = _run(tmp_path, {"module_projects": projects}, "--check")
    assert run.returncode == 0, run.output
    assert result["changed"] is False
    assert [m["metadata"]["name"] for m in result["resources"]] == [
        "kubernetes-git",
        "kubernetes-provision",
        "kubernetes-sync",
        "kubernetes-affiliations",
        "old-git",
        "old-provision",
        "old-affiliations",
    ]
    assert [row["project"] for row in result["schedules"]] == ["kubernetes", "old"]
    assert run.changed() == 0


def test_bad_input_fails_with_the_reason(tmp_path: Path) -> None:
    run, result = _run(tmp_path, {"module_projects": [{"name": "ok"}, {"name": "ok", "schedule": "1 2 3"}]})
    assert run.returncode != 0
    assert result["failed"] is True
    assert result["msg"] == "foundation 'cncf', project 'ok' (#2), field 'name': 'ok' is already project #1"
    run, result = _run(tmp_path, {"module_projects": [{"name": "p"}], "module_sync_interval": "45m"})
    assert result["failed"] is True
    assert "sync_interval: '45m' is not an interval a cron schedule repeats evenly" in result["msg"]
