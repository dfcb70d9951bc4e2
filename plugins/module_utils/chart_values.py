# -*- coding: utf-8 -*-
# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The Helm releases of the cluster-wide stages: which chart, where, and the values computed for the target.

Pure Python (standard library only). The ingress controller is ingress-nginx (retired upstream in March
2026, kept as the default because DevStats runs it) or Traefik; both are exposed the same three ways:
bare metal as a DaemonSet on host ports 80/443 or as a NodePort Service, EKS behind a Network Load
Balancer. Every Ingress of the collection names only the class, so switching controllers moves them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Optional

TARGETS = ("none", "baremetal", "eks", "kubeconfig")
BAREMETAL_MODES = ("host-ports", "node-port")
HTTP_PORT = 80
HTTPS_PORT = 443
# The AWS cloud provider of EKS makes a Network Load Balancer for a LoadBalancer Service with these
# (the annotations ingress-nginx's own AWS manifest uses); the Local policy keeps clients' addresses.
EKS_NLB_ANNOTATIONS = {
    "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
    "service.beta.kubernetes.io/aws-load-balancer-backend-protocol": "tcp",
    "service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled": "true",
}


class ChartValuesError(ValueError):
    """A choice no chart can be configured for."""


@dataclass(frozen=True)
class Controller:
    """What other roles need to know of an ingress controller, and where its chart comes from."""

    name: str
    chart: str
    repo: str
    namespace: str
    class_name: str
    pod_labels: dict = field(default_factory=dict)


CONTROLLERS: Mapping[str, Controller] = {
    "ingress-nginx": Controller(
        name="ingress-nginx",
        chart="ingress-nginx",
        repo="https://kubernetes.github.io/ingress-nginx",
        namespace="ingress-nginx",
        class_name="nginx",
        pod_labels={"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"},
    ),
    "traefik": Controller(
        name="traefik",
        chart="traefik",
        repo="https://traefik.github.io/charts",
        namespace="traefik",
        class_name="traefik",
        pod_labels={"app.kubernetes.io/name": "traefik"},
    ),
}


def ingress_controller(name: str) -> dict[str, Any]:
    """The controller's chart, namespace, IngressClass name and pod labels."""
    if name not in CONTROLLERS:
        known = ", ".join(CONTROLLERS)
        raise ChartValuesError(f"unknown ingress controller {name!r}; expected one of {known}")
    return asdict(CONTROLLERS[name])


def _exposure(target: str, baremetal_mode: str) -> str:
    """host-ports, node-port or load-balancer: how traffic reaches the controller on this target."""
    if target not in TARGETS:
        raise ChartValuesError(f"unknown platform target {target!r}; expected one of {', '.join(TARGETS)}")
    if target == "eks":
        return "load-balancer"
    if baremetal_mode not in BAREMETAL_MODES:
        raise ChartValuesError(
            f"unknown bare-metal mode {baremetal_mode!r}; expected one of {', '.join(BAREMETAL_MODES)}"
        )
    return baremetal_mode


def _nginx_values(exposure: str, replicas: int, node_ports: Mapping[str, int], resources: Mapping) -> dict:
    controller: dict[str, Any] = {
        "ingressClass": CONTROLLERS["ingress-nginx"].class_name,
        "ingressClassResource": {
            "name": CONTROLLERS["ingress-nginx"].class_name,
            "enabled": True,
            "default": False,
            "controllerValue": "k8s.io/ingress-nginx",
        },
        # The status of every Ingress shows the address clients use (the Service or the nodes).
        "publishService": {"enabled": exposure != "host-ports"},
        "resources": dict(resources),
    }
    if exposure == "host-ports":
        controller.update(
            kind="DaemonSet",
            hostPort={"enabled": True, "ports": {"http": HTTP_PORT, "https": HTTPS_PORT}},
            service={"type": "ClusterIP"},
        )
    elif exposure == "node-port":
        controller.update(
            kind="Deployment",
            replicaCount=replicas,
            service={"type": "NodePort", "nodePorts": {key: node_ports[key] for key in ("http", "https")}},
        )
    else:
        controller.update(
            kind="Deployment",
            replicaCount=replicas,
            service={
                "type": "LoadBalancer",
                "externalTrafficPolicy": "Local",
                "annotations": dict(EKS_NLB_ANNOTATIONS),
            },
        )
    return {"controller": controller}


def _traefik_values(exposure: str, replicas: int, node_ports: Mapping[str, int], resources: Mapping) -> dict:
    values: dict[str, Any] = {
        "ingressClass": {"enabled": True, "isDefaultClass": False, "name": CONTROLLERS["traefik"].class_name},
        "providers": {
            "kubernetesIngress": {"enabled": True, "publishedService": {"enabled": exposure != "host-ports"}},
        },
        "resources": dict(resources),
    }
    if exposure == "host-ports":
        values["deployment"] = {"kind": "DaemonSet"}
        values["service"] = {"type": "ClusterIP"}
        values["ports"] = {"web": {"hostPort": HTTP_PORT}, "websecure": {"hostPort": HTTPS_PORT}}
    elif exposure == "node-port":
        values["deployment"] = {"kind": "Deployment", "replicas": replicas}
        values["service"] = {"type": "NodePort"}
        values["ports"] = {
            "web": {"nodePort": node_ports["http"]},
            "websecure": {"nodePort": node_ports["https"]},
        }
    else:
        values["deployment"] = {"kind": "Deployment", "replicas": replicas}
        values["service"] = {
            "type": "LoadBalancer",
            "annotations": dict(EKS_NLB_ANNOTATIONS),
            "spec": {"externalTrafficPolicy": "Local"},
        }
    return values


def ingress_chart_values(
    controller: str,
    target: str,
    *,
    baremetal_mode: str = "host-ports",
    replicas: int = 2,
    node_ports: Optional[Mapping[str, int]] = None,
    resources: Optional[Mapping[str, Any]] = None,
) -> dict[str, Any]:
    """The chart values of the controller for the platform target (bare metal: host ports or NodePort;
    EKS: an NLB). The targets without machines of ours (none, kubeconfig) are treated as bare metal."""
    ports = dict(node_ports or {"http": 30080, "https": 30443})
    for key in ("http", "https"):
        value = ports.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or not 30000 <= value <= 32767:
            raise ChartValuesError(
                f"node port {key}: {value!r} is not in Kubernetes' default NodePort range 30000-32767"
            )
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 1:
        raise ChartValuesError(f"replicas: {replicas!r} is not a whole number of at least 1")
    exposure = _exposure(target, baremetal_mode)
    builders = {"ingress-nginx": _nginx_values, "traefik": _traefik_values}
    ingress_controller(controller)
    return builders[controller](exposure, replicas, ports, resources or {})


def cert_manager_chart_values(resources: Optional[Mapping[str, Any]] = None) -> dict[str, Any]:
    """cert-manager with its CRDs, kept when the release is uninstalled (deleting them would delete
    every Certificate and issuer with them)."""
    return {"crds": {"enabled": True, "keep": True}, "resources": dict(resources or {})}
