# -*- coding: utf-8 -*-
# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The bare-metal part of the inventory model (docs/inventory.md): the kubeadm cluster's name, networks,
API endpoint and network add-on, and the kubeconfig the cluster stage writes for the later stages."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from typing import Any, Callable, Optional

from .inventory_values import (
    Report,
    Unresolved,
    check_platform_values,
    dns_label_problem,
    dns_name_problem,
    one_of,
    show,
)

# The network add-ons the cni role provides (Flannel is the default).
CNI_PLUGINS = ("flannel", "calico")
BAREMETAL_DEFAULTS = {
    "baremetal_cluster_name": "devstats",
    "pod_subnet": "10.244.0.0/16",
    "service_subnet": "10.96.0.0/12",
    "cni": "flannel",
}
# Where the bare-metal cluster stage writes the admin kubeconfig the later stages read, unless
# platform_kubeconfig says; kubeadm names its context after the cluster.
BAREMETAL_KUBECONFIG = "~/.kube/devstats-{name}.yaml"
BAREMETAL_CONTEXT = "kubernetes-admin@{name}"
CONTROL_PLANE_GROUP = "kube_control_plane"
_PORT = re.compile(r"^(.+):([0-9]{1,5})$")


def cluster_name_problem(value: Any) -> Optional[str]:
    """A DNS-1123 label: kubeadm's clusterName, the kubeconfig's context and file name."""
    return dns_label_problem(value)


def _network(value: Any) -> Optional[ipaddress.IPv4Network]:
    if not isinstance(value, str):
        return None
    try:
        return ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        return None


def subnet_problem(value: Any) -> Optional[str]:
    """An IPv4 network in CIDR notation, prefix /8 to /24 (room for the nodes' /24 pod ranges)."""
    network = _network(value)
    if network and 8 <= network.prefixlen <= 24:
        return None
    return f"{show(value)} is not an IPv4 network such as '10.244.0.0/16' (prefix /8 to /24, host bits zero)"


def endpoint_problem(value: Any) -> Optional[str]:
    """host or host:port: a DNS name or IPv4 address, port 1-65535."""
    expected = "expected a DNS name or IPv4 address, optionally with ':port' (e.g. 'k8s.example.org:6443')"
    if not isinstance(value, str) or not value:
        return f"{show(value)} is not an API endpoint; {expected}"
    match = _PORT.match(value)
    host, port = (match.group(1), int(match.group(2))) if match else (value, 6443)
    try:
        ipaddress.IPv4Address(host)
        host_ok = True
    except ValueError:
        host_ok = dns_name_problem(host) is None
    if host_ok and 1 <= port <= 65535:
        return None
    return f"{show(value)} is not an API endpoint; {expected}"


BAREMETAL_PLATFORM_CHECKS: Mapping[str, Callable[[Any], Optional[str]]] = {
    "platform_baremetal_cluster_name": cluster_name_problem,
    "platform_pod_subnet": subnet_problem,
    "platform_service_subnet": subnet_problem,
    "platform_control_plane_endpoint": endpoint_problem,
    "platform_cni": one_of(CNI_PLUGINS),
}


def _check_subnets(report: Report, platform: Mapping[str, Any]) -> None:
    pods, services = _network(platform.get("pod_subnet")), _network(platform.get("service_subnet"))
    if pods and services and pods.overlaps(services):
        report.add(
            "platform",
            "platform_service_subnet",
            f"{show(str(services))} overlaps the pod subnet {show(str(pods))}; expected separate networks",
        )


def check_baremetal(
    report: Report, raw: Mapping[str, Any], target: Optional[str], groups: Mapping[str, Sequence[str]]
) -> dict:
    """The bare-metal settings (keys without the platform_ prefix), the defaults filled in for the
    baremetal target, including the kubeconfig the cluster stage writes and its context. Every bare-metal
    variable is checked whatever the target, so a typo never waits for the day it is used."""
    platform: dict = dict(BAREMETAL_DEFAULTS) if target == "baremetal" else {}
    platform.update(check_platform_values(report, raw, BAREMETAL_PLATFORM_CHECKS))
    _check_subnets(report, platform)
    if target != "baremetal":
        return platform
    name = platform["baremetal_cluster_name"]
    if isinstance(name, str) and not isinstance(name, Unresolved):
        platform["kubeconfig"] = BAREMETAL_KUBECONFIG.format(name=name)
        platform["kubeconfig_context"] = BAREMETAL_CONTEXT.format(name=name)
    # Several API servers need one address in front of them, or the nodes would follow the first only.
    control_planes = len(groups.get(CONTROL_PLANE_GROUP) or ())
    if control_planes > 1 and "platform_control_plane_endpoint" not in raw:
        report.add(
            "platform",
            "platform_control_plane_endpoint",
            f"is required with {control_planes} hosts in the group '{CONTROL_PLANE_GROUP}': "
            "the address of a load balancer in front of their API servers (host:port)",
        )
    return platform
