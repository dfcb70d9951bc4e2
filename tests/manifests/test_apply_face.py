"""The grafana role in apply mode against a real kube-apiserver 1.20.2: each project's admin Secret is
generated once, the Grafana Deployments, Services, ConfigMaps and Ingresses and the home page are
server-side applied; the first run changes, the second reports changed=0 and keeps every password."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.ansible_playbook import PlaybookRun, run_playbook
from tests.support.kube_apiserver import ADMIN_CONTEXT, ControlPlane, running_control_plane

NAMESPACE = "devstats-example"
PROJECTS = ("kubernetes", "prometheus", "calico")


@pytest.fixture(scope="module")
def kube(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    with running_control_plane(tmp_path_factory.mktemp("kube-face")) as plane:
        plane.create_namespace(NAMESPACE)
        yield plane


def grafana(kube: ControlPlane, tmp_path: Path) -> PlaybookRun:
    extra = tmp_path / "target.yml"
    extra.write_text(
        yaml.safe_dump(
            {
                "platform_target": "kubeconfig",
                "platform_kubeconfig": str(kube.kubeconfig),
                "platform_kubeconfig_context": ADMIN_CONTEXT,
                "platform_letsencrypt_email": "devstats-admins@example.org",
            }
        )
    )
    run = run_playbook("playbooks/grafana.yml", "-i", "inventories/local", "-e", f"@{extra}")
    assert run.returncode == 0, run.output[-6000:]
    return run


def get(kube: ControlPlane, path: str) -> dict[str, Any]:
    status, body = kube.request("GET", path)
    assert status == 200, body[:500]
    return json.loads(body)


def test_first_apply_changes_second_changes_nothing_and_passwords_stay(
    kube: ControlPlane, tmp_path: Path
) -> None:
    first = grafana(kube, tmp_path)
    assert first.changed() > 0
    secrets = f"/api/v1/namespaces/{NAMESPACE}/secrets"
    passwords = {
        project: get(kube, f"{secrets}/{project}-grafana-admin")["data"]["password"] for project in PROJECTS
    }
    assert all(len(base64.b64decode(p)) == 32 for p in passwords.values())
    assert len(set(passwords.values())) == len(PROJECTS)
    second = grafana(kube, tmp_path)
    assert second.changed_items() == []
    assert second.changed() == 0
    assert {p: get(kube, f"{secrets}/{p}-grafana-admin")["data"]["password"] for p in PROJECTS} == passwords
    assert all(passwords[p] not in second.output for p in PROJECTS)


def test_the_served_objects_are_there(kube: ControlPlane) -> None:
    deployments = get(kube, f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments")["items"]
    assert {d["metadata"]["name"] for d in deployments} == {f"{p}-grafana" for p in PROJECTS} | {
        "devstats-home"
    }
    ingresses = get(kube, f"/apis/networking.k8s.io/v1/namespaces/{NAMESPACE}/ingresses")["items"]
    hosts = {i["spec"]["rules"][0]["host"] for i in ingresses}
    assert hosts == {f"{p}.devstats.example.org" for p in PROJECTS} | {"devstats.example.org"}
    config_map = get(kube, f"/api/v1/namespaces/{NAMESPACE}/configmaps/kubernetes-grafana-dashboards")
    assert "devstats-activity.json" in config_map["data"]
    assert config_map["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "devstats-platform"
