"""The bare-metal part of the inventory model, and the rule that every stage names its cluster."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from plugins.module_utils import inventory_model as model
from tests.support.inventory_models import ONE_FOUNDATION

NOW = datetime.datetime(2026, 1, 1, 12, tzinfo=datetime.UTC)
FOUNDATIONS = ONE_FOUNDATION
GROUPS = {"kube_control_plane": ["cp1"], "kube_nodes": ["cp1", "w1"]}


def platform(target: str = "baremetal", **variables: Any) -> dict[str, Any]:
    raw = {"platform_target": target, "platform_letsencrypt_email": "admins@example.org"}
    raw.update({key: value for key, value in variables.items() if value is not None})
    return raw


def validate(raw: dict[str, Any], groups: dict[str, list[str]] | None = None) -> model.Model:
    return model.validate_inventory(FOUNDATIONS, raw, GROUPS if groups is None else groups, now=NOW)


def test_the_baremetal_defaults_name_the_kubeconfig_the_cluster_stage_writes() -> None:
    result = validate(platform())
    assert result.errors == []
    assert {
        key: result.platform[key] for key in ("baremetal_cluster_name", "pod_subnet", "service_subnet", "cni")
    } == {
        "baremetal_cluster_name": "devstats",
        "pod_subnet": "10.244.0.0/16",
        "service_subnet": "10.96.0.0/12",
        "cni": "flannel",
    }
    assert result.platform["kubeconfig"] == "~/.kube/devstats-devstats.yaml"
    assert result.platform["kubeconfig_context"] == "kubernetes-admin@devstats"


def test_the_inventory_overrides_them() -> None:
    result = validate(
        platform(
            platform_baremetal_cluster_name="lab",
            platform_cni="calico",
            platform_pod_subnet="192.168.0.0/16",
            platform_kubeconfig="/srv/lab.yaml",
        )
    )
    assert result.errors == []
    assert (result.platform["cni"], result.platform["pod_subnet"]) == ("calico", "192.168.0.0/16")
    assert (result.platform["kubeconfig"], result.platform["kubeconfig_context"]) == (
        "/srv/lab.yaml",
        "kubernetes-admin@lab",
    )


@pytest.mark.parametrize(
    ("variables", "error"),
    [
        (
            {"platform_pod_subnet": "10.244.0.1/16"},
            "platform, field 'platform_pod_subnet': '10.244.0.1/16' is not an IPv4 network such as "
            "'10.244.0.0/16' (prefix /8 to /24, host bits zero)",
        ),
        (
            {"platform_service_subnet": "10.244.128.0/20"},
            "platform, field 'platform_service_subnet': '10.244.128.0/20' overlaps the pod subnet "
            "'10.244.0.0/16'; expected separate networks",
        ),
        (
            {"platform_cni": "cilium"},
            "platform, field 'platform_cni': 'cilium' is not one of flannel, calico",
        ),
        (
            {"platform_baremetal_cluster_name": "Dev_Stats"},
            "platform, field 'platform_baremetal_cluster_name'",
        ),
        (
            {"platform_control_plane_endpoint": "k8s.example.org:99999"},
            "platform, field 'platform_control_plane_endpoint': 'k8s.example.org:99999' is not an API ",
        ),
        (
            {"platform_kubeconfig_context": "prod"},
            "platform, field 'platform_kubeconfig_context': is only for platform_target 'kubeconfig'; with "
            "'baremetal' the cluster stage writes the kubeconfig and its one context",
        ),
    ],
)
def test_bad_baremetal_settings_are_named(variables: dict[str, Any], error: str) -> None:
    errors = validate(platform(**variables)).errors
    assert len(errors) == 1, errors
    assert errors[0].startswith(error)


def test_endpoints_may_be_names_or_addresses_with_or_without_port() -> None:
    for endpoint in ("k8s.example.org", "k8s.example.org:443", "192.0.2.10:6443"):
        assert validate(platform(platform_control_plane_endpoint=endpoint)).errors == []


def test_several_control_plane_nodes_need_an_endpoint_in_front() -> None:
    groups = {"kube_control_plane": ["cp1", "cp2", "cp3"], "kube_nodes": ["cp1", "cp2", "cp3"]}
    assert validate(platform(), groups).errors == [
        "platform, field 'platform_control_plane_endpoint': is required with 3 hosts in the group "
        "'kube_control_plane': the address of a load balancer in front of their API servers (host:port)"
    ]
    assert validate(platform(platform_control_plane_endpoint="lb.example.org:6443"), groups).errors == []


def test_an_existing_cluster_is_named_by_kubeconfig_and_context() -> None:
    errors = validate(platform("kubeconfig", platform_kubeconfig="~/.kube/config")).errors
    assert errors == [
        "platform, field 'platform_kubeconfig_context': is required with platform_target 'kubeconfig'"
    ]
    named = validate(
        platform("kubeconfig", platform_kubeconfig="~/.kube/config", platform_kubeconfig_context="prod"), {}
    )
    assert named.errors == []
    assert (named.platform["kubeconfig"], named.platform["kubeconfig_context"]) == ("~/.kube/config", "prod")


def test_other_targets_get_no_baremetal_defaults() -> None:
    result = validate(platform("none"), {})
    assert result.errors == []
    assert "cni" not in result.platform and "kubeconfig" not in result.platform
