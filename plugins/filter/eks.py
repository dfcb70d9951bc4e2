"""Filters of the eks_cluster role: names, tags and subnets of its AWS resources, its plan, its kubeconfig."""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

from ..module_utils import eks_kubeconfig, eks_plan, eks_resources
from ..module_utils.eks_state import API_TAINT_EFFECTS


def _filter_error(error: ValueError) -> AnsibleFilterError:
    return AnsibleFilterError(str(error))


def eks_kubernetes_minor(version: Any) -> str:
    """1.34 from 1.34.3: the version EKS takes."""
    try:
        return eks_resources.kubernetes_minor(version)
    except ValueError as error:
        raise _filter_error(error) from error


def eks_tags(cluster: str, extra: dict | None = None, name: str | None = None, network: bool = False) -> dict:
    """The tags of one resource of the cluster; network resources also carry kubernetes.io/cluster/<name>."""
    build = eks_resources.network_tags if network else eks_resources.resource_tags
    return build(cluster, extra, name)


def eks_subnet_layout(vpc_cidr: str, cluster: str, zones: list, extra: dict | None = None) -> list:
    """The public and private subnets of the cluster's VPC: name, cidr, zone, public and tags."""
    try:
        return eks_resources.subnet_layout(cluster, vpc_cidr, zones, extra)
    except ValueError as error:
        raise _filter_error(error) from error


def eks_roles(
    cluster: str,
    region: str,
    cluster_role_arn: str = "",
    node_role_arn: str = "",
    ebs_csi_on_nodes: bool = True,
) -> dict:
    """{cluster, node}: each IAM role's name, the inventory's ARN (empty: create it), policies, trust."""
    names = eks_resources.role_names(cluster)
    policies = eks_resources.role_policies(region, ebs_csi_on_nodes)
    services = {"cluster": "eks.amazonaws.com", "node": "ec2.amazonaws.com"}
    arns = {"cluster": cluster_role_arn, "node": node_role_arn}
    return {
        kind: {
            "name": names[kind],
            "arn": arns[kind] or "",
            "policies": policies[kind],
            "trust_policy": eks_resources.trust_policy(services[kind]),
        }
        for kind in ("cluster", "node")
    }


def eks_results_by_key(results: list, path: str) -> dict:
    """{item.key: the value at a dotted path} of a loop over dict2items, skipping results without it."""
    out = {}
    for result in results or []:
        value: Any = result
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is not None:
            out[result["item"]["key"]] = value
    return out


def eks_role_arns(roles: dict, created: list) -> dict:
    """{cluster, node}: the inventory's ARN, else the one iam_role returned, else empty (check mode)."""
    made = eks_results_by_key(created, "iam_role.arn")
    return {kind: role.get("arn") or made.get(kind, "") for kind, role in roles.items()}


def eks_api_taints(taints: list) -> list:
    """Inventory taints (Kubernetes effects) as community.aws.eks_nodegroup takes them (the API's effects)."""
    return [
        {"key": taint["key"], "value": taint.get("value") or "", "effect": API_TAINT_EFFECTS[taint["effect"]]}
        for taint in taints or []
    ]


def eks_plan_of(desired: dict, found: dict) -> dict:
    """{changes, blocked, notes} of the cluster stage (see module_utils/eks_plan.py)."""
    return eks_plan.plan(desired, found)


def eks_teardown_of(found: dict, cluster: str) -> dict:
    """What destroy_eks deletes (see module_utils/eks_plan.py)."""
    return eks_plan.teardown(cluster, found)


def eks_kubeconfig_of(cluster: dict, region: str, profile: str | None = None) -> dict:
    """The kubeconfig of a cluster, authenticating with `aws eks get-token`."""
    try:
        return eks_kubeconfig.kubeconfig(cluster, region, profile or None)
    except ValueError as error:
        raise _filter_error(error) from error


class FilterModule:
    """The eks_cluster role's filters."""

    def filters(self) -> dict:
        return {
            "eks_kubernetes_minor": eks_kubernetes_minor,
            "eks_tags": eks_tags,
            "eks_subnet_layout": eks_subnet_layout,
            "eks_roles": eks_roles,
            "eks_api_taints": eks_api_taints,
            "eks_results_by_key": eks_results_by_key,
            "eks_role_arns": eks_role_arns,
            "eks_plan": eks_plan_of,
            "eks_teardown": eks_teardown_of,
            "eks_kubeconfig": eks_kubeconfig_of,
        }
