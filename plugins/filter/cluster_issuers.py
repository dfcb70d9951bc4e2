"""Filters of the cert_manager role: the platform's ClusterIssuers."""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.devstats.platform.plugins.module_utils.cluster_issuers import (
    ClusterIssuerError,
    acme_cluster_issuer,
    self_signed_cluster_issuer,
)


def cert_manager_acme_issuer(name: str, server: str, email: str, ingress_class: str) -> dict[str, Any]:
    """The ClusterIssuer `name` for the ACME directory `server`."""
    try:
        return acme_cluster_issuer(name, server, email, ingress_class)
    except ClusterIssuerError as error:
        raise AnsibleFilterError(str(error)) from error


class FilterModule:
    """ClusterIssuer filters."""

    def filters(self) -> dict[str, Any]:
        return {
            "cert_manager_acme_issuer": cert_manager_acme_issuer,
            "cert_manager_self_signed_issuer": self_signed_cluster_issuer,
        }
