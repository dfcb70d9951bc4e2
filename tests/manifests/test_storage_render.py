"""The storage role's cluster-wide objects as the render playbook writes them for each target."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.support.ansible_playbook import INVENTORIES, REPO_ROOT


def _target(inventory: str) -> str:
    platform = yaml.safe_load(
        (REPO_ROOT / "inventories" / inventory / "group_vars/all/platform.yml").read_text()
    )
    return platform["platform_target"]


def test_eks_gets_an_encrypted_gp3_default_class_bound_where_its_pod_runs(rendered: dict[str, Path]) -> None:
    cluster = rendered["eks_example"] / "cluster"
    assert sorted(p.name for p in cluster.glob("storage.*")) == ["storage.storageclass.gp3.yaml"]
    kustomization = yaml.safe_load((cluster / "kustomization.yaml").read_text())
    assert "storage.storageclass.gp3.yaml" in kustomization["resources"]
    storage_class = yaml.safe_load((cluster / "storage.storageclass.gp3.yaml").read_text())
    assert storage_class["provisioner"] == "ebs.csi.aws.com"
    assert storage_class["metadata"]["annotations"] == {"storageclass.kubernetes.io/is-default-class": "true"}
    assert storage_class["parameters"] == {
        "type": "gp3",
        "encrypted": "true",
        "csi.storage.k8s.io/fstype": "ext4",
    }
    assert storage_class["volumeBindingMode"] == "WaitForFirstConsumer"
    assert storage_class["allowVolumeExpansion"] is True
    assert storage_class["metadata"]["labels"]["app.kubernetes.io/part-of"] == "cluster"


def test_the_volumes_name_no_class_so_they_get_the_default(rendered: dict[str, Path]) -> None:
    claims = [
        document
        for path in sorted((rendered["eks_example"] / "cdf").glob("*.yaml"))
        for document in [yaml.safe_load(path.read_text())]
        if document.get("kind") in ("PersistentVolumeClaim", "StatefulSet")
    ]
    assert claims
    for document in claims:
        specs = (
            [document["spec"]]
            if document["kind"] == "PersistentVolumeClaim"
            else [template["spec"] for template in document["spec"]["volumeClaimTemplates"]]
        )
        assert all("storageClassName" not in spec for spec in specs), document["metadata"]["name"]


def test_other_targets_get_no_eks_class(rendered: dict[str, Path]) -> None:
    for inventory in INVENTORIES:
        if _target(inventory) != "eks":
            assert not (rendered[inventory] / "cluster" / "storage.storageclass.gp3.yaml").exists(), inventory
