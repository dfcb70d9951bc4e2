# -*- coding: utf-8 -*-
# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The kubeconfig of an EKS cluster: its endpoint and CA, and a token from `aws eks get-token` on each use.

The same file `aws eks update-kubeconfig` writes, so it holds no credential: the exec plugin asks the AWS
CLI for a short-lived token with the inventory's region and profile whenever a client connects.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

EXEC_API_VERSION = "client.authentication.k8s.io/v1beta1"


def kubeconfig(cluster: Mapping[str, Any], region: str, profile: Optional[str] = None) -> dict[str, Any]:
    """The kubeconfig of a cluster as eks_cluster_info or community.aws.eks_cluster returns it."""
    name, arn, endpoint = cluster.get("name"), cluster.get("arn"), cluster.get("endpoint")
    ca = cluster.get("certificate_authority_data") or (cluster.get("certificate_authority") or {}).get("data")
    missing = [
        key for key, value in (("name", name), ("arn", arn), ("endpoint", endpoint), ("CA", ca)) if not value
    ]
    if missing:
        raise ValueError(f"the EKS cluster has no {', '.join(missing)} yet; is it ACTIVE?")
    command: dict[str, Any] = {
        "apiVersion": EXEC_API_VERSION,
        "command": "aws",
        "args": ["--region", region, "eks", "get-token", "--cluster-name", name, "--output", "json"],
        "interactiveMode": "Never",
    }
    if profile:
        command["env"] = [{"name": "AWS_PROFILE", "value": profile}]
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [{"name": arn, "cluster": {"server": endpoint, "certificate-authority-data": ca}}],
        "users": [{"name": arn, "user": {"exec": command}}],
        "contexts": [{"name": arn, "context": {"cluster": arn, "user": arn}}],
        "current-context": arn,
    }
