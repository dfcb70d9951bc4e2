"""Running the collection's playbooks from the manifests tier, and what the tier reads from the repository."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
INVENTORIES = sorted(p.name for p in (REPO_ROOT / "inventories").iterdir() if (p / "hosts.yml").is_file())
VERSIONS = yaml.safe_load((REPO_ROOT / "roles" / "versions" / "defaults" / "main.yml").read_text())


@dataclass
class PlaybookRun:
    returncode: int
    stats: dict[str, dict[str, int]]
    output: str
    plays: list[dict[str, Any]]

    def changed(self) -> int:
        return sum(host["changed"] for host in self.stats.values())

    def failed(self) -> int:
        return sum(host["failures"] + host["unreachable"] for host in self.stats.values())

    def changed_items(self) -> list[str]:
        """The loop items (labels) or tasks that reported a change, to say what did in a failure."""
        out = []
        for play in self.plays:
            for task in play["tasks"]:
                for result in task["hosts"].values():
                    items = result.get("results") or [result]
                    out += [
                        f"{task['task']['name']}: {item.get('_ansible_item_label', item.get('item', ''))}"
                        for item in items
                        if item.get("changed")
                    ]
        return out

    def task_results(self, task_name: str) -> list[dict[str, Any]]:
        return [
            result
            for play in self.plays
            for task in play["tasks"]
            if task["task"]["name"] == task_name
            for result in task["hosts"].values()
        ]


def run_playbook(playbook: Path | str, *args: str, env: dict[str, str] | None = None) -> PlaybookRun:
    """ansible-playbook with the JSON callback, so tests read counts and results instead of parsing text."""
    environment = {
        **os.environ,
        "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg"),
        "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
        "ANSIBLE_NOCOLOR": "1",
        **(env or {}),
    }
    command = [str(Path(sys.executable).parent / "ansible-playbook"), str(playbook), *args]
    done = subprocess.run(
        command, cwd=REPO_ROOT, env=environment, capture_output=True, text=True, check=False
    )
    try:
        report = json.loads(done.stdout[done.stdout.index("{") :])
    except ValueError:
        pytest.fail(
            f"ansible-playbook printed no JSON report (rc {done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    return PlaybookRun(done.returncode, report["stats"], done.stdout + done.stderr, report["plays"])


def render(inventory: str, directory: Path, *args: str) -> PlaybookRun:
    run = run_playbook(
        "playbooks/render.yml",
        "-i",
        f"inventories/{inventory}",
        "-e",
        f"platform_render_dir={directory}",
        *args,
    )
    assert run.returncode == 0, run.output[-6000:]
    return run
