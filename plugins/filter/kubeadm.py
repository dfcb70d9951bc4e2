"""Filters of the kubeadm role: its configuration documents, join parsing and version reports."""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

from ..module_utils import kubeadm_config


def _call(function: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return function(*args, **kwargs)
    except kubeadm_config.KubeadmConfigError as error:
        raise AnsibleFilterError(str(error)) from error


def kubeadm_config_api_version(version: str) -> str:
    """kubeadm.k8s.io/v1beta4, v1beta3 or v1beta2: what the target kubeadm reads."""
    return _call(kubeadm_config.config_api_version, version)


def kubeadm_minor(version: str) -> str:
    """1.34 of 1.34.3: the pkgs.k8s.io repository of the version."""
    major, minor = _call(kubeadm_config.parse_version, version)[:2]
    return f"{major}.{minor}"


def kubeadm_init_documents(settings: dict, node: dict) -> list:
    """InitConfiguration, ClusterConfiguration, KubeletConfiguration, KubeProxyConfiguration."""
    return _call(kubeadm_config.init_documents, settings, node)


def kubeadm_join_documents(settings: dict, node: dict, join: dict, certificate_key: str = "") -> list:
    """The JoinConfiguration of a node, from the parsed join command (and the certificate key of a
    control-plane join)."""
    return _call(
        kubeadm_config.join_documents,
        settings,
        node,
        api_server_endpoint=join.get("api_server_endpoint", ""),
        token=join.get("token", ""),
        ca_cert_hashes=join.get("ca_cert_hashes", []),
        certificate_key=certificate_key,
    )


def kubeadm_join_command(output: str) -> dict:
    """Endpoint, token and CA hashes of `kubeadm token create --print-join-command`."""
    return _call(kubeadm_config.parse_join_command, output)


def kubeadm_certificate_key(output: str) -> str:
    """The certificate key `kubeadm init phase upload-certs --upload-certs` printed."""
    return _call(kubeadm_config.certificate_key_from, output)


def kubeadm_version_change(installed: str, pinned: str) -> str:
    """Why an installed Kubernetes differs from the pin, or ''."""
    return _call(kubeadm_config.version_change, installed, pinned)


class FilterModule:
    """The kubeadm role's filters."""

    def filters(self) -> dict:
        return {
            "kubeadm_config_api_version": kubeadm_config_api_version,
            "kubeadm_minor": kubeadm_minor,
            "kubeadm_init_documents": kubeadm_init_documents,
            "kubeadm_join_documents": kubeadm_join_documents,
            "kubeadm_join_command": kubeadm_join_command,
            "kubeadm_certificate_key": kubeadm_certificate_key,
            "kubeadm_version_change": kubeadm_version_change,
        }
