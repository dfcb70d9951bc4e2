"""The project_cronjobs module run by Ansible: check mode, never changed, bad input fails with the reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.ansible_playbook import run_playbook

PLAYBOOK = Path(__file__).parent / "playbooks" / "module.yml"


def _run(tmp_path: Path, variables: dict[str, Any], *args: str) -> tuple[Any, dict[str, Any]]:
    extra = tmp_path / "vars.json"
    extra.write_text(json.dumps(variables))
    run = run_playbook(PLAYBOOK, "-i", "inventories/local", "-e", f"@{extra}", *args)
    (result,) = run.task_results("Render").values()
    return run, result


def test_check_mode_renders_the_model_and_reports_no_change(tmp_path: Path) -> None:
    run, result = _run(tmp_path, {}, "--check")
    assert run.returncode == 0, run.output
    assert result["changed"] is False
    names = [m["metadata"]["name"] for m in result["resources"]]
    # The foundation's objects first (its hour cache and ingest, affiliations when a source is set),
    # then each project's.
    assert names[:2] == ["gharchive-cache", "devstats-ingest"]
    first_project = names.index("kubernetes-git")
    assert set(names[2:first_project]) <= {"devstats-affiliations"}
    assert names[first_project : first_project + 3] == [
        "kubernetes-git",
        "kubernetes-provision",
        "kubernetes-sync",
    ]
    assert [row["project"] for row in result["schedules"]] == ["kubernetes", "prometheus", "calico"]
    assert run.changed() == 0


def test_input_other_than_the_model_fails_with_the_reason(tmp_path: Path) -> None:
    raw = {"name": "example", "projects": [{"name": "p", "orgs": ["p"], "start_date": "2020-01-01"}]}
    run, result = _run(tmp_path, {"module_foundation": raw})
    assert run.returncode != 0
    assert result["failed"] is True
    assert result["msg"].startswith("foundation: expected one foundation of preflight's model")
    assert "missing namespace, time_zone" in result["msg"]
    run, result = _run(tmp_path, {"module_run_as_user": 0})
    assert result["failed"] is True
    assert result["msg"].startswith("run_as_user: pods run as non-root")
