# -*- coding: utf-8 -*-
# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""What an EKS cluster, its managed node groups and its add-ons look like now, read through boto3.

The reading functions take a boto3 EKS client; the shaping functions are pure and turn the API's answers
into the flat, snake_case dictionaries the role, its plan and its modules compare against the inventory.
Label and tag keys are kept as they are (they are names, not API fields).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Optional

try:
    from botocore.exceptions import BotoCoreError, ClientError

    # What a failed AWS call raises: the modules catch these and report them with fail_json_aws.
    AWS_ERRORS: tuple = (BotoCoreError, ClientError)
except ImportError:  # the modules are AnsibleAWSModules, which report a missing botocore themselves
    ClientError = Exception
    AWS_ERRORS = ()

# The EKS API's taint effects and Kubernetes' names for them, which the inventory uses.
TAINT_EFFECTS = {
    "NO_SCHEDULE": "NoSchedule",
    "PREFER_NO_SCHEDULE": "PreferNoSchedule",
    "NO_EXECUTE": "NoExecute",
}
API_TAINT_EFFECTS = {kubernetes: api for api, kubernetes in TAINT_EFFECTS.items()}
# The API's defaults for the endpoint of a cluster created without endpoint settings. DescribeCluster of
# AWS states them; some AWS-compatible APIs (the moto emulator) leave them out, and then these apply.
DEFAULT_PUBLIC_ACCESS = True
DEFAULT_PRIVATE_ACCESS = False
DEFAULT_PUBLIC_ACCESS_CIDRS = ("0.0.0.0/0",)


def endpoint_access(public: bool, private: bool) -> str:
    """The inventory's name for an endpoint setting: public, public_and_private or private."""
    if public and private:
        return "public_and_private"
    return "public" if public else "private"


def access_flags(access: str) -> tuple[bool, bool]:
    """(public, private) of an inventory endpoint setting."""
    return access != "private", access != "public"


def cluster_state(described: Mapping[str, Any]) -> dict[str, Any]:
    """A DescribeCluster 'cluster' as the role compares it."""
    vpc = described.get("resourcesVpcConfig") or {}
    public = vpc.get("endpointPublicAccess", DEFAULT_PUBLIC_ACCESS)
    private = vpc.get("endpointPrivateAccess", DEFAULT_PRIVATE_ACCESS)
    return {
        "name": described.get("name"),
        "arn": described.get("arn"),
        "status": described.get("status"),
        "version": described.get("version"),
        "endpoint": described.get("endpoint"),
        "certificate_authority_data": (described.get("certificateAuthority") or {}).get("data"),
        "role_arn": described.get("roleArn"),
        "subnet_ids": sorted(vpc.get("subnetIds") or []),
        "security_group_ids": sorted(vpc.get("securityGroupIds") or []),
        "endpoint_access": endpoint_access(public, private),
        "public_access_cidrs": sorted(vpc.get("publicAccessCidrs") or DEFAULT_PUBLIC_ACCESS_CIDRS)
        if public
        else [],
        "tags": dict(described.get("tags") or {}),
    }


def taint_state(taint: Mapping[str, Any]) -> dict[str, str]:
    """An API taint with Kubernetes' effect name and an empty value when it has none."""
    effect = taint.get("effect", "")
    return {
        "key": taint.get("key", ""),
        "value": taint.get("value") or "",
        "effect": TAINT_EFFECTS.get(effect, effect),
    }


def node_group_state(described: Mapping[str, Any]) -> dict[str, Any]:
    """A DescribeNodegroup 'nodegroup' as the role compares it."""
    scaling = described.get("scalingConfig") or {}
    disk_size = described.get("diskSize")
    return {
        "name": described.get("nodegroupName"),
        "arn": described.get("nodegroupArn"),
        "status": described.get("status"),
        "instance_types": list(described.get("instanceTypes") or []),
        "disk_size": None if disk_size is None else int(disk_size),
        "capacity_type": described.get("capacityType"),
        "ami_type": described.get("amiType"),
        "min_size": scaling.get("minSize"),
        "max_size": scaling.get("maxSize"),
        "desired_size": scaling.get("desiredSize"),
        "labels": dict(described.get("labels") or {}),
        "taints": sorted((taint_state(t) for t in described.get("taints") or []), key=_taint_key),
        "subnets": sorted(described.get("subnets") or []),
        "node_role": described.get("nodeRole"),
        "tags": dict(described.get("tags") or {}),
    }


def addon_state(described: Mapping[str, Any]) -> dict[str, Any]:
    """A DescribeAddon 'addon' as the role compares it."""
    return {
        "name": described.get("addonName"),
        "arn": described.get("addonArn"),
        "status": described.get("status"),
        "version": described.get("addonVersion"),
        "service_account_role_arn": described.get("serviceAccountRoleArn") or "",
        "tags": dict(described.get("tags") or {}),
    }


def _taint_key(taint: Mapping[str, str]) -> tuple[str, str, str]:
    return taint["key"], taint["effect"], taint["value"]


def sorted_taints(taints: Any) -> list[dict[str, str]]:
    """Inventory taints (Kubernetes effects, value optional) in the order and shape of taint_state."""
    return sorted(
        ({"key": t["key"], "value": t.get("value") or "", "effect": t["effect"]} for t in taints or []),
        key=_taint_key,
    )


def _not_found(error: Exception) -> bool:
    code = getattr(error, "response", {}).get("Error", {}).get("Code")
    return code == "ResourceNotFoundException"


def _described(describe: Callable[[], Mapping[str, Any]], key: str) -> Optional[Mapping[str, Any]]:
    """One Describe* answer's object, or None when the API says there is none."""
    try:
        return describe()[key]
    except ClientError as error:
        if _not_found(error):
            return None
        raise


def _names(client: Any, operation: str, key: str, cluster: str) -> list[str]:
    """Every name a List* operation of the cluster pages through, sorted."""
    return sorted(
        name for page in client.get_paginator(operation).paginate(clusterName=cluster) for name in page[key]
    )


def read_cluster(client: Any, name: str) -> Optional[dict[str, Any]]:
    """The cluster, or None when there is none of that name."""
    described = _described(lambda: client.describe_cluster(name=name), "cluster")
    return None if described is None else cluster_state(described)


def read_node_group(client: Any, cluster: str, name: str) -> Optional[dict[str, Any]]:
    """One managed node group, or None when the cluster has none of that name."""
    described = _described(
        lambda: client.describe_nodegroup(clusterName=cluster, nodegroupName=name), "nodegroup"
    )
    return None if described is None else node_group_state(described)


def read_addon(client: Any, cluster: str, name: str) -> Optional[dict[str, Any]]:
    """One add-on, or None when the cluster has none of that name."""
    described = _described(lambda: client.describe_addon(clusterName=cluster, addonName=name), "addon")
    return None if described is None else addon_state(described)


def read_node_groups(client: Any, cluster: str) -> list[dict[str, Any]]:
    """Every managed node group of the cluster, by name (one that goes meanwhile is left out)."""
    groups = (
        read_node_group(client, cluster, name)
        for name in _names(client, "list_nodegroups", "nodegroups", cluster)
    )
    return [group for group in groups if group is not None]


def read_addons(client: Any, cluster: str) -> list[dict[str, Any]]:
    """Every add-on of the cluster, by name (one that goes meanwhile is left out)."""
    addons = (read_addon(client, cluster, name) for name in _names(client, "list_addons", "addons", cluster))
    return [addon for addon in addons if addon is not None]


def wait_until(client: Any, waiter_name: str, timeout: int, **names: str) -> None:
    """Polls with boto3's EKS waiter `waiter_name` (cluster_active, nodegroup_active, addon_deleted, ...) at
    its own interval until the resource named by `names` gets there, for at most `timeout` seconds."""
    waiter = client.get_waiter(waiter_name)
    delay = waiter.config.delay
    waiter.wait(**names, WaiterConfig={"Delay": delay, "MaxAttempts": 1 + timeout // delay})
