"""The bare-metal cluster's add-ons: Flannel (cni role) and the local-path provisioner (storage role) as
the render playbook writes them, and the cluster stage's add-on play applying them to a real
kube-apiserver 1.20.2 through the kubeconfig the model names (schema validity on 1.31 and 1.35 is
test_render's, for every inventory). The Calico variant of the example (platform_cni: calico, as an
inventory override) is rendered and validated on 1.31 and 1.35 here, and applied to the same server:
its CRDs are accepted and established and its workloads stored (none of them runs: there are no nodes)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.support.ansible_playbook import INVENTORIES, REPO_ROOT, VERSIONS, render, run_playbook
from tests.support.k8s_manifests import schema_problems
from tests.support.kube_apiserver import ControlPlane, running_control_plane

PLATFORM = yaml.safe_load(
    (REPO_ROOT / "inventories/baremetal_example/group_vars/all/platform.yml").read_text()
)
ADDON_FILES = {
    "cni.clusterrole.flannel.yaml",
    "cni.clusterrolebinding.flannel.yaml",
    "cni.configmap.kube-flannel.kube-flannel-cfg.yaml",
    "cni.daemonset.kube-flannel.kube-flannel-ds.yaml",
    "cni.namespace.kube-flannel.yaml",
    "cni.serviceaccount.kube-flannel.flannel.yaml",
    "storage.clusterrole.local-path-provisioner-role.yaml",
    "storage.clusterrolebinding.local-path-provisioner-bind.yaml",
    "storage.configmap.local-path-storage.local-path-config.yaml",
    "storage.deployment.local-path-storage.local-path-provisioner.yaml",
    "storage.namespace.local-path-storage.yaml",
    "storage.role.local-path-storage.local-path-provisioner-role.yaml",
    "storage.rolebinding.local-path-storage.local-path-provisioner-bind.yaml",
    "storage.serviceaccount.local-path-storage.local-path-provisioner-service-account.yaml",
    "storage.storageclass.local-path.yaml",
}


def _load(directory: Path, name: str) -> dict:
    return yaml.safe_load((directory / name).read_text())


def test_bare_metal_gets_flannel_and_local_path_listed_by_the_kustomization(
    rendered: dict[str, Path],
) -> None:
    cluster = rendered["baremetal_example"] / "cluster"
    files = {p.name for p in cluster.glob("*.yaml") if p.name.startswith(("cni.", "storage."))}
    assert files == ADDON_FILES
    assert set(_load(cluster, "kustomization.yaml")["resources"]) >= ADDON_FILES


def test_flannel_routes_the_inventorys_pod_subnet(rendered: dict[str, Path]) -> None:
    cluster = rendered["baremetal_example"] / "cluster"
    data = _load(cluster, "cni.configmap.kube-flannel.kube-flannel-cfg.yaml")["data"]
    network = json.loads(data["net-conf.json"])
    assert network == {
        "Network": PLATFORM["platform_pod_subnet"],
        "EnableNFTables": False,
        "Backend": {"Type": "vxlan"},
    }
    plugins = [plugin["type"] for plugin in json.loads(data["cni-conf.json"])["plugins"]]
    assert plugins == ["flannel", "portmap"]
    daemonset = _load(cluster, "cni.daemonset.kube-flannel.kube-flannel-ds.yaml")["spec"]["template"]["spec"]
    versions = yaml.safe_load((REPO_ROOT / "roles/versions/defaults/main.yml").read_text())
    images = {c["image"] for c in daemonset["initContainers"] + daemonset["containers"]}
    assert images == {versions["versions_flannel_image"], versions["versions_flannel_cni_plugin_image"]}
    assert daemonset["hostNetwork"] is True
    assert daemonset["containers"][0]["securityContext"] == {
        "privileged": False,
        "capabilities": {"add": ["NET_ADMIN", "NET_RAW"]},
    }


def test_local_path_is_the_only_default_class_and_binds_where_the_pod_runs(rendered: dict[str, Path]) -> None:
    cluster = rendered["baremetal_example"] / "cluster"
    storage_class = _load(cluster, "storage.storageclass.local-path.yaml")
    assert storage_class["provisioner"] == "rancher.io/local-path"
    assert storage_class["metadata"]["annotations"] == {"storageclass.kubernetes.io/is-default-class": "true"}
    assert storage_class["volumeBindingMode"] == "WaitForFirstConsumer"
    config = _load(cluster, "storage.configmap.local-path-storage.local-path-config.yaml")["data"]
    assert json.loads(config["config.json"])["nodePathMap"][0]["paths"] == ["/opt/local-path-provisioner"]
    assert yaml.safe_load(config["helperPod.yaml"])["spec"]["containers"][0]["image"].startswith(
        "docker.io/library/busybox:"
    )
    defaults = [
        p.name
        for p in cluster.glob("*.yaml")
        if (yaml.safe_load(p.read_text()) or {}).get("kind") == "StorageClass"
        and yaml.safe_load(p.read_text())["metadata"]
        .get("annotations", {})
        .get("storageclass.kubernetes.io/is-default-class")
    ]
    assert defaults == ["storage.storageclass.local-path.yaml"]


CALICO_VARIANTS = {
    "calico": {"platform_cni": "calico"},
    "calico-vxlan": {
        "platform_cni": "calico",
        "cni_calico_encapsulation": "vxlan",
        "cni_calico_bandwidth": True,
    },
}


@pytest.fixture(scope="module", params=sorted(CALICO_VARIANTS))
def calico(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """The bare-metal example rendered with Calico: the inventory's platform_cni (and the cni role's
    variables) overridden, as an inventory would set them."""
    directory = tmp_path_factory.mktemp(f"render-baremetal-{request.param}")
    overrides = directory / "overrides.yml"
    overrides.write_text(yaml.safe_dump(CALICO_VARIANTS[request.param]))
    run = render("baremetal_example", directory / "out", "-e", f"@{overrides}")
    assert run.returncode == 0, run.output[-6000:]
    return request.param, directory / "out" / "cluster"


def test_calico_replaces_flannel_with_its_crds_rbac_and_workloads(calico: tuple[str, Path]) -> None:
    _, cluster = calico
    files = {p.name for p in cluster.glob("cni.*.yaml")}
    assert not {name for name in files if "flannel" in name}
    crds = {name for name in files if name.startswith("cni.customresourcedefinition.")}
    assert len(crds) == 24
    assert "cni.customresourcedefinition.ippools.crd.projectcalico.org.yaml" in crds
    assert files - crds == {
        "cni.serviceaccount.kube-system.calico-node.yaml",
        "cni.serviceaccount.kube-system.calico-cni-plugin.yaml",
        "cni.serviceaccount.kube-system.calico-kube-controllers.yaml",
        "cni.clusterrole.calico-node.yaml",
        "cni.clusterrole.calico-cni-plugin.yaml",
        "cni.clusterrole.calico-kube-controllers.yaml",
        "cni.clusterrole.calico-tier-getter.yaml",
        "cni.clusterrolebinding.calico-node.yaml",
        "cni.clusterrolebinding.calico-cni-plugin.yaml",
        "cni.clusterrolebinding.calico-kube-controllers.yaml",
        "cni.clusterrolebinding.calico-tier-getter.yaml",
        "cni.configmap.kube-system.calico-config.yaml",
        "cni.daemonset.kube-system.calico-node.yaml",
        "cni.deployment.kube-system.calico-kube-controllers.yaml",
        "cni.poddisruptionbudget.kube-system.calico-kube-controllers.yaml",
    }
    assert set(_load(cluster, "kustomization.yaml")["resources"]) >= files


def test_calico_allocates_from_the_inventorys_pod_subnet(calico: tuple[str, Path]) -> None:
    variant, cluster = calico
    data = _load(cluster, "cni.configmap.kube-system.calico-config.yaml")["data"]
    chain = json.loads(data["cni_network_config"])["plugins"]
    assert chain[0]["ipam"]["ipv4_pools"] == [PLATFORM["platform_pod_subnet"]]
    assert [plugin["type"] for plugin in chain] == ["calico", "portmap"] + ["bandwidth"] * (
        variant == "calico-vxlan"
    )
    assert data["calico_backend"] == ("vxlan" if variant == "calico-vxlan" else "bird")
    pod = _load(cluster, "cni.daemonset.kube-system.calico-node.yaml")["spec"]["template"]["spec"]
    env = {e["name"]: e.get("value") for e in pod["containers"][0]["env"]}
    assert env["CALICO_IPV4POOL_CIDR"] == PLATFORM["platform_pod_subnet"]
    images = {c["image"] for c in pod["initContainers"] + pod["containers"]}
    assert images == {VERSIONS["versions_calico_cni_image"], VERSIONS["versions_calico_node_image"]}


@pytest.mark.parametrize(
    "version",
    (VERSIONS["versions_kubernetes_oldest_supported"], VERSIONS["versions_kubernetes_newest_supported"]),
)
def test_every_calico_file_is_valid(calico: tuple[str, Path], version: str) -> None:
    _, cluster = calico
    files = sorted(cluster.glob("cni.*.yaml"))
    assert schema_problems([(path.name, _load(cluster, path.name)) for path in files], version) == []


def test_other_targets_get_no_bare_metal_add_ons(rendered: dict[str, Path]) -> None:
    for inventory in INVENTORIES:
        if inventory != "baremetal_example":
            names = {p.name for p in (rendered[inventory] / "cluster").glob("*.yaml")}
            assert not names & ADDON_FILES, inventory


@pytest.fixture(scope="module")
def kube(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    with running_control_plane(tmp_path_factory.mktemp("kube-addons")) as plane:
        yield plane


def _cluster_stage(kube: ControlPlane, tmp_path: Path, *args: str):
    """The cluster stage's add-on play on the bare-metal example, its nodes left out (--limit: the
    controller and the foundation, whose hosts preflight runs on): the kubeconfig is the test server's
    admin one under the context kubeadm gives the cluster's admin."""
    config = yaml.safe_load(kube.kubeconfig.read_text())
    context = f"kubernetes-admin@{PLATFORM['platform_baremetal_cluster_name']}"
    config["contexts"][0]["name"] = config["current-context"] = context
    kubeconfig = tmp_path / "admin.conf"
    kubeconfig.write_text(yaml.safe_dump(config))
    return run_playbook(
        "playbooks/cluster_baremetal.yml",
        "-i",
        "inventories/baremetal_example",
        "--limit",
        "localhost,cncf",
        "-e",
        f"platform_kubeconfig={kubeconfig}",
        *args,
    )


def test_the_cluster_stage_applies_the_add_ons_once(kube: ControlPlane, tmp_path: Path) -> None:
    first = _cluster_stage(kube, tmp_path)
    assert first.returncode == 0, first.output[-6000:]
    assert len(first.changed_items()) >= len(ADDON_FILES), first.changed_items()
    for path in (
        "/apis/apps/v1/namespaces/kube-flannel/daemonsets/kube-flannel-ds",
        "/apis/apps/v1/namespaces/local-path-storage/deployments/local-path-provisioner",
        "/apis/storage.k8s.io/v1/storageclasses/local-path",
    ):
        status, _ = kube.request("GET", path)
        assert status == 200, path
    second = _cluster_stage(kube, tmp_path)
    assert second.returncode == 0, second.output[-6000:]
    assert second.changed() == 0, second.changed_items()


def _established(kube: ControlPlane, crd: str) -> bool:
    """Whether the API server serves the CRD's resource (it says so within moments of creating it)."""
    for _ in range(50):
        status, body = kube.request("GET", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{crd}")
        assert status == 200, crd
        status_of = json.loads(body).get("status", {})
        conditions = {c["type"]: c["status"] for c in status_of.get("conditions", [])}
        if conditions.get("Established") == "True":
            return True
        time.sleep(0.2)
    return False


def test_the_cluster_stage_applies_calico_once(kube: ControlPlane, tmp_path: Path) -> None:
    # 1.20 serves PodDisruptionBudgets as policy/v1beta1 only.
    calico = ("-e", "platform_cni=calico", "-e", "cni_calico_disruption_budget=false")
    first = _cluster_stage(kube, tmp_path, *calico)
    assert first.returncode == 0, first.failures() or first.output[-6000:]
    assert _established(kube, "ippools.crd.projectcalico.org")
    assert _established(kube, "adminnetworkpolicies.policy.networking.k8s.io")
    for path in (
        "/apis/apps/v1/namespaces/kube-system/daemonsets/calico-node",
        "/apis/apps/v1/namespaces/kube-system/deployments/calico-kube-controllers",
        "/api/v1/namespaces/kube-system/configmaps/calico-config",
    ):
        status, _ = kube.request("GET", path)
        assert status == 200, path
    second = _cluster_stage(kube, tmp_path, *calico)
    assert second.returncode == 0, second.failures() or second.output[-6000:]
    assert second.changed() == 0, second.changed_items()
