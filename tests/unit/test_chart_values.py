"""The chart values of the ingress controller per target, cert-manager's, and the ClusterIssuers."""

from __future__ import annotations

import pytest

from plugins.module_utils.chart_values import (
    EKS_NLB_ANNOTATIONS,
    ChartValuesError,
    cert_manager_chart_values,
    ingress_chart_values,
    ingress_controller,
)
from plugins.module_utils.cluster_issuers import ClusterIssuerError, acme_cluster_issuer


def test_ingress_nginx_on_bare_metal_host_ports_is_a_daemonset_on_80_and_443() -> None:
    controller = ingress_chart_values("ingress-nginx", "baremetal", baremetal_mode="host-ports")["controller"]
    assert controller["kind"] == "DaemonSet"
    assert controller["hostPort"] == {"enabled": True, "ports": {"http": 80, "https": 443}}
    assert controller["service"] == {"type": "ClusterIP"}
    assert controller["ingressClassResource"]["name"] == controller["ingressClass"] == "nginx"
    assert controller["publishService"] == {"enabled": False}


def test_ingress_nginx_on_bare_metal_node_port() -> None:
    controller = ingress_chart_values(
        "ingress-nginx",
        "baremetal",
        baremetal_mode="node-port",
        replicas=3,
        node_ports={"http": 31080, "https": 31443},
    )["controller"]
    assert controller["kind"] == "Deployment" and controller["replicaCount"] == 3
    assert controller["service"] == {"type": "NodePort", "nodePorts": {"http": 31080, "https": 31443}}
    assert "hostPort" not in controller


def test_ingress_nginx_on_eks_is_behind_an_nlb() -> None:
    controller = ingress_chart_values("ingress-nginx", "eks", baremetal_mode="host-ports")["controller"]
    assert controller["kind"] == "Deployment"
    assert controller["service"]["type"] == "LoadBalancer"
    assert controller["service"]["annotations"]["service.beta.kubernetes.io/aws-load-balancer-type"] == "nlb"
    assert controller["service"]["externalTrafficPolicy"] == "Local"


def test_traefik_per_target() -> None:
    host = ingress_chart_values("traefik", "baremetal")
    assert host["deployment"] == {"kind": "DaemonSet"}
    assert host["ports"] == {"web": {"hostPort": 80}, "websecure": {"hostPort": 443}}
    assert host["ingressClass"] == {"enabled": True, "isDefaultClass": False, "name": "traefik"}
    node = ingress_chart_values("traefik", "kubeconfig", baremetal_mode="node-port")
    assert node["service"] == {"type": "NodePort"}
    assert node["ports"]["websecure"] == {"nodePort": 30443}
    eks = ingress_chart_values("traefik", "eks")
    assert eks["service"]["annotations"] == EKS_NLB_ANNOTATIONS
    assert eks["service"]["spec"] == {"externalTrafficPolicy": "Local"}
    assert "ports" not in eks


def test_controllers_name_their_class_namespace_and_pods() -> None:
    assert ingress_controller("ingress-nginx")["class_name"] == "nginx"
    assert ingress_controller("traefik")["namespace"] == "traefik"
    assert ingress_controller("traefik")["pod_labels"] == {"app.kubernetes.io/name": "traefik"}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"controller": "haproxy", "target": "eks"}, "unknown ingress controller 'haproxy'"),
        ({"controller": "traefik", "target": "gke"}, "unknown platform target 'gke'"),
        (
            {"controller": "traefik", "target": "baremetal", "baremetal_mode": "hostport"},
            "unknown bare-metal mode",
        ),
        (
            {"controller": "traefik", "target": "baremetal", "node_ports": {"http": 80, "https": 30443}},
            "node port http",
        ),
        ({"controller": "traefik", "target": "eks", "replicas": 0}, "replicas: 0"),
    ],
)
def test_bad_choices_are_refused(arguments: dict, message: str) -> None:
    with pytest.raises(ChartValuesError, match=message):
        ingress_chart_values(**arguments)


def test_cert_manager_installs_and_keeps_its_crds() -> None:
    assert cert_manager_chart_values({"limits": {"memory": "1Gi"}}) == {
        "crds": {"enabled": True, "keep": True},
        "resources": {"limits": {"memory": "1Gi"}},
    }


def test_acme_issuer_goes_through_the_ingress_class() -> None:
    issuer = acme_cluster_issuer("le", "https://acme.example/dir", "a@b.org", "traefik")
    acme = issuer["spec"]["acme"]
    assert acme["solvers"] == [{"http01": {"ingress": {"ingressClassName": "traefik"}}}]
    assert acme["email"] == "a@b.org" and acme["privateKeySecretRef"] == {"name": "le-account-key"}
    assert "email" not in acme_cluster_issuer("le", "https://x/", "", "nginx")["spec"]["acme"]
    with pytest.raises(ClusterIssuerError, match="not an https URL"):
        acme_cluster_issuer("le", "http://x/", "", "nginx")
