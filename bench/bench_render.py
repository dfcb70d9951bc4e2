"""Render scale: the project_cronjobs logic for 300 projects in 3 foundations, and the render playbook
for inventories/multi_foundation_example. Prints seconds against the targets (module < 2 s, render < 60 s).

Usage: python bench/bench_render.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from plugins.module_utils.project_manifests import render_workloads  # noqa: E402 - needs the path above
from tests.support.inventory_models import WORKLOAD_OPTIONS, foundation_model  # noqa: E402 - as above

MODULE_TARGET_S = 2.0
RENDER_TARGET_S = 60.0
FOUNDATIONS = ("cncf", "graphql", "cdf")
PROJECTS_PER_FOUNDATION = 100


def bench_module() -> tuple[float, int]:
    models = [_model(foundation) for foundation in FOUNDATIONS]
    started = time.perf_counter()
    objects = sum(len(render_workloads(model, WORKLOAD_OPTIONS)["resources"]) for model in models)
    return time.perf_counter() - started, objects


def _model(foundation: str) -> dict[str, object]:
    """Preflight's model of a foundation of PROJECTS_PER_FOUNDATION projects (the module's input)."""
    projects = [
        {"name": f"{foundation}-project-{index:03d}", "orgs": [f"org{index}"], "start_date": "2015-01-01"}
        for index in range(PROJECTS_PER_FOUNDATION)
    ]
    return foundation_model(projects, name=foundation)


def _ansible_env() -> dict[str, str]:
    return {**os.environ, "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg")}


def bench_module_task() -> float:
    """The module as Ansible runs it: one task per foundation in one playbook, Ansible's start-up included."""
    tasks = "".join(
        f"""
    - name: Render {foundation}
      devstats.platform.project_cronjobs: {json.dumps({"foundation": _model(foundation), **WORKLOAD_OPTIONS})}
"""
        for foundation in FOUNDATIONS
    )
    playbook = f"""---
- name: Bench
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:{tasks}"""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "bench.yml"
        path.write_text(playbook)
        command = [str(Path(sys.executable).parent / "ansible-playbook"), str(path)]
        started = time.perf_counter()
        subprocess.run(command, cwd=REPO_ROOT, env=_ansible_env(), check=True, capture_output=True)
        return time.perf_counter() - started


def bench_render() -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as directory:
        command = [
            str(Path(sys.executable).parent / "ansible-playbook"),
            "playbooks/render.yml",
            "-i",
            "inventories/multi_foundation_example",
            "-e",
            f"platform_render_dir={directory}",
        ]
        started = time.perf_counter()
        subprocess.run(command, cwd=REPO_ROOT, env=_ansible_env(), check=True, capture_output=True)
        elapsed = time.perf_counter() - started
        files = sum(1 for _ in Path(directory).glob("*/*.yaml"))
    return elapsed, files


def main() -> None:
    projects = len(FOUNDATIONS) * PROJECTS_PER_FOUNDATION
    module_s, objects = bench_module()
    print(
        f"module logic: {projects} projects, {objects} objects in {module_s:.3f} s "
        f"(target < {MODULE_TARGET_S:.0f} s, {module_s / MODULE_TARGET_S:.1%} of it)"
    )
    task_s = bench_module_task()
    print(
        f"module as 3 Ansible tasks (ansible-playbook start-up included): {task_s:.1f} s "
        f"({task_s / MODULE_TARGET_S:.1f}x the module target)"
    )
    render_s, files = bench_render()
    print(
        f"render: multi_foundation_example, {files} files in {render_s:.1f} s "
        f"(target < {RENDER_TARGET_S:.0f} s, {render_s / RENDER_TARGET_S:.1%} of it)"
    )


if __name__ == "__main__":
    main()
