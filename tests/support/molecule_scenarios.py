"""Molecule scenarios of the host-level roles, run on podman nodes as this machine allows.

The scenarios live in molecule/<name>/ and share .config/molecule/config.yml, which reads three
things from the environment set here: the node image (Debian with systemd as PID 1, built offline
and cached by scripts/build-base-image), a run id that makes container and network names unique on
this machine, and CONTAINERS_CONF (podman's defaults do not work here). Each run gets its own
ephemeral directory, so two checkouts or two runs never share molecule's state, and whatever a
scenario created is removed afterwards, also when it failed.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.node_containers import (
    REPO_ROOT,
    build_node_image,
    podman,
    podman_env,
    write_containers_conf,
)

MOLECULE_DIR = REPO_ROOT / "molecule"
# What `molecule test` must have run, in order, for a scenario to count as passed.
STEPS = ("create", "prepare", "converge", "idempotence", "verify", "destroy")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def scenarios() -> list[str]:
    return sorted(p.parent.name for p in MOLECULE_DIR.glob("*/molecule.yml"))


@dataclass(frozen=True)
class MoleculeRun:
    scenario: str
    returncode: int
    output: str
    seconds: float

    def step_outcomes(self) -> dict[str, list[str]]:
        """Each step's outcomes as molecule's summary reports them ("Successful", "Failed", ...)."""
        found: dict[str, list[str]] = {}
        pattern = re.compile(rf"^{re.escape(self.scenario)} \S+ (\w+): Executed: (\w[\w ]*)$", re.M)
        for step, outcome in pattern.findall(self.output):
            found.setdefault(step, []).append(outcome.strip())
        return found


def node_environment(work: Path) -> dict[str, str]:
    """The environment every scenario runs in: podman's configuration and the node image."""
    env = podman_env(write_containers_conf(work))
    env["DEVSTATS_NODE_IMAGE"] = build_node_image(env)
    # Scenarios stay in molecule/ (molecule would look under extensions/molecule in a collection).
    env["MOLECULE_GLOB"] = "molecule/*/molecule.yml"
    env["ANSIBLE_CONFIG"] = str(REPO_ROOT / "ansible.cfg")
    env["ANSIBLE_FORCE_COLOR"] = "false"
    env["NO_COLOR"] = "1"
    return env


def run_scenario(scenario: str, env: dict[str, str], work: Path, timeout: float = 1200) -> MoleculeRun:
    """`molecule test -s <scenario>` under a fresh run id; always destroys what it created."""
    run_id = secrets.token_hex(3)
    run_env = {
        **env,
        "DEVSTATS_RUN_ID": run_id,
        "MOLECULE_EPHEMERAL_DIRECTORY": str(work / f"molecule-{scenario}-{run_id}"),
    }
    start = time.monotonic()
    try:
        done = subprocess.run(
            ["molecule", "test", "-s", scenario],
            cwd=REPO_ROOT,
            env=run_env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        output = _ANSI.sub("", done.stdout + done.stderr)
        return MoleculeRun(scenario, done.returncode, output, time.monotonic() - start)
    finally:
        remove_run(scenario, run_env, run_id)


def remove_run(scenario: str, env: dict[str, str], run_id: str) -> None:
    """molecule destroy, then anything podman still has under the run id (a killed molecule leaves some)."""
    subprocess.run(
        ["molecule", "destroy", "-s", scenario],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    left = podman(env, "ps", "--all", "--format", "{{.Names}}", "--filter", f"name=-{run_id}$", check=False)
    for name in left.stdout.split():
        podman(env, "rm", "--force", "--time", "0", name, check=False)
    network = f"devstats-nodes-{run_id}"
    if podman(env, "network", "exists", network, check=False).returncode == 0:
        podman(env, "network", "rm", "--force", network, check=False)


def molecule_available() -> bool:
    return any((Path(p) / "molecule").exists() for p in os.environ.get("PATH", "").split(os.pathsep))


def main(argv: list[str]) -> int:
    """`scripts/molecule ARGS...`: molecule by hand, in the environment the tier gives it."""
    work = REPO_ROOT / "build" / "molecule"
    work.mkdir(parents=True, exist_ok=True)
    env = node_environment(work)
    env.setdefault("DEVSTATS_RUN_ID", "dev")
    return subprocess.run(["molecule", *argv], cwd=REPO_ROOT, env=env, check=False).returncode


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
