# -*- coding: utf-8 -*-
# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The in-place updates the EKS API takes, computed from what exists and what the inventory asks for.

Pure functions: each returns the arguments of one API request (empty when nothing differs), so a module
sends exactly that, check mode reports exactly that, and the role's plan describes exactly that.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Optional

from .eks_state import (
    API_TAINT_EFFECTS,
    access_flags,
    sorted_taints,
)

_SCALING = (("min_size", "minSize"), ("max_size", "maxSize"), ("desired_size", "desiredSize"))


def scaling_update(current: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, int]:
    """UpdateNodegroupConfig's scalingConfig when any of the three sizes differs, else {}."""
    if all(current.get(ours) == desired[ours] for ours, api in _SCALING):
        return {}
    return {api: int(desired[ours]) for ours, api in _SCALING}


def _present(**parts: Any) -> dict[str, Any]:
    """The parts of a request that are not empty."""
    return {key: value for key, value in parts.items() if value}


def labels_update(current: Mapping[str, str], desired: Mapping[str, str]) -> dict[str, Any]:
    """UpdateNodegroupConfig's labels: new and changed ones, and those the inventory no longer has."""
    return _present(
        addOrUpdateLabels={key: value for key, value in desired.items() if current.get(key) != value},
        removeLabels=sorted(key for key in current if key not in desired),
    )


def taints_update(
    current: Sequence[Mapping[str, str]], desired: Sequence[Mapping[str, str]]
) -> dict[str, Any]:
    """UpdateNodegroupConfig's taints: a taint is one per key and effect; its value may change in place."""
    now, wanted = sorted_taints(current), sorted_taints(desired)
    kept = {(taint["key"], taint["effect"]) for taint in wanted}

    def api(taint: Mapping[str, str]) -> dict[str, str]:
        out = {"key": taint["key"], "effect": API_TAINT_EFFECTS[taint["effect"]]}
        if taint["value"]:
            out["value"] = taint["value"]
        return out

    return _present(
        addOrUpdateTaints=[api(taint) for taint in wanted if taint not in now],
        removeTaints=[api(taint) for taint in now if (taint["key"], taint["effect"]) not in kept],
    )


def node_group_update(current: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
    """The UpdateNodegroupConfig arguments (without the names) that make a node group what is desired."""
    return _present(
        scalingConfig=scaling_update(current, desired),
        labels=labels_update(current.get("labels") or {}, desired.get("labels") or {}),
        taints=taints_update(current.get("taints") or [], desired.get("taints") or []),
    )


def tags_to_add(current: Mapping[str, str], desired: Mapping[str, str]) -> dict[str, str]:
    """The desired tags that are missing or differ; tags set by others are left alone."""
    return {key: value for key, value in desired.items() if current.get(key) != value}


def endpoint_update(
    current: Mapping[str, Any], access: str, public_access_cidrs: Sequence[str]
) -> dict[str, Any]:
    """UpdateClusterConfig's resourcesVpcConfig for the endpoint access, or {} when it is already so."""
    public, private = access_flags(access)
    cidrs = sorted(public_access_cidrs) if public else []
    if current.get("endpoint_access") == access and sorted(current.get("public_access_cidrs") or []) == cidrs:
        return {}
    config: dict[str, Any] = {"endpointPublicAccess": public, "endpointPrivateAccess": private}
    if public:
        config["publicAccessCidrs"] = cidrs
    return config


def addon_action(current: Optional[Mapping[str, Any]], version: str, role_arn: str) -> Optional[str]:
    """create, update or None: what an add-on needs to run the version and service account role asked."""
    if current is None:
        return "create"
    if current.get("version") != version or (current.get("service_account_role_arn") or "") != role_arn:
        return "update"
    return None
