"""The patroni role's rendered objects: schema-valid on the oldest and newest supported Kubernetes,
RBAC equal to the documented minimum, and the HA properties the issue asks for."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.ansible_playbook import REPO_ROOT, VERSIONS, run_playbook
from tests.support.k8s_manifests import schema_problems

SUPPORTED = (
    VERSIONS["versions_kubernetes_oldest_supported"],
    VERSIONS["versions_kubernetes_newest_supported"],
)
INVENTORIES = ("local", "multi_foundation_example")


def _render(inventory: str, directory: Path, *extra: str) -> dict[str, list[dict[str, Any]]]:
    """Runs playbooks/patroni.yml in render mode; returns each foundation's patroni objects."""
    run = run_playbook(
        "-i",
        f"inventories/{inventory}",
        "playbooks/patroni.yml",
        "-e",
        f"platform_render_dir={directory}",
        "-e",
        "platform_target=none",
        *extra,
    )
    assert run.returncode == 0, run.output[-6000:]
    return {
        foundation.name: [yaml.safe_load(p.read_text()) for p in sorted(foundation.glob("patroni.*.yaml"))]
        for foundation in sorted(directory.iterdir())
    }


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, list[dict[str, Any]]]]:
    return {inventory: _render(inventory, tmp_path_factory.mktemp(inventory)) for inventory in INVENTORIES}


def _by_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] == kind]


def _documented_rbac() -> set[tuple[str, str, str]]:
    """(apiGroup, resource, verb) from the RBAC table of roles/patroni/README.md."""
    text = (REPO_ROOT / "roles" / "patroni" / "README.md").read_text()
    section = text.split("### RBAC: the documented minimum", 1)[1].split("\n## ", 1)[0]
    rules = set()
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`") and not set(cells[0]) <= {"-"}:
            group = cells[0].strip("`").strip('"')
            rules |= {(group, cells[1], verb.strip()) for verb in cells[2].split(",")}
    return rules


@pytest.mark.parametrize("version", SUPPORTED)
@pytest.mark.parametrize("inventory", INVENTORIES)
def test_every_patroni_object_is_schema_valid(inventory: str, version: str, rendered: dict[str, Any]) -> None:
    labelled = []
    for foundation, objects in rendered[inventory].items():
        assert objects, f"{foundation}: nothing rendered"
        labelled += [(f"{foundation}: {m['kind']} {m['metadata']['name']}", m) for m in objects]
    problems = schema_problems(labelled, version)
    assert not problems, "\n".join(problems)


def test_role_rules_equal_the_documented_minimum(rendered: dict[str, Any]) -> None:
    documented = _documented_rbac()
    assert documented, "no RBAC table found in roles/patroni/README.md"
    for objects in rendered["multi_foundation_example"].values():
        (role,) = _by_kind(objects, "Role")
        granted = {
            (group, resource, verb)
            for rule in role["rules"]
            for group in rule["apiGroups"]
            for resource in rule["resources"]
            for verb in rule["verbs"]
        }
        assert granted == documented
        assert not _by_kind(objects, "ClusterRole")
        assert not _by_kind(objects, "ClusterRoleBinding")
        (binding,) = _by_kind(objects, "RoleBinding")
        (account,) = _by_kind(objects, "ServiceAccount")
        assert binding["subjects"] == [
            {
                "kind": "ServiceAccount",
                "name": account["metadata"]["name"],
                "namespace": role["metadata"]["namespace"],
            }
        ]


def test_objects_carry_the_platform_labels_and_no_secret_is_rendered(rendered: dict[str, Any]) -> None:
    for foundation, objects in rendered["multi_foundation_example"].items():
        for manifest in objects:
            labels = manifest["metadata"]["labels"]
            assert labels["app.kubernetes.io/managed-by"] == "devstats-platform"
            assert labels["app.kubernetes.io/part-of"] == foundation
        assert not _by_kind(objects, "Secret")


def test_statefulset_is_highly_available_and_hardened(rendered: dict[str, Any]) -> None:
    objects = rendered["local"]["example"]
    (statefulset,) = _by_kind(objects, "StatefulSet")
    spec = statefulset["spec"]
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]
    member_labels = spec["selector"]["matchLabels"]
    assert spec["replicas"] == 3
    assert spec["podManagementPolicy"] == "Parallel"
    (term,) = pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert term["topologyKey"] == "kubernetes.io/hostname"
    assert term["labelSelector"]["matchLabels"] == member_labels
    assert container["readinessProbe"]["httpGet"] == {"path": "/readiness", "port": 8008}
    assert container["livenessProbe"]["httpGet"] == {"path": "/liveness", "port": 8008}
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["resources"]["requests"] and container["resources"]["limits"]
    shm = next(v for v in pod["volumes"] if v["name"] == "shm")
    assert shm["emptyDir"]["medium"] == "Memory"
    assert {"name": "shm", "mountPath": "/dev/shm"} in container["volumeMounts"]
    assert pod["terminationGracePeriodSeconds"] >= 30
    (claim,) = spec["volumeClaimTemplates"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "20Gi"
    # Passwords only by reference, never inline.
    for var in container["env"]:
        if "PASSWORD" in var["name"]:
            assert "secretKeyRef" in var["valueFrom"]

    services = {s["metadata"]["name"]: s for s in _by_kind(objects, "Service")}
    name = statefulset["metadata"]["name"]
    assert services[name]["spec"]["selector"] == {**member_labels, "role": "primary"}
    assert services[f"{name}-ro"]["spec"]["selector"] == {**member_labels, "role": "replica"}
    (budget,) = _by_kind(objects, "PodDisruptionBudget")
    assert budget["spec"]["maxUnavailable"] == 1
    assert budget["spec"]["selector"]["matchLabels"] == member_labels
    (policy,) = _by_kind(objects, "NetworkPolicy")
    ports = {rule["ports"][0]["port"]: rule["from"] for rule in policy["spec"]["ingress"]}
    assert {"podSelector": {"matchLabels": {"app.kubernetes.io/part-of": "example"}}} in ports[5432]
    assert ports[8008] == [{"podSelector": {"matchLabels": member_labels}}]


def test_patroni_configuration_uses_kubernetes_and_inventory_parameters(rendered: dict[str, Any]) -> None:
    objects = rendered["local"]["example"]
    (settings,) = _by_kind(objects, "ConfigMap")
    config = yaml.safe_load(settings["data"]["patroni.yml"])
    assert config["kubernetes"]["use_endpoints"] is False
    assert config["kubernetes"]["leader_label_value"] == "primary"
    dcs = config["bootstrap"]["dcs"]
    assert dcs["postgresql"]["parameters"]["synchronous_commit"] == "on"
    assert dcs["loop_wait"] + 2 * dcs["retry_timeout"] <= dcs["ttl"]
    assert re.fullmatch(r"/usr/lib/postgresql/\d+/bin", config["postgresql"]["bin_dir"])


def test_single_node_override_and_synchronous_mode(tmp_path: Path) -> None:
    objects = _render(
        "local",
        tmp_path,
        "-e",
        '{"patroni_anti_affinity": "preferred", "patroni_synchronous_mode": true, "patroni_replicas": 2}',
    )["example"]
    (statefulset,) = _by_kind(objects, "StatefulSet")
    affinity = statefulset["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"]
    assert "requiredDuringSchedulingIgnoredDuringExecution" not in affinity
    assert affinity["preferredDuringSchedulingIgnoredDuringExecution"][0]["weight"] == 100
    assert statefulset["spec"]["replicas"] == 2
    (settings,) = _by_kind(objects, "ConfigMap")
    assert yaml.safe_load(settings["data"]["patroni.yml"])["bootstrap"]["dcs"]["synchronous_mode"] is True


def test_image_pins_the_versions_of_roles_versions() -> None:
    dockerfile = (REPO_ROOT / "images" / "patroni" / "Dockerfile").read_text()
    args = dict(re.findall(r"^ARG (\w+)=(\S+)$", dockerfile, flags=re.MULTILINE))
    assert args["PATRONI_VERSION"] == VERSIONS["versions_patroni"]
    assert args["POSTGRESQL_MAJOR"] == VERSIONS["versions_postgresql_major"]
    defaults = yaml.safe_load((REPO_ROOT / "roles" / "patroni" / "defaults" / "main.yml").read_text())
    assert int(args["POSTGRES_UID"]) == defaults["patroni_run_as_user"]
    tag = VERSIONS["versions_patroni_image"].rsplit(":", 1)[1]
    assert tag == f"{VERSIONS['versions_patroni']}-pg{VERSIONS['versions_postgresql_major']}"
