"""Render of every example inventory: schema-valid on the oldest and newest supported Kubernetes,
one file per object, a complete kustomization, deterministic and idempotent."""

from __future__ import annotations

import base64
import filecmp
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.ansible_playbook import INVENTORIES, REPO_ROOT, VERSIONS, render
from tests.support.k8s_manifests import schema_problems

# Kinds of CRDs the cluster-wide stages install: no Kubernetes schema has them; test_face_manifests
# checks them against cert-manager's documented fields.
CUSTOM_KINDS = {("cert-manager.io/v1", "ClusterIssuer")}
SUPPORTED = (
    VERSIONS["versions_kubernetes_oldest_supported"],
    VERSIONS["versions_kubernetes_newest_supported"],
)


def _objects(directory: Path) -> list[tuple[Path, dict[str, Any]]]:
    out = []
    for path in sorted(directory.glob("*/*.yaml")):
        if path.name != "kustomization.yaml":
            documents = list(yaml.safe_load_all(path.read_text()))
            assert len(documents) == 1, f"{path}: one object per file"
            out.append((path, documents[0]))
    return out


def _foundations(inventory: str) -> set[str]:
    hosts = yaml.safe_load((REPO_ROOT / "inventories" / inventory / "hosts.yml").read_text())
    return set(hosts["devstats_foundations"]["hosts"])


def _foundation_dirs(directory: Path) -> list[Path]:
    return [path for path in directory.iterdir() if path.name != "cluster"]


@pytest.mark.parametrize("inventory", INVENTORIES)
def test_every_foundation_is_rendered_with_a_complete_kustomization(
    inventory: str, rendered: dict[str, Path]
) -> None:
    directory = rendered[inventory]
    assert {p.name for p in directory.iterdir()} == _foundations(inventory) | {"cluster"}
    cluster = yaml.safe_load((directory / "cluster" / "kustomization.yaml").read_text())
    assert cluster["resources"] == sorted(
        p.name for p in (directory / "cluster").glob("*.yaml") if p.name != "kustomization.yaml"
    )
    for foundation_dir in _foundation_dirs(directory):
        kustomization = yaml.safe_load((foundation_dir / "kustomization.yaml").read_text())
        files = sorted(p.name for p in foundation_dir.glob("*.yaml") if p.name != "kustomization.yaml")
        assert kustomization["resources"] == files
        kinds = {yaml.safe_load((foundation_dir / f).read_text())["kind"] for f in files}
        assert {"Namespace", "ConfigMap", "NetworkPolicy", "PersistentVolumeClaim", "Job", "CronJob"} <= kinds


@pytest.mark.parametrize("version", SUPPORTED)
@pytest.mark.parametrize("inventory", INVENTORIES)
def test_every_manifest_is_valid(inventory: str, version: str, rendered: dict[str, Path]) -> None:
    objects = _objects(rendered[inventory])
    assert objects
    checked = [
        (path.name, manifest)
        for path, manifest in objects
        if (manifest["apiVersion"], manifest["kind"]) not in CUSTOM_KINDS
    ]
    problems = schema_problems(checked, version)
    assert not problems, "\n".join(problems)


def _pod_specs(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    spec = manifest.get("spec") or {}
    template = spec.get("jobTemplate", {}).get("spec", spec).get("template") or {}
    return [template["spec"]] if "spec" in template else []


@pytest.mark.parametrize("inventory", INVENTORIES)
def test_no_pod_carries_an_empty_field_the_server_drops(inventory: str, rendered: dict[str, Path]) -> None:
    """An empty nodeSelector or tolerations is stored as absent, so applying it again is a change:
    a second run would never report changed=0."""
    empty = [
        f"{path.name}: {field}"
        for path, manifest in _objects(rendered[inventory])
        for pod in _pod_specs(manifest)
        for field in ("nodeSelector", "tolerations", "affinity")
        if field in pod and not pod[field]
    ]
    assert empty == []


def test_two_renders_are_byte_identical_and_a_rerender_changes_nothing(
    rendered: dict[str, Path], tmp_path: Path
) -> None:
    first = rendered["multi_foundation_example"]
    render("multi_foundation_example", tmp_path)
    names = sorted(str(p.relative_to(first)) for p in first.rglob("*") if p.is_file())
    assert names == sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    _, mismatch, errors = filecmp.cmpfiles(first, tmp_path, names, shallow=False)
    assert (mismatch, errors) == ([], [])
    again = render("multi_foundation_example", tmp_path)
    assert again.changed() == 0


def test_removed_project_leaves_no_stale_file(tmp_path: Path) -> None:
    render("local", tmp_path)
    before = {p.name for p in (tmp_path / "example").iterdir()}
    projects = yaml.safe_load((REPO_ROOT / "inventories/local/host_vars/example.yml").read_text())[
        "devstats_projects"
    ]
    extra_vars = tmp_path / "fewer.yml"
    extra_vars.write_text(yaml.safe_dump({"devstats_projects": projects[:-1]}))
    render("local", tmp_path, "-e", f"@{extra_vars}")
    after = {p.name for p in (tmp_path / "example").iterdir()}
    removed = projects[-1]["name"]
    grafana = {name for name in before - after if name.startswith("grafana.")}
    assert grafana == {
        f"grafana.{kind}.devstats-example.{removed}-grafana{suffix}.yaml"
        for kind, suffix in [
            ("configmap", "-provisioning"),
            ("configmap", "-dashboards"),
            ("deployment", ""),
            ("service", ""),
            ("ingress", ""),
        ]
    }
    assert before - after - grafana == {
        f"devstats.{kind}.devstats-example.{removed}-{suffix}.yaml"
        for kind, suffix in [
            ("persistentvolumeclaim", "git"),
            ("job", "provision"),
            ("cronjob", "sync"),
        ]
    }
    assert after - before == set()
    kustomization = yaml.safe_load((tmp_path / "example" / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == sorted(after - {"kustomization.yaml"})


def test_secret_values_are_never_printed(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.yml"
    secrets.write_text(
        yaml.safe_dump(
            {
                "devstats_github_tokens": ["ghp_NEVERPRINTED1"],
                "devstats_database_host": "pg.example.org",
                "devstats_database_secret": "pg-credentials",
                "devstats_database_username": "u",
                "devstats_database_password": "pw-NEVERPRINTED2",
            }
        )
    )
    run = render("local", tmp_path, "-e", f"@{secrets}", "-v", "--diff")
    assert "NEVERPRINTED" not in run.output
    written = (tmp_path / "example" / "devstats.secret.devstats-example.devstats-github.yaml").read_text()
    assert base64.b64decode(yaml.safe_load(written)["data"]["tokens"]) == b"ghp_NEVERPRINTED1"
    written = (tmp_path / "example" / "devstats.secret.devstats-example.pg-credentials.yaml").read_text()
    assert base64.b64decode(yaml.safe_load(written)["data"]["password"]) == b"pw-NEVERPRINTED2"
    sync = yaml.safe_load(
        (tmp_path / "example" / "devstats.cronjob.devstats-example.kubernetes-sync.yaml").read_text()
    )
    (container,) = sync["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") or e["valueFrom"]["secretKeyRef"]["name"] for e in container["env"]}
    assert (env["PGHOST"], env["PGUSER"], env["PGPASSWORD"]) == (
        "pg.example.org",
        "pg-credentials",
        "pg-credentials",
    )


def test_check_mode_writes_nothing_and_reports_the_change(tmp_path: Path) -> None:
    run = render("local", tmp_path, "--check", "--diff")
    assert run.changed() > 0
    assert list(tmp_path.iterdir()) == []


def _images_by_component(directory: Path) -> dict[str, set[str]]:
    """Every container image of the rendered workloads, by the file's component (devstats, patroni, ...)."""
    out: dict[str, set[str]] = {}
    for path, obj in _objects(directory):
        spec = obj.get("spec") or {}
        pod = (spec.get("jobTemplate") or {}).get("spec", spec).get("template", {}).get("spec", {})
        containers = pod.get("initContainers", []) + pod.get("containers", [])
        out.setdefault(path.name.split(".")[0], set()).update(c["image"] for c in containers)
    return out


def test_images_come_from_roles_versions_and_an_inventory_overrides_them(
    rendered: dict[str, Path], tmp_path: Path
) -> None:
    pinned = _images_by_component(rendered["local"])
    assert pinned["devstats"] == {VERSIONS["versions_sync_image"]}
    assert pinned["patroni"] == {VERSIONS["versions_patroni_image"]}
    # A private registry: the role variables, set in the inventory (here as extra vars).
    private = {
        "devstats_sync_image": "registry.example.org/devstats/devstats-sync:0.1.0-private",
        "patroni_image": "registry.example.org/devstats/patroni:4.1.5-pg15-private",
    }
    extra_vars = tmp_path / "private-registry.yml"
    extra_vars.write_text(yaml.safe_dump(private))
    render("local", tmp_path / "out", "-e", f"@{extra_vars}")
    overridden = _images_by_component(tmp_path / "out")
    assert overridden["devstats"] == {private["devstats_sync_image"]}
    assert overridden["patroni"] == {private["patroni_image"]}
