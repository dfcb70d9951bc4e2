# -*- coding: utf-8 -*-
# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""cert-manager ClusterIssuers of the platform: Let's Encrypt over ACME HTTP-01, and self-signed."""

from __future__ import annotations

from typing import Any

API_VERSION = "cert-manager.io/v1"


class ClusterIssuerError(ValueError):
    """An issuer that cannot work as asked."""


def acme_cluster_issuer(name: str, server: str, email: str, ingress_class: str) -> dict[str, Any]:
    """A ClusterIssuer that proves each host over HTTP-01 through the ingress controller of
    `ingress_class`; its ACME account key lives in the Secret of the same name."""
    if not server.startswith("https://"):
        raise ClusterIssuerError(f"ClusterIssuer {name}: ACME server {server!r} is not an https URL")
    if not ingress_class:
        raise ClusterIssuerError(f"ClusterIssuer {name}: HTTP-01 needs the ingress class of the controller")
    acme: dict[str, Any] = {
        "server": server,
        "privateKeySecretRef": {"name": f"{name}-account-key"},
        "solvers": [{"http01": {"ingress": {"ingressClassName": ingress_class}}}],
    }
    # Let's Encrypt accepts an account without contact address; a render without a cluster has none.
    if email:
        acme["email"] = email
    return {
        "apiVersion": API_VERSION,
        "kind": "ClusterIssuer",
        "metadata": {"name": name},
        "spec": {"acme": acme},
    }


def self_signed_cluster_issuer(name: str) -> dict[str, Any]:
    """A ClusterIssuer that signs each certificate with its own key: for test setups without DNS."""
    return {
        "apiVersion": API_VERSION,
        "kind": "ClusterIssuer",
        "metadata": {"name": name},
        "spec": {"selfSigned": {}},
    }
