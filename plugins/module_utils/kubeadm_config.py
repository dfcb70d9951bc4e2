# -*- coding: utf-8 -*-
# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The kubeadm configuration of a node, in the config API version the target Kubernetes reads.

Pure functions behind the kubeadm role's filters: the role passes the inventory's settings, these return
the documents its templates write whole (InitConfiguration, ClusterConfiguration, KubeletConfiguration,
KubeProxyConfiguration for the first control-plane node; JoinConfiguration for the others). Nothing here
reads a host or a secret store; join secrets are passed in by the role and end in a file only.

API versions (kubeadm's own support windows): v1beta2 is read by kubeadm 1.15 to 1.25 and is what the
1.20 toolchain built on this machine understands; v1beta3 by 1.22 to 1.30 as the preferred one; v1beta4
from 1.31, where extra arguments became lists of name/value pairs (so a flag may repeat).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

KUBEADM_GROUP = "kubeadm.k8s.io"
KUBELET_API = "kubelet.config.k8s.io/v1beta1"
KUBE_PROXY_API = "kubeproxy.config.k8s.io/v1alpha1"
_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+].*)?$")
# The oldest minor each API version is generated for, newest first.
_API_VERSIONS = ((31, "v1beta4"), (22, "v1beta3"), (15, "v1beta2"))
PROXY_MODES = ("iptables", "ipvs", "nftables")


class KubeadmConfigError(ValueError):
    """Settings the kubeadm configuration cannot be generated from."""


def parse_version(version: Any) -> tuple[int, int, int]:
    """(major, minor, patch) of 1.34.3, v1.20.2 or 1.31; patch 0 when absent."""
    match = _VERSION.match(str(version).strip()) if isinstance(version, (str, int, float)) else None
    if not match:
        raise KubeadmConfigError(f"{version!r} is not a Kubernetes version such as 1.34.3")
    return int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)


def config_api_version(kubernetes_version: Any) -> str:
    """kubeadm.k8s.io/v1beta4 from 1.31, v1beta3 for 1.22-1.30, v1beta2 for 1.15-1.21."""
    major, minor = parse_version(kubernetes_version)[:2]
    if major == 1:
        for oldest, api in _API_VERSIONS:
            if minor >= oldest:
                return f"{KUBEADM_GROUP}/{api}"
    raise KubeadmConfigError(
        f"Kubernetes {kubernetes_version} is older than 1.15: no kubeadm config API is generated for it"
    )


def _extra_args(api_version: str, args: Mapping[str, Any]) -> Any:
    """v1beta4 takes [{name, value}] (sorted by name, so the file is stable); older ones a map."""
    flat = {str(name): str(value) for name, value in sorted(args.items())}
    if api_version.endswith("v1beta4"):
        return [{"name": name, "value": value} for name, value in flat.items()]
    return flat


def _cri_socket(api_version: str, socket: str) -> str:
    """kubeadm from 1.24 wants a URL scheme; 1.20's kubeadm keeps the path as given and passes it to
    crictl and the kubelet, which read unix:// as well, so the scheme is added everywhere."""
    return socket if "://" in socket else f"unix://{socket}"


def _node_registration(api_version: str, node: Mapping[str, Any]) -> dict[str, Any]:
    registration: dict[str, Any] = {
        "name": node["name"],
        "criSocket": _cri_socket(api_version, node["cri_socket"]),
    }
    kubelet_args = dict(node.get("kubelet_extra_args") or {})
    if node.get("address"):
        kubelet_args.setdefault("node-ip", node["address"])
    if kubelet_args:
        registration["kubeletExtraArgs"] = _extra_args(api_version, kubelet_args)
    return registration


def _endpoint(node: Mapping[str, Any], bind_port: int) -> dict[str, Any]:
    endpoint: dict[str, Any] = {"bindPort": bind_port}
    if node.get("address"):
        endpoint["advertiseAddress"] = node["address"]
    return endpoint


def _check(settings: Mapping[str, Any], node: Mapping[str, Any]) -> None:
    required = ("kubernetes_version", "cluster_name", "pod_subnet", "service_subnet")
    missing = [key for key in required if not settings.get(key)]
    missing += [f"node.{key}" for key in ("name", "cri_socket") if not node.get(key)]
    if missing:
        raise KubeadmConfigError(f"missing kubeadm setting(s): {', '.join(missing)}")
    if settings.get("proxy_mode", "iptables") not in PROXY_MODES:
        raise KubeadmConfigError(
            f"proxy_mode {settings['proxy_mode']!r}: expected one of {', '.join(PROXY_MODES)}"
        )


def cluster_configuration(settings: Mapping[str, Any], api_version: str) -> dict[str, Any]:
    version = "v{}.{}.{}".format(*parse_version(settings["kubernetes_version"]))
    cluster: dict[str, Any] = {
        "apiVersion": api_version,
        "kind": "ClusterConfiguration",
        "clusterName": settings["cluster_name"],
        "kubernetesVersion": version,
        "networking": {
            "podSubnet": settings["pod_subnet"],
            "serviceSubnet": settings["service_subnet"],
            "dnsDomain": settings.get("dns_domain") or "cluster.local",
        },
        "etcd": {"local": {"dataDir": settings.get("etcd_data_dir") or "/var/lib/etcd"}},
        "certificatesDir": settings.get("certificates_dir") or "/etc/kubernetes/pki",
    }
    if settings.get("control_plane_endpoint"):
        cluster["controlPlaneEndpoint"] = settings["control_plane_endpoint"]
    if settings.get("image_repository"):
        cluster["imageRepository"] = settings["image_repository"]
    api_server: dict[str, Any] = {}
    if settings.get("cert_sans"):
        api_server["certSANs"] = list(settings["cert_sans"])
    if settings.get("api_server_extra_args"):
        api_server["extraArgs"] = _extra_args(api_version, settings["api_server_extra_args"])
    if api_server:
        cluster["apiServer"] = api_server
    return cluster


def kubelet_configuration(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The systemd cgroup driver (containerd is configured with SystemdCgroup = true, and both must agree)."""
    kubelet: dict[str, Any] = {
        "apiVersion": KUBELET_API,
        "kind": "KubeletConfiguration",
        "cgroupDriver": "systemd",
        "rotateCertificates": True,
    }
    # The field exists from kubelet 1.27; before, kubeadm passes the endpoint as a flag.
    if parse_version(settings["kubernetes_version"])[:2] >= (1, 27) and settings.get("cri_socket"):
        kubelet["containerRuntimeEndpoint"] = _cri_socket("", settings["cri_socket"])
    return kubelet


def kube_proxy_configuration(settings: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": KUBE_PROXY_API,
        "kind": "KubeProxyConfiguration",
        "mode": settings.get("proxy_mode") or "iptables",
        "clusterCIDR": settings["pod_subnet"],
    }


def init_documents(settings: Mapping[str, Any], node: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The configuration of `kubeadm init` on the first control-plane node: four documents. No bootstrap
    token is written: joins create theirs on demand, so none lies in this file."""
    _check(settings, node)
    api_version = config_api_version(settings["kubernetes_version"])
    bind_port = int(settings.get("bind_port") or 6443)
    init = {
        "apiVersion": api_version,
        "kind": "InitConfiguration",
        "bootstrapTokens": [],
        "localAPIEndpoint": _endpoint(node, bind_port),
        "nodeRegistration": _node_registration(api_version, node),
    }
    return [
        init,
        cluster_configuration(settings, api_version),
        kubelet_configuration({**settings, "cri_socket": node["cri_socket"]}),
        kube_proxy_configuration(settings),
    ]


def join_documents(
    settings: Mapping[str, Any],
    node: Mapping[str, Any],
    *,
    api_server_endpoint: str,
    token: str,
    ca_cert_hashes: Sequence[str],
    certificate_key: str = "",
) -> list[dict[str, Any]]:
    """The configuration of `kubeadm join`: a worker with token and CA hash, a control-plane node also
    with the key of the certificates `kubeadm init phase upload-certs` stored in the cluster."""
    _check(settings, node)
    if not (api_server_endpoint and token and ca_cert_hashes):
        raise KubeadmConfigError("a join needs the API server endpoint, a bootstrap token and the CA hash")
    api_version = config_api_version(settings["kubernetes_version"])
    join: dict[str, Any] = {
        "apiVersion": api_version,
        "kind": "JoinConfiguration",
        "discovery": {
            "bootstrapToken": {
                "apiServerEndpoint": api_server_endpoint,
                "token": token,
                "caCertHashes": list(ca_cert_hashes),
            }
        },
        "nodeRegistration": _node_registration(api_version, node),
    }
    if certificate_key:
        join["controlPlane"] = {
            "localAPIEndpoint": _endpoint(node, int(settings.get("bind_port") or 6443)),
            "certificateKey": certificate_key,
        }
    return [join]


def version_change(installed: str, pinned: str) -> str:
    """Why the installed Kubernetes differs from the pin ('' when it does not): upgrades are not done
    by this collection, so the role reports this and changes nothing on that node. `installed` is what
    `kubelet --version` prints ("Kubernetes v1.34.3"), or empty when no kubelet is installed."""
    if not installed.strip():
        return ""
    have, want = parse_version(installed.rsplit(maxsplit=1)[-1]), parse_version(pinned)
    if have == want:
        return ""
    direction = "an upgrade" if want > have else "a downgrade"
    return (
        "this node runs Kubernetes {} and the inventory pins {}: {} is not applied by this collection "
        "(use kubeadm upgrade by hand, then change versions_kubernetes); the node is left as it is".format(
            "{}.{}.{}".format(*have), "{}.{}.{}".format(*want), direction
        )
    )


_TOKEN = re.compile(r"^[a-z0-9]{6}\.[a-z0-9]{16}$")
_CA_HASH = re.compile(r"^sha256:[0-9a-f]{64}$")
_CERTIFICATE_KEY = re.compile(r"^[0-9a-f]{64}$")


def parse_join_command(output: str) -> dict[str, Any]:
    """The endpoint, token and CA hashes of `kubeadm token create --print-join-command`, so the join is
    written to a file instead of a command line (which ps and logs would show)."""
    words = output.split()
    try:
        start = words.index("join")
    except ValueError:
        raise KubeadmConfigError("no 'kubeadm join' command in the output of kubeadm token create") from None
    endpoint, token, hashes = words[start + 1] if len(words) > start + 1 else "", "", []
    for index in range(start, len(words) - 1):
        flag, value = words[index], words[index + 1]
        if flag == "--token":
            token = value
        elif flag == "--discovery-token-ca-cert-hash":
            hashes.append(value)
    if (
        endpoint.startswith("--")
        or not _TOKEN.match(token)
        or not hashes
        or not all(map(_CA_HASH.match, hashes))
    ):
        # The output holds a secret: the message says what is missing, never the text.
        raise KubeadmConfigError(
            "the join command printed by kubeadm lacks an endpoint, a token or a CA hash"
        )
    return {"api_server_endpoint": endpoint, "token": token, "ca_cert_hashes": hashes}


def certificate_key_from(output: str) -> str:
    """The key `kubeadm init phase upload-certs --upload-certs` prints on its last line."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    if not lines or not _CERTIFICATE_KEY.match(lines[-1]):
        raise KubeadmConfigError("kubeadm init phase upload-certs printed no certificate key")
    return lines[-1]
