"""`make site` on the local inventory, as a new user runs it: preflight, render, the local pipeline.

The site playbook runs twice against a private render directory: the first run renders and loads
hours, the second must report changed=0 everywhere and still print the summary.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def site(render_dir: Path) -> dict[str, Any]:
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ANSIBLE_NOCOLOR="1",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-playbook"),
            "-i",
            "inventories/local",
            "playbooks/site.yml",
            "-e",
            f"platform_render_dir={render_dir}",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return json.loads(done.stdout)


def summary_lines(run: dict[str, Any]) -> list[str]:
    for play in run["plays"]:
        for task in play["tasks"]:
            if task["task"]["name"] == "Summary of the local run":
                return task["hosts"]["example"]["msg"]
    raise AssertionError("the local run printed no summary")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], dict[str, Any]]:
    render_dir = tmp_path_factory.mktemp("site") / "manifests"
    return render_dir, site(render_dir), site(render_dir)


def test_first_run_renders_and_loads(runs: tuple[Path, dict[str, Any], dict[str, Any]]) -> None:
    render_dir, first, _ = runs
    assert first["stats"]["example"]["changed"] > 0
    files = sorted(path.name for path in (render_dir / "example").iterdir())
    kustomization = yaml.safe_load((render_dir / "example" / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == [name for name in files if name != "kustomization.yaml"]
    # Every project of the local inventory gets its sync CronJob; Patroni renders beside them.
    for project in ("kubernetes", "prometheus", "calico"):
        assert f"devstats.cronjob.devstats-example.{project}-sync.yaml" in files
    assert any(name.startswith("patroni.statefulset.") for name in files)
    first_summary = summary_lines(first)[0]
    assert first_summary.startswith("Project kubernetes: ")
    assert "hours loaded now" in first_summary


def test_second_run_changes_nothing(runs: tuple[Path, dict[str, Any], dict[str, Any]]) -> None:
    _, _, second = runs
    changed = {host: stats["changed"] for host, stats in second["stats"].items()}
    assert changed == dict.fromkeys(changed, 0)
    assert "already up to date" in summary_lines(second)[0]
