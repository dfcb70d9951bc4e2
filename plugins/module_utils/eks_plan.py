# -*- coding: utf-8 -*-
# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""What the EKS cluster stage will do, and what it must refuse, decided before it changes anything.

plan() compares what the inventory asks for with what the lookups found, and returns one line per
resource to create or change (what --check reports) and every change the APIs cannot make in place,
each as one message that says what differs and what to do instead. The role fails on the latter first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .eks_resources import CLUSTER_TAG, MANAGED_BY, is_ours
from .eks_state import sorted_taints
from .eks_updates import addon_action, endpoint_update, labels_update, scaling_update, taints_update

# Fields of a managed node group that EKS cannot change in place.
_NODE_GROUP_FIXED = ("instance_types", "disk_size", "capacity_type", "ami_type")
_USABLE = ("ACTIVE", "CREATING", "UPDATING")
_NOTHING_CHANGED = "nothing was changed"


def _ownership(what: str, cluster: str) -> str:
    return (
        f"{what} exists but was not created by devstats.platform for cluster '{cluster}' (its tags lack "
        f"app.kubernetes.io/managed-by={MANAGED_BY} and {CLUSTER_TAG}={cluster})"
    )


def _version_problem(cluster: Mapping[str, Any], version: str) -> str:
    name, running = cluster["name"], cluster["version"]
    direction = "a downgrade, which EKS cannot do" if _minor(version) < _minor(running) else "an upgrade"
    return (
        f"EKS cluster '{name}' runs Kubernetes {running} and versions_kubernetes asks for {version}: that is "
        f"{direction}, and the cluster stage never changes a running cluster's version. EKS upgrades the "
        "control plane one minor version at a time (aws eks update-cluster-version), then the node groups "
        "and add-ons; do that, or pin versions_kubernetes to the version the cluster runs; "
        + _NOTHING_CHANGED
    )


def _minor(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in str(version).split(".")[:2])


def _check_vpc(desired: Mapping[str, Any], vpcs: Sequence[Mapping[str, Any]], plan: dict) -> None:
    vpc, name = desired["vpc"], desired["name"]
    if len(vpcs) > 1:
        ids = ", ".join(sorted(v["id"] for v in vpcs))
        plan["blocked"].append(f"{len(vpcs)} VPCs are tagged as cluster '{name}''s ({ids}); expected one")
    elif vpcs and vpcs[0]["cidr_block"] != vpc["cidr"]:
        plan["blocked"].append(
            f"VPC '{name}' ({vpcs[0]['id']}) has CIDR {vpcs[0]['cidr_block']} and platform_eks_vpc_cidr asks "
            f"for {vpc['cidr']}: a VPC's CIDR cannot change; destroy the cluster first or keep the CIDR; "
            + _NOTHING_CHANGED
        )
    elif not vpcs:
        zones = ", ".join(vpc["zones"]) if vpc["zones"] else "the region's first two zones"
        nat = "a NAT gateway" if vpc["nat_gateway"] else "no NAT gateway"
        plan["changes"].append(
            f"create VPC '{name}' {vpc['cidr']} with a public and a private subnet in each of {zones}, "
            f"an internet gateway, {nat} and route tables"
        )


def _check_roles(
    desired: Mapping[str, Any], roles: Mapping[str, Sequence[Mapping[str, Any]]], plan: dict
) -> None:
    for kind, role in desired["roles"].items():
        if role.get("arn"):
            continue
        found = roles.get(kind) or []
        if not found:
            plan["changes"].append(f"create IAM role '{role['name']}' ({', '.join(role['policies'])})")
        elif not is_ours(found[0].get("tags"), desired["name"]):
            plan["blocked"].append(
                _ownership(f"IAM role '{role['name']}'", desired["name"])
                + f"; set platform_eks_{kind}_role_arn to use it as it is; "
                + _NOTHING_CHANGED
            )


def _check_cluster(desired: Mapping[str, Any], cluster: Mapping[str, Any], plan: dict) -> None:
    name = desired["name"]
    if not is_ours(cluster["tags"], name):
        plan["blocked"].append(
            _ownership(f"EKS cluster '{name}'", name)
            + "; choose another platform_eks_cluster_name; "
            + _NOTHING_CHANGED
        )
        return
    if cluster["status"] not in _USABLE:
        plan["blocked"].append(
            f"EKS cluster '{name}' is {cluster['status']}; wait for it or destroy it first"
        )
    if _minor(cluster["version"]) != _minor(desired["version"]):
        plan["blocked"].append(_version_problem(cluster, desired["version"]))
    if desired.get("subnet_ids") and cluster["subnet_ids"] != sorted(desired["subnet_ids"]):
        plan["blocked"].append(
            f"EKS cluster '{name}' uses subnets {', '.join(cluster['subnet_ids'])} and "
            f"platform_eks_subnet_ids names {', '.join(sorted(desired['subnet_ids']))}: the cluster stage "
            "does not move a cluster to other subnets; " + _NOTHING_CHANGED
        )
    if endpoint_update(cluster, desired["endpoint_access"], desired["public_access_cidrs"]):
        cidrs = ", ".join(desired["public_access_cidrs"])
        plan["changes"].append(
            f"change the endpoint access of EKS cluster '{name}' to {desired['endpoint_access']}"
            + (f" from {cidrs}" if desired["endpoint_access"] != "private" else "")
        )


def _describe_group(group: Mapping[str, Any]) -> str:
    types = "/".join(group["instance_types"])
    sizes = f"{group['desired_size']} x {types} ({group['min_size']}-{group['max_size']})"
    return f"{sizes}, {group['disk_size']} GiB, {group['capacity_type']}, {group['ami_type']}"


def _check_node_group(name: str, desired: Mapping[str, Any], current: Mapping[str, Any], plan: dict) -> None:
    group = desired["name"]
    if not is_ours(current["tags"], name):
        plan["blocked"].append(
            _ownership(f"node group '{group}' of EKS cluster '{name}'", name) + "; " + _NOTHING_CHANGED
        )
        return
    fixed = [
        f"{field} {current[field]} -> {desired[field]}"
        for field in _NODE_GROUP_FIXED
        if current[field] != desired[field]
    ]
    if fixed:
        plan["blocked"].append(
            f"node group '{group}' of EKS cluster '{name}' cannot change {', '.join(fixed)} in place: EKS "
            "keeps the instance types, disk size, capacity type and AMI type of a node group; add a node "
            "group under a new name, move the workloads, then remove the old one from the inventory and AWS; "
            + _NOTHING_CHANGED
        )
        return
    scaling = scaling_update(current, desired)
    if scaling:
        before = f"{current['desired_size']} ({current['min_size']}-{current['max_size']})"
        after = f"{desired['desired_size']} ({desired['min_size']}-{desired['max_size']})"
        plan["changes"].append(f"resize node group '{group}': {before} -> {after} nodes")
    if labels_update(current["labels"], desired["labels"]):
        plan["changes"].append(f"change the labels of node group '{group}' to {desired['labels']}")
    if taints_update(current["taints"], desired["taints"]):
        plan["changes"].append(
            f"change the taints of node group '{group}' to {sorted_taints(desired['taints'])}"
        )


def _check_node_groups(desired: Mapping[str, Any], current: Sequence[Mapping[str, Any]], plan: dict) -> None:
    name = desired["name"]
    existing = {group["name"]: group for group in current}
    for group in desired["node_groups"]:
        if group["name"] in existing:
            _check_node_group(name, group, existing[group["name"]], plan)
        else:
            plan["changes"].append(f"create node group '{group['name']}': {_describe_group(group)}")
    wanted = {group["name"] for group in desired["node_groups"]}
    for group in sorted(set(existing) - wanted):
        plan["notes"].append(
            f"node group '{group}' of EKS cluster '{name}' is not in platform_eks_node_groups: left as it is "
            "(the cluster stage never deletes a node group; destroy_eks or the AWS console does)"
        )


def _check_addons(desired: Mapping[str, Any], current: Sequence[Mapping[str, Any]], plan: dict) -> None:
    existing = {addon["name"]: addon for addon in current}
    for addon in desired["addons"]:
        found = existing.get(addon["name"])
        action = addon_action(found, addon["version"], addon.get("service_account_role_arn") or "")
        if action == "create":
            plan["changes"].append(f"create add-on {addon['name']} {addon['version']}")
        elif action == "update":
            plan["changes"].append(f"update add-on {addon['name']} {found['version']} -> {addon['version']}")


def plan(desired: Mapping[str, Any], found: Mapping[str, Any]) -> dict[str, list[str]]:
    """{changes, blocked, notes}: one line per change, every change that cannot be made, and remarks.

    desired: name, version (major.minor), vpc ({cidr, zones, nat_gateway}, or None with subnet_ids),
    subnet_ids, roles ({cluster, node}: {name, arn, policies}), endpoint_access, public_access_cidrs,
    node_groups (preflight's normalized ones) and addons ([{name, version, service_account_role_arn}]).
    found: vpcs (ec2_vpc_net_info's VPCs tagged as the cluster's), roles ({cluster, node}: iam_role_info's
    roles of those names) and eks (devstats.platform.eks_cluster_info's result).
    """
    out: dict[str, list[str]] = {"changes": [], "blocked": [], "notes": []}
    if desired.get("vpc"):
        _check_vpc(desired, found.get("vpcs") or [], out)
    _check_roles(desired, found.get("roles") or {}, out)
    eks = found.get("eks") or {}
    cluster = eks.get("cluster")
    if cluster is None:
        access = desired["endpoint_access"]
        out["changes"].append(
            f"create EKS cluster '{desired['name']}' (Kubernetes {desired['version']}, endpoint {access})"
        )
        out["changes"].extend(
            f"create node group '{g['name']}': {_describe_group(g)}" for g in desired["node_groups"]
        )
        out["changes"].extend(f"create add-on {a['name']} {a['version']}" for a in desired["addons"])
        return out
    _check_cluster(desired, cluster, out)
    if not out["blocked"]:
        _check_node_groups(desired, eks.get("node_groups") or [], out)
        _check_addons(desired, eks.get("addons") or [], out)
    return out


def teardown(name: str, found: Mapping[str, Any]) -> dict[str, Any]:
    """What destroy_eks deletes: only what carries this collection's tags for the cluster.

    found: eks (eks_cluster_info's result), vpcs (the VPCs tagged as the cluster's) and roles ({cluster,
    node}: iam_role_info's roles of the names the role creates). Returns the node groups, whether the
    cluster goes, the VPC IDs and role names to delete, one line per deletion, and what blocks it all.
    """
    out: dict[str, Any] = {
        "node_groups": [],
        "cluster": False,
        "vpcs": [],
        "roles": [],
        "lines": [],
        "blocked": [],
    }
    eks = found.get("eks") or {}
    cluster = eks.get("cluster")
    if cluster is not None and not is_ours(cluster["tags"], name):
        out["blocked"].append(_ownership(f"EKS cluster '{name}'", name) + "; destroy_eks deletes nothing")
    elif cluster is not None:
        groups = eks.get("node_groups") or []
        foreign = sorted(group["name"] for group in groups if not is_ours(group["tags"], name))
        if foreign:
            out["blocked"].append(
                f"EKS cluster '{name}' has node groups devstats.platform did not create "
                f"({', '.join(foreign)}); delete them first, since a cluster goes only without node groups; "
                "destroy_eks deleted nothing"
            )
        out["node_groups"] = sorted(group["name"] for group in groups)
        out["cluster"] = True
        out["lines"] += [f"delete node group '{group}'" for group in out["node_groups"]]
        out["lines"].append(f"delete EKS cluster '{name}' and its add-ons")
    for vpc in found.get("vpcs") or []:
        if is_ours(vpc.get("tags"), name):
            out["vpcs"].append(vpc["id"])
            out["lines"].append(
                f"delete VPC {vpc['id']} ({vpc['cidr_block']}) with its subnets, internet gateway, "
                "NAT gateway, Elastic IP and route tables"
            )
    for roles in (found.get("roles") or {}).values():
        for role in roles:
            if is_ours(role.get("tags"), name):
                out["roles"].append(role["role_name"])
                out["lines"].append(f"delete IAM role '{role['role_name']}'")
    return out
