"""kubeadm_config: the config API version per Kubernetes version, the documents, join and version parsing."""

from __future__ import annotations

import pytest

from plugins.module_utils.kubeadm_config import (
    KubeadmConfigError,
    certificate_key_from,
    config_api_version,
    init_documents,
    join_documents,
    parse_join_command,
    version_change,
)

SETTINGS = {
    "kubernetes_version": "1.34.3",
    "cluster_name": "devstats",
    "pod_subnet": "10.244.0.0/16",
    "service_subnet": "10.96.0.0/12",
    "control_plane_endpoint": "cp.example.org:6443",
    "api_server_extra_args": {"profiling": "false", "audit-log-maxage": 7},
    "cert_sans": ["cp.example.org"],
}
NODE = {"name": "cp1", "cri_socket": "/run/containerd/containerd.sock", "address": "192.0.2.10"}
TOKEN = "abcdef.0123456789abcdef"
HASH = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("version", "api"),
    [
        ("1.20.2", "v1beta2"),
        ("v1.21.14", "v1beta2"),
        ("1.22.0", "v1beta3"),
        ("1.30.9", "v1beta3"),
        ("1.31.0", "v1beta4"),
        ("1.34.3", "v1beta4"),
        ("1.35", "v1beta4"),
        ("2.0.0", None),
        ("1.14.10", None),
        ("latest", None),
    ],
)
def test_the_api_version_is_the_one_the_target_kubeadm_reads(version: str, api: str | None) -> None:
    if api is None:
        with pytest.raises(KubeadmConfigError):
            config_api_version(version)
    else:
        assert config_api_version(version) == f"kubeadm.k8s.io/{api}"


def test_init_writes_the_four_documents_and_no_token() -> None:
    init, cluster, kubelet, proxy = init_documents(SETTINGS, NODE)
    assert [d["kind"] for d in (init, cluster, kubelet, proxy)] == [
        "InitConfiguration",
        "ClusterConfiguration",
        "KubeletConfiguration",
        "KubeProxyConfiguration",
    ]
    assert init["bootstrapTokens"] == []
    assert init["localAPIEndpoint"] == {"advertiseAddress": "192.0.2.10", "bindPort": 6443}
    assert init["nodeRegistration"] == {
        "name": "cp1",
        "criSocket": "unix:///run/containerd/containerd.sock",
        "kubeletExtraArgs": [{"name": "node-ip", "value": "192.0.2.10"}],
    }
    assert cluster["kubernetesVersion"] == "v1.34.3"
    assert cluster["controlPlaneEndpoint"] == "cp.example.org:6443"
    assert cluster["networking"] == {
        "podSubnet": "10.244.0.0/16",
        "serviceSubnet": "10.96.0.0/12",
        "dnsDomain": "cluster.local",
    }
    # v1beta4: name/value lists, sorted, values as strings.
    assert cluster["apiServer"]["extraArgs"] == [
        {"name": "audit-log-maxage", "value": "7"},
        {"name": "profiling", "value": "false"},
    ]
    assert kubelet["cgroupDriver"] == "systemd"
    assert kubelet["containerRuntimeEndpoint"] == "unix:///run/containerd/containerd.sock"
    assert proxy == {
        "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
        "kind": "KubeProxyConfiguration",
        "mode": "iptables",
        "clusterCIDR": "10.244.0.0/16",
    }


def test_older_apis_take_maps_and_old_kubelets_no_endpoint_field() -> None:
    init, cluster, kubelet, _ = init_documents({**SETTINGS, "kubernetes_version": "1.20.2"}, NODE)
    assert init["apiVersion"] == cluster["apiVersion"] == "kubeadm.k8s.io/v1beta2"
    assert init["nodeRegistration"]["kubeletExtraArgs"] == {"node-ip": "192.0.2.10"}
    assert cluster["apiServer"]["extraArgs"] == {"audit-log-maxage": "7", "profiling": "false"}
    assert "containerRuntimeEndpoint" not in kubelet


def test_a_node_without_address_lets_kubeadm_choose() -> None:
    init = init_documents(
        {"kubernetes_version": "1.30.1", **{k: SETTINGS[k] for k in SETTINGS if k != "kubernetes_version"}},
        {"name": "n", "cri_socket": "unix:///x.sock"},
    )[0]
    assert init["localAPIEndpoint"] == {"bindPort": 6443}
    assert "kubeletExtraArgs" not in init["nodeRegistration"]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({**SETTINGS, "pod_subnet": ""}, "pod_subnet"),
        ({**SETTINGS, "proxy_mode": "userspace"}, "proxy_mode 'userspace'"),
    ],
)
def test_settings_it_cannot_use_are_refused(settings: dict, message: str) -> None:
    with pytest.raises(KubeadmConfigError, match=message):
        init_documents(settings, NODE)


def test_a_worker_joins_with_token_and_hash_a_control_plane_node_also_with_the_key() -> None:
    [worker] = join_documents(
        SETTINGS, NODE, api_server_endpoint="cp:6443", token=TOKEN, ca_cert_hashes=[HASH]
    )
    assert worker["kind"] == "JoinConfiguration"
    assert worker["discovery"] == {
        "bootstrapToken": {"apiServerEndpoint": "cp:6443", "token": TOKEN, "caCertHashes": [HASH]}
    }
    assert "controlPlane" not in worker
    [member] = join_documents(
        SETTINGS,
        NODE,
        api_server_endpoint="cp:6443",
        token=TOKEN,
        ca_cert_hashes=[HASH],
        certificate_key="f" * 64,
    )
    assert member["controlPlane"] == {
        "localAPIEndpoint": {"advertiseAddress": "192.0.2.10", "bindPort": 6443},
        "certificateKey": "f" * 64,
    }
    with pytest.raises(KubeadmConfigError):
        join_documents(SETTINGS, NODE, api_server_endpoint="cp:6443", token="", ca_cert_hashes=[HASH])


def test_the_printed_join_command_is_parsed_and_its_secret_never_echoed() -> None:
    output = f"kubeadm join 192.0.2.10:6443 --token {TOKEN} --discovery-token-ca-cert-hash {HASH} \n"
    assert parse_join_command(output) == {
        "api_server_endpoint": "192.0.2.10:6443",
        "token": TOKEN,
        "ca_cert_hashes": [HASH],
    }
    with pytest.raises(KubeadmConfigError) as error:
        parse_join_command(f"kubeadm join 192.0.2.10:6443 --token {TOKEN}")
    assert TOKEN not in str(error.value)
    with pytest.raises(KubeadmConfigError):
        parse_join_command("error: no")


def test_the_certificate_key_is_the_last_line() -> None:
    key = "0123456789abcdef" * 4
    assert (
        certificate_key_from(
            f"[upload-certs] Storing the certificates\n[upload-certs] Using certificate key:\n{key}\n"
        )
        == key
    )
    with pytest.raises(KubeadmConfigError):
        certificate_key_from("[upload-certs] Skipping phase\n")


def test_a_version_change_is_described_not_applied() -> None:
    assert version_change("", "1.34.3") == ""
    assert version_change("v1.34.3", "1.34.3") == ""
    assert "runs Kubernetes 1.33.5 and the inventory pins 1.34.3: an upgrade" in version_change(
        "Kubernetes v1.33.5", "1.34.3"
    )
    assert "a downgrade" in version_change("1.35.0", "1.34.3")
