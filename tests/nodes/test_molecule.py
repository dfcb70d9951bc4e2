"""The nodes tier: every molecule scenario (one per host-level role) on Debian 12 podman nodes.

Each scenario creates its nodes, prepares them as a machine would be, converges the role, converges
it again expecting changed=0, verifies the real state (kernel values, files, services, the CRI
answering) and destroys the nodes, also when a step failed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.molecule_scenarios import (
    STEPS,
    molecule_available,
    node_environment,
    remove_run,
    run_scenario,
    scenarios,
)
from tests.support.node_containers import podman


@pytest.fixture(scope="session")
def node_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    for tool in ("podman", "mmdebstrap"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is needed: run make setup (requirements/apt.txt)")
    if not molecule_available():
        pytest.fail("molecule is needed: run make setup (requirements/dev.txt)")
    return node_environment(tmp_path_factory.mktemp("nodes"))


def test_every_host_level_role_has_a_scenario() -> None:
    assert {"node_prereqs", "containerd", "kubeadm"} <= set(scenarios())


@pytest.mark.parametrize("scenario", scenarios())
def test_scenario(scenario: str, node_env: dict[str, str], tmp_path: Path) -> None:
    run = run_scenario(scenario, node_env, tmp_path)
    print(f"\nmolecule scenario {scenario}: exit {run.returncode} in {run.seconds:.0f} s")
    assert run.returncode == 0, run.output[-12000:]
    outcomes = run.step_outcomes()
    for step in STEPS:
        assert "Successful" in outcomes.get(step, []), (
            f"{step} did not run successfully: {outcomes}\n{run.output[-6000:]}"
        )


def test_leftovers_of_a_run_are_removed(node_env: dict[str, str]) -> None:
    """What a killed molecule leaves (a node and its network) goes with the run's clean-up."""
    run_id = "left0"
    network = f"devstats-nodes-{run_id}"
    node = f"node1-{run_id}"
    # A failed earlier run of this test may have left them: start clean.
    podman(node_env, "rm", "--force", "--time", "0", node, check=False)
    podman(node_env, "network", "rm", "--force", network, check=False)
    podman(node_env, "network", "create", network)
    podman(
        node_env,
        "run",
        "--detach",
        "--name",
        node,
        "--network",
        network,
        node_env["DEVSTATS_NODE_IMAGE"],
        "sleep",
        "600",
    )
    remove_run("containerd", {**node_env, "DEVSTATS_RUN_ID": run_id}, run_id)
    assert podman(node_env, "container", "exists", node, check=False).returncode == 1
    assert podman(node_env, "network", "exists", network, check=False).returncode == 1
