"""Applying the rendered objects with the k8s_objects role against a real kube-apiserver 1.20.2.

1.20 serves everything the devstats role renders except batch/v1 CronJob (left out) and a Job's
ttlSecondsAfterFinished (removed).
Order matters: check mode first (nothing may appear), then two applies, then pruning.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.ansible_playbook import PlaybookRun, render, run_playbook
from tests.support.kube_apiserver import ADMIN_CONTEXT, ControlPlane, running_control_plane

PLAYBOOK = Path(__file__).parent / "playbooks" / "apply.yml"
NAMESPACE = "devstats-example"
SECRETS = {
    "devstats_github_tokens": ["ghp_APPLYTESTTOKEN"],
    "devstats_database_host": "pg.example.org",
    "devstats_database_secret": "pg-credentials",
    "devstats_database_username": "devstats",
    "devstats_database_password": "pw-APPLYTESTPASSWORD",
}


@pytest.fixture(scope="module")
def kube(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    # The controller manager finalizes deletions (PVC protection, Job Pods) so pruning completes.
    with running_control_plane(tmp_path_factory.mktemp("kube"), controller_manager=True) as plane:
        yield plane


@pytest.fixture(scope="module")
def manifests(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    directory = tmp_path_factory.mktemp("apply-render")
    secrets = directory / "secrets.yml"
    secrets.write_text(yaml.safe_dump(SECRETS))
    render("local", directory, "-e", f"@{secrets}")
    objects = [yaml.safe_load(p.read_text()) for p in sorted((directory / "example").glob("devstats.*.yaml"))]
    served = [m for m in objects if m["kind"] != "CronJob"]
    for job in (m for m in served if m["kind"] == "Job"):
        # Alpha and off in 1.20 (GA since 1.23): the server drops it, and re-applying a field it
        # drops makes it rewrite the object on every apply.
        del job["spec"]["ttlSecondsAfterFinished"]
    # Namespace first, as the devstats role orders it.
    return sorted(served, key=lambda m: m["kind"] != "Namespace")


def _apply(
    kube: ControlPlane, tmp_path: Path, objects: list[dict[str, Any]], *args: str, prune: bool = False
) -> PlaybookRun:
    extra = tmp_path / "apply.json"
    extra.write_text(
        json.dumps(
            {"apply_manifests": objects, "apply_kubeconfig": str(kube.kubeconfig), "apply_prune": prune}
        )
    )
    run = run_playbook(PLAYBOOK, "-e", f"@{extra}", *args)
    assert run.returncode == 0, run.output[-6000:]
    assert "APPLYTEST" not in run.output
    return run


def _names(kube: ControlPlane, path: str) -> set[str]:
    status, body = kube.request("GET", path)
    assert status == 200, body
    return {
        item["metadata"]["name"]
        for item in json.loads(body)["items"]
        if not item["metadata"].get("deletionTimestamp")
    }


def test_check_mode_creates_nothing(
    kube: ControlPlane, manifests: list[dict[str, Any]], tmp_path: Path
) -> None:
    run = _apply(kube, tmp_path, manifests, "--check", "--diff")
    assert run.changed() > 0
    status, _ = kube.request("GET", f"/api/v1/namespaces/{NAMESPACE}")
    assert status == 404


def test_the_patroni_stage_in_check_mode_on_a_fresh_cluster_creates_nothing(kube: ControlPlane) -> None:
    run = run_playbook(
        "playbooks/patroni.yml",
        "-i",
        "inventories/local",
        "-e",
        "platform_target=kubeconfig",
        "-e",
        f"platform_kubeconfig={kube.kubeconfig}",
        "-e",
        f"platform_kubeconfig_context={ADMIN_CONTEXT}",
        "-e",
        "platform_letsencrypt_email=ops@example.org",
        "--check",
    )
    assert run.returncode == 0, run.output[-6000:]
    assert run.changed() > 0
    reported = run.task_results(
        "devstats.platform.k8s_objects : Report the objects in those namespaces as to be created"
    )
    assert any(
        "patroni.secret.devstats-example.devstats-postgres-app.yaml" in str(r) for r in reported.values()
    )
    status, _ = kube.request("GET", f"/api/v1/namespaces/{NAMESPACE}")
    assert status == 404


def test_first_apply_changes_and_second_changes_nothing(
    kube: ControlPlane, manifests: list[dict[str, Any]], tmp_path: Path
) -> None:
    assert _apply(kube, tmp_path, manifests).changed() > 0
    second = _apply(kube, tmp_path, manifests)
    assert second.changed_items() == []
    assert second.changed() == 0
    assert _names(kube, f"/apis/batch/v1/namespaces/{NAMESPACE}/jobs") == {
        "kubernetes-provision",
        "prometheus-provision",
        "calico-provision",
    }
    assert {"default-deny", "devstats-sync-egress", "platform-egress", "grafana-from-ingress"} <= _names(
        kube, f"/apis/networking.k8s.io/v1/namespaces/{NAMESPACE}/networkpolicies"
    )
    status, body = kube.request("GET", f"/api/v1/namespaces/{NAMESPACE}/configmaps/devstats-projects")
    config_map = json.loads(body)
    assert status == 200
    assert config_map["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "devstats-platform"
    assert {entry["manager"] for entry in config_map["metadata"]["managedFields"]} == {"devstats-platform"}
    assert "calico" in yaml.safe_load(config_map["data"]["projects.yaml"])["projects"][2]["name"]


def test_removed_project_is_pruned_only_on_request(
    kube: ControlPlane, manifests: list[dict[str, Any]], tmp_path: Path
) -> None:
    fewer = [m for m in manifests if not m["metadata"]["name"].startswith("calico-")]
    jobs = f"/apis/batch/v1/namespaces/{NAMESPACE}/jobs"
    claims = f"/api/v1/namespaces/{NAMESPACE}/persistentvolumeclaims"
    assert _apply(kube, tmp_path, fewer).changed() == 0
    assert "calico-provision" in _names(kube, jobs)
    assert _apply(kube, tmp_path, fewer, "--check", prune=True).changed() > 0
    assert "calico-provision" in _names(kube, jobs)
    assert _apply(kube, tmp_path, fewer, prune=True).changed() > 0
    assert _names(kube, jobs) == {"kubernetes-provision", "prometheus-provision"}
    assert _names(kube, claims) == {"gharchive-cache", "kubernetes-git", "prometheus-git"}
    assert _apply(kube, tmp_path, fewer, prune=True).changed() == 0
