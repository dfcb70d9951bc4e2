"""The one way tests run the collection's playbooks: real ansible-playbook with the JSON callback.

Tests read counts and task results from the callback's report instead of parsing text. A run that
printed no report (ansible-playbook failed before its first play) keeps its raw output in `output`,
so a test's assertion message shows what happened.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
INVENTORIES = sorted(p.name for p in (REPO_ROOT / "inventories").iterdir() if (p / "hosts.yml").is_file())
VERSIONS = yaml.safe_load((REPO_ROOT / "roles" / "versions" / "defaults" / "main.yml").read_text())


@dataclass
class PlaybookRun:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def plays(self) -> list[dict[str, Any]]:
        return self.report.get("plays", [])

    @property
    def stats(self) -> dict[str, dict[str, int]]:
        return self.report.get("stats", {})

    @property
    def output(self) -> str:
        """Everything ansible-playbook printed, for assertion messages."""
        return self.stdout + self.stderr

    def changed(self) -> int:
        return sum(host["changed"] for host in self.stats.values())

    def failed(self) -> int:
        return sum(host["failures"] + host["unreachable"] for host in self.stats.values())

    def task_names(self) -> list[str]:
        return [task["task"]["name"] for play in self.plays for task in play["tasks"]]

    def task_results(self, task_name: str) -> dict[str, dict[str, Any]]:
        """The results by host of every task of that name, across all plays (a later one wins)."""
        results: dict[str, dict[str, Any]] = {}
        for play in self.plays:
            for task in play["tasks"]:
                if task["task"]["name"] == task_name:
                    results.update(task["hosts"])
        return results

    def failures(self) -> list[str]:
        """Each failed task (or loop item) with its message, to say what failed in an assertion."""
        out = []
        for play in self.plays:
            for task in play["tasks"]:
                for host, result in task["hosts"].items():
                    for item in result.get("results") or [result]:
                        if item.get("failed") or item.get("unreachable"):
                            out.append(f"{host}: {task['task']['name']}: {item.get('msg', '')}")
        return out

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


def run_playbook(
    *args: str | Path,
    cwd: Path = REPO_ROOT,
    env: Mapping[str, str | None] | None = None,
    timeout: float = 900,
) -> PlaybookRun:
    """`ansible-playbook *args` from `cwd`, with the checkout's ansible.cfg and this virtualenv on PATH.

    `env` adds to the environment; a variable set to None there is removed from it."""
    bin_dir = Path(sys.executable).parent
    merged = {
        **os.environ,
        "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg"),
        "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
        "ANSIBLE_NOCOLOR": "1",
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        **(env or {}),
    }
    environment = {name: value for name, value in merged.items() if value is not None}
    started = time.monotonic()
    done = subprocess.run(
        [str(bin_dir / "ansible-playbook"), *map(str, args)],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    seconds = time.monotonic() - started
    try:
        report = json.loads(done.stdout[done.stdout.index("{") :])
    except ValueError:
        report = {}
    return PlaybookRun(done.returncode, done.stdout, done.stderr, seconds, report)


def render(inventory: str, directory: Path, *args: str) -> PlaybookRun:
    """The render playbook on an example inventory into `directory`; it must succeed."""
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
