"""The cni role's Calico objects, resolved from the role's variables by Ansible's own templating.

Nothing of Calico runs on this machine: these check what can be checked without it. Every object is
valid against the Kubernetes schemas of the oldest and newest supported versions; the CRDs carry the
names, scope and versions of the pinned release's (the table below, read from its manifests/calico.yaml);
the RBAC names only resources that exist; the CNI configuration parses and allocates from the pod subnet;
the images are the versions role's; each encapsulation sets what Calico's manifests set for it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from plugins.filter.cni import cni_custom_resource_definitions
from plugins.module_utils.custom_resources import (
    CustomResourceError,
    custom_resource_definition,
    custom_resource_definitions,
)
from tests.support.ansible_playbook import REPO_ROOT, VERSIONS
from tests.support.k8s_manifests import schema_problems
from tests.support.role_templates import resolve

ROLE = REPO_ROOT / "roles" / "cni"
INTERNAL = yaml.safe_load((ROLE / "vars" / "main.yml").read_text())
DEFAULTS = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
SUPPORTED = (
    VERSIONS["versions_kubernetes_oldest_supported"],
    VERSIONS["versions_kubernetes_newest_supported"],
)
POD_SUBNET = "10.244.0.0/16"
CALICO = ("crd.projectcalico.org", "v1")
ANP = ("policy.networking.k8s.io", "v1alpha1")
# The CRDs of Calico v3.31.7's manifests/calico.yaml: name -> (kind, scope, group, version).
RELEASE_CRDS = {
    "bgpconfigurations.crd.projectcalico.org": ("BGPConfiguration", "Cluster", *CALICO),
    "bgpfilters.crd.projectcalico.org": ("BGPFilter", "Cluster", *CALICO),
    "bgppeers.crd.projectcalico.org": ("BGPPeer", "Cluster", *CALICO),
    "blockaffinities.crd.projectcalico.org": ("BlockAffinity", "Cluster", *CALICO),
    "caliconodestatuses.crd.projectcalico.org": ("CalicoNodeStatus", "Cluster", *CALICO),
    "clusterinformations.crd.projectcalico.org": ("ClusterInformation", "Cluster", *CALICO),
    "felixconfigurations.crd.projectcalico.org": ("FelixConfiguration", "Cluster", *CALICO),
    "globalnetworkpolicies.crd.projectcalico.org": ("GlobalNetworkPolicy", "Cluster", *CALICO),
    "globalnetworksets.crd.projectcalico.org": ("GlobalNetworkSet", "Cluster", *CALICO),
    "hostendpoints.crd.projectcalico.org": ("HostEndpoint", "Cluster", *CALICO),
    "ipamblocks.crd.projectcalico.org": ("IPAMBlock", "Cluster", *CALICO),
    "ipamconfigs.crd.projectcalico.org": ("IPAMConfig", "Cluster", *CALICO),
    "ipamhandles.crd.projectcalico.org": ("IPAMHandle", "Cluster", *CALICO),
    "ippools.crd.projectcalico.org": ("IPPool", "Cluster", *CALICO),
    "ipreservations.crd.projectcalico.org": ("IPReservation", "Cluster", *CALICO),
    "kubecontrollersconfigurations.crd.projectcalico.org": (
        "KubeControllersConfiguration",
        "Cluster",
        *CALICO,
    ),
    "networkpolicies.crd.projectcalico.org": ("NetworkPolicy", "Namespaced", *CALICO),
    "networksets.crd.projectcalico.org": ("NetworkSet", "Namespaced", *CALICO),
    "stagedglobalnetworkpolicies.crd.projectcalico.org": ("StagedGlobalNetworkPolicy", "Cluster", *CALICO),
    "stagedkubernetesnetworkpolicies.crd.projectcalico.org": (
        "StagedKubernetesNetworkPolicy",
        "Namespaced",
        *CALICO,
    ),
    "stagednetworkpolicies.crd.projectcalico.org": ("StagedNetworkPolicy", "Namespaced", *CALICO),
    "tiers.crd.projectcalico.org": ("Tier", "Cluster", *CALICO),
    "adminnetworkpolicies.policy.networking.k8s.io": ("AdminNetworkPolicy", "Cluster", *ANP),
    "baselineadminnetworkpolicies.policy.networking.k8s.io": ("BaselineAdminNetworkPolicy", "Cluster", *ANP),
}
# Upstream's schemas with a status field; the two Kubernetes kinds also serve it as a subresource.
WITH_STATUS = {
    "CalicoNodeStatus",
    "KubeControllersConfiguration",
    "AdminNetworkPolicy",
    "BaselineAdminNetworkPolicy",
}
ENCAPSULATIONS = {
    # choice: (calico_backend, CALICO_IPV4POOL_IPIP, CALICO_IPV4POOL_VXLAN)
    "ipip": ("bird", "Always", "Never"),
    "ipip-cross-subnet": ("bird", "CrossSubnet", "Never"),
    "vxlan": ("vxlan", "Never", "Always"),
    "vxlan-cross-subnet": ("vxlan", "Never", "CrossSubnet"),
    "none": ("bird", "Never", "Never"),
}


def crds() -> list[dict[str, Any]]:
    """The CRDs as the role's filter makes them from its table."""
    return cni_custom_resource_definitions(INTERNAL["cni_calico_crd_table"], *CALICO)


def calico(**overrides: Any) -> list[dict[str, Any]]:
    """cni_calico_manifests as the role resolves it (the collection's filter is not loaded by a bare
    Templar, so the CRDs it would make are passed in; the render test runs the real filter)."""
    variables = {"cni_pod_subnet": POD_SUBNET, "cni_calico_crds": crds(), **overrides}
    return resolve("cni", "cni_calico_manifests", **variables)


def by_kind(manifests: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [m for m in manifests if m["kind"] == kind]


def one(manifests: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    (found,) = [m for m in by_kind(manifests, kind) if m["metadata"]["name"] == name]
    return found


def node_container(manifests: list[dict[str, Any]]) -> dict[str, Any]:
    (container,) = one(manifests, "DaemonSet", "calico-node")["spec"]["template"]["spec"]["containers"]
    return container


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    names = [e["name"] for e in container["env"]]
    assert len(names) == len(set(names)), names
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def test_the_role_makes_its_crds_with_this_filter() -> None:
    assert INTERNAL["cni_calico_crds"].strip() == (
        "{{ cni_calico_crd_table | devstats.platform.cni_custom_resource_definitions"
        "('crd.projectcalico.org', 'v1') }}"
    )


def test_the_crds_are_the_releases() -> None:
    made = {
        crd["metadata"]["name"]: (
            crd["spec"]["names"]["kind"],
            crd["spec"]["scope"],
            crd["spec"]["group"],
            crd["spec"]["versions"][0]["name"],
        )
        for crd in crds()
    }
    assert made == RELEASE_CRDS
    for crd in crds():
        names, (version,) = crd["spec"]["names"], crd["spec"]["versions"]
        assert crd["metadata"]["name"] == f"{names['plural']}.{crd['spec']['group']}"
        assert (names["listKind"], names["singular"]) == (f"{names['kind']}List", names["kind"].lower())
        assert (version["served"], version["storage"]) == (True, True)
        properties = version["schema"]["openAPIV3Schema"]["properties"]
        keep = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
        assert properties["spec"] == keep
        assert ("status" in properties) == (names["kind"] in WITH_STATUS)
        assert ("subresources" in version) == (crd["spec"]["group"] == ANP[0])
        if crd["spec"]["group"].endswith(".k8s.io"):
            assert crd["metadata"]["annotations"]["api-approved.kubernetes.io"].startswith("https://")


def test_a_row_it_cannot_use_is_named() -> None:
    good = {"kind": "IPPool", "plural": "ippools", "scope": "Cluster"}
    for row, problem in [
        ({**good, "scope": "cluster"}, "scope must be one of Cluster, Namespaced"),
        ({**good, "plural": "IPPools"}, "must be a non-empty lower-case string"),
        ({**good, "kind": "ipPool"}, "must start with an upper-case letter"),
        ({**good, "shortNames": ["ipp"]}, "unknown fields shortNames"),
        (good, "no group or version"),
    ]:
        with pytest.raises(CustomResourceError, match=problem):
            custom_resource_definition(row)
    with pytest.raises(CustomResourceError, match=r"ippools\.crd\.projectcalico\.org given more than once"):
        custom_resource_definitions([good, good], *CALICO)
    with pytest.raises(AnsibleFilterError, match="expected a mapping, got str"):
        cni_custom_resource_definitions(["IPPool"], *CALICO)


@pytest.mark.parametrize("version", SUPPORTED)
@pytest.mark.parametrize("encapsulation", sorted(ENCAPSULATIONS))
def test_every_object_is_valid_kubernetes(version: str, encapsulation: str) -> None:
    manifests = calico(cni_calico_encapsulation=encapsulation, cni_calico_bandwidth=True)
    labelled = [(f"{m['kind']} {m['metadata']['name']}", m) for m in manifests]
    assert schema_problems(labelled, version) == []


def test_the_objects_and_their_order() -> None:
    manifests = calico()
    kinds = [m["kind"] for m in manifests]
    # CRDs first: the components read their custom resources as they start.
    assert kinds[: len(RELEASE_CRDS)] == ["CustomResourceDefinition"] * len(RELEASE_CRDS)
    assert [(m["kind"], m["metadata"]["name"]) for m in manifests[len(RELEASE_CRDS) :]] == [
        ("ServiceAccount", "calico-node"),
        ("ServiceAccount", "calico-cni-plugin"),
        ("ServiceAccount", "calico-kube-controllers"),
        ("ClusterRole", "calico-node"),
        ("ClusterRole", "calico-cni-plugin"),
        ("ClusterRole", "calico-kube-controllers"),
        ("ClusterRole", "calico-tier-getter"),
        ("ClusterRoleBinding", "calico-node"),
        ("ClusterRoleBinding", "calico-cni-plugin"),
        ("ClusterRoleBinding", "calico-kube-controllers"),
        ("ClusterRoleBinding", "calico-tier-getter"),
        ("ConfigMap", "calico-config"),
        ("DaemonSet", "calico-node"),
        ("Deployment", "calico-kube-controllers"),
        ("PodDisruptionBudget", "calico-kube-controllers"),
    ]
    namespaced = [m for m in manifests if "namespace" in m["metadata"]]
    assert {m["metadata"]["namespace"] for m in namespaced} == {"kube-system"}
    assert {m["kind"] for m in namespaced} == {
        "ServiceAccount",
        "ConfigMap",
        "DaemonSet",
        "Deployment",
        "PodDisruptionBudget",
    }


def test_the_rbac_binds_existing_accounts_and_names_existing_calico_resources() -> None:
    manifests = calico()
    accounts = {m["metadata"]["name"] for m in by_kind(manifests, "ServiceAccount")}
    roles = {m["metadata"]["name"] for m in by_kind(manifests, "ClusterRole")}
    for binding in by_kind(manifests, "ClusterRoleBinding"):
        assert binding["roleRef"]["name"] in roles
        for subject in binding["subjects"]:
            if subject["kind"] == "ServiceAccount":
                assert (subject["name"], subject["namespace"]) in {(a, "kube-system") for a in accounts}
    plurals = {crd["spec"]["names"]["plural"] for crd in crds()}
    # Two names the release still grants for Calico's pre-CRD resources.
    legacy = {"globalfelixconfigs", "globalbgpconfigs"}
    for role in by_kind(manifests, "ClusterRole"):
        for rule in role["rules"]:
            if "crd.projectcalico.org" in rule["apiGroups"]:
                assert set(rule["resources"]) - plurals <= legacy, role["metadata"]["name"]
    node_rules = one(manifests, "ClusterRole", "calico-node")["rules"]
    token = [r for r in node_rules if r["resources"] == ["serviceaccounts/token"]]
    assert token == [
        {
            "apiGroups": [""],
            "resources": ["serviceaccounts/token"],
            "resourceNames": ["calico-cni-plugin"],
            "verbs": ["create"],
        }
    ]


@pytest.mark.parametrize(
    ("bandwidth", "chain"), [(False, ["calico", "portmap"]), (True, ["calico", "portmap", "bandwidth"])]
)
def test_the_cni_configuration_parses_and_allocates_from_the_pod_subnet(
    bandwidth: bool, chain: list[str]
) -> None:
    manifests = calico(cni_pod_subnet="192.168.0.0/16", cni_calico_bandwidth=bandwidth)
    data = one(manifests, "ConfigMap", "calico-config")["data"]
    assert all(isinstance(value, str) for value in data.values())
    assert (data["calico_backend"], data["veth_mtu"], data["typha_service_name"]) == ("bird", "0", "none")
    conf = json.loads(data["cni_network_config"])
    assert (conf["name"], conf["cniVersion"]) == ("k8s-pod-network", "1.0.0")
    assert [plugin["type"] for plugin in conf["plugins"]] == chain
    plugin = conf["plugins"][0]
    assert plugin["ipam"] == {"type": "calico-ipam", "assign_ipv4": "true", "ipv4_pools": ["192.168.0.0/16"]}
    assert (plugin["datastore_type"], plugin["mtu"]) == ("kubernetes", 0)
    # install-cni fills these in on each node.
    assert (plugin["nodename"], plugin["kubernetes"]["kubeconfig"]) == (
        "__KUBERNETES_NODE_NAME__",
        "__KUBECONFIG_FILEPATH__",
    )
    assert env_of(node_container(manifests))["CALICO_IPV4POOL_CIDR"] == "192.168.0.0/16"


def test_an_mtu_reaches_the_cni_configuration_and_felix() -> None:
    manifests = calico(cni_calico_mtu=1440)
    data = one(manifests, "ConfigMap", "calico-config")["data"]
    assert data["veth_mtu"] == "1440"
    assert json.loads(data["cni_network_config"])["plugins"][0]["mtu"] == 1440
    env = env_of(node_container(manifests))
    for name in ("FELIX_IPINIPMTU", "FELIX_VXLANMTU", "FELIX_WIREGUARDMTU"):
        assert env[name] == {"configMapKeyRef": {"name": "calico-config", "key": "veth_mtu"}}


def test_the_images_are_the_versions_roles() -> None:
    manifests = calico()
    pods = [m["spec"]["template"]["spec"] for m in manifests if m["kind"] in ("DaemonSet", "Deployment")]
    images = {
        c["name"]: c["image"] for pod in pods for c in pod.get("initContainers", []) + pod["containers"]
    }
    assert images == {
        "upgrade-ipam": VERSIONS["versions_calico_cni_image"],
        "install-cni": VERSIONS["versions_calico_cni_image"],
        "ebpf-bootstrap": VERSIONS["versions_calico_node_image"],
        "calico-node": VERSIONS["versions_calico_node_image"],
        "calico-kube-controllers": VERSIONS["versions_calico_kube_controllers_image"],
    }
    pins = [VERSIONS[f"versions_calico_{name}_image"] for name in ("cni", "node", "kube_controllers")]
    assert {pin.rsplit(":", 1)[1] for pin in pins} == {"v3.31.7"}
    assert [DEFAULTS[f"cni_calico_{name}_image"] for name in ("cni", "node", "kube_controllers")] == [
        f"{{{{ versions_calico_{name}_image }}}}" for name in ("cni", "node", "kube_controllers")
    ]


@pytest.mark.parametrize("encapsulation", sorted(ENCAPSULATIONS))
def test_each_encapsulation_sets_the_backend_and_the_pools_modes(encapsulation: str) -> None:
    manifests = calico(cni_calico_encapsulation=encapsulation)
    backend, ipip, vxlan = ENCAPSULATIONS[encapsulation]
    assert one(manifests, "ConfigMap", "calico-config")["data"]["calico_backend"] == backend
    container = node_container(manifests)
    env = env_of(container)
    assert (env["CALICO_IPV4POOL_IPIP"], env["CALICO_IPV4POOL_VXLAN"]) == (ipip, vxlan)
    assert env["CALICO_NETWORKING_BACKEND"] == {
        "configMapKeyRef": {"name": "calico-config", "key": "calico_backend"}
    }
    bird = backend == "bird"
    assert (
        container["livenessProbe"]["exec"]["command"]
        == ["/bin/calico-node", "-felix-live"] + ["-bird-live"] * bird
    )
    assert (
        container["readinessProbe"]["exec"]["command"]
        == ["/bin/calico-node", "-felix-ready"] + ["-bird-ready"] * bird
    )


def test_the_encapsulation_choices_are_documented_and_checked() -> None:
    choices = set(ENCAPSULATIONS)
    assert set(INTERNAL["cni_calico_encapsulations"]) == choices
    specs = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"][
        "options"
    ]
    assert set(specs["cni_calico_encapsulation"]["choices"]) == choices
    assert specs["cni_calico_encapsulation"]["default"] == DEFAULTS["cni_calico_encapsulation"] == "ipip"
    readme = (ROLE / "README.md").read_text()
    assert all(f"| `{choice}`" in readme for choice in choices)


def test_calico_node_runs_as_the_release_does() -> None:
    manifests = calico()
    pod = one(manifests, "DaemonSet", "calico-node")["spec"]["template"]["spec"]
    assert (pod["hostNetwork"], pod["serviceAccountName"], pod["priorityClassName"]) == (
        True,
        "calico-node",
        "system-node-critical",
    )
    assert [c["name"] for c in pod["initContainers"]] == ["upgrade-ipam", "install-cni", "ebpf-bootstrap"]
    assert all(
        c["securityContext"] == {"privileged": True} for c in pod["initContainers"] + pod["containers"]
    )
    env = env_of(node_container(manifests))
    assert {k: env[k] for k in ("DATASTORE_TYPE", "CLUSTER_TYPE", "IP", "IP_AUTODETECTION_METHOD")} == {
        "DATASTORE_TYPE": "kubernetes",
        "CLUSTER_TYPE": "k8s,bgp",
        "IP": "autodetect",
        "IP_AUTODETECTION_METHOD": "first-found",
    }
    install = pod["initContainers"][1]
    assert {e["name"]: e.get("value") for e in install["env"]}["CNI_CONF_NAME"] == "10-calico.conflist"
    mounts = {m["mountPath"]: m["name"] for m in install["volumeMounts"]}
    volumes = {v["name"]: v["hostPath"]["path"] for v in pod["volumes"]}
    assert {path: volumes[name] for path, name in mounts.items()} == {
        "/host/opt/cni/bin": "/opt/cni/bin",
        "/host/etc/cni/net.d": "/etc/cni/net.d",
    }
    controllers = one(manifests, "Deployment", "calico-kube-controllers")["spec"]
    (container,) = controllers["template"]["spec"]["containers"]
    assert container["securityContext"] == {"runAsNonRoot": True}
    assert env_of(container) == {"ENABLED_CONTROLLERS": "node,loadbalancer", "DATASTORE_TYPE": "kubernetes"}
    budget = one(manifests, "PodDisruptionBudget", "calico-kube-controllers")["spec"]
    assert budget["selector"] == controllers["selector"]
    assert budget["selector"]["matchLabels"] == controllers["template"]["metadata"]["labels"]


def test_felix_settings_go_over_the_manifests_once_each() -> None:
    manifests = calico(cni_calico_felix_env={"FELIX_IPV6SUPPORT": True, "FELIX_LOGSEVERITYSCREEN": "info"})
    env = env_of(node_container(manifests))
    assert (env["FELIX_IPV6SUPPORT"], env["FELIX_LOGSEVERITYSCREEN"]) == ("true", "info")
    assert env["FELIX_DEFAULTENDPOINTTOHOSTACTION"] == "ACCEPT"


def test_every_variable_is_a_documented_argument() -> None:
    specs = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"][
        "options"
    ]
    assert set(specs) == set(DEFAULTS)
    readme = (ROLE / "README.md").read_text()
    assert [name for name in DEFAULTS if f"| `{name}` |" not in readme] == []
    assert all(name.startswith("cni_") for name in DEFAULTS)


CHECKS = yaml.safe_load((ROLE / "tasks" / "main.yml").read_text())[0]["ansible.builtin.assert"]["that"]


@pytest.mark.parametrize(
    ("variables", "refused_by"),
    [
        ({}, []),
        ({"cni_calico_mtu": 1440, "cni_calico_felix_env": {"FELIX_LOGSEVERITYSCREEN": "info"}}, []),
        ({"cni_plugin": "cilium"}, ["cni_plugin in"]),
        ({"cni_calico_encapsulation": "gre"}, ["cni_calico_encapsulation in"]),
        ({"cni_calico_mtu": "auto"}, ["cni_calico_mtu | string"]),
        ({"cni_calico_mtu": 500}, ["cni_calico_mtu | int == 0"]),
        ({"cni_calico_felix_env": {"LOGSEVERITYSCREEN": "info"}}, ["cni_calico_felix_env.keys() | reject"]),
        ({"cni_calico_felix_env": {"FELIX_VXLANMTU": "1400"}}, ["cni_calico_felix_env.keys() | intersect"]),
    ],
)
def test_the_role_refuses_what_calico_cannot_use(variables: dict[str, Any], refused_by: list[str]) -> None:
    values = {"cni_plugin": "calico", "cni_mode": "apply", **variables}
    refused = [check for check in CHECKS if not resolve("cni", check, **values)]
    assert len(refused) == len(refused_by)
    assert all(check.startswith(prefix) for check, prefix in zip(refused, refused_by, strict=True))
