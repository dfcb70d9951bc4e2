# -*- coding: utf-8 -*-
# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The EKS part of the inventory model (docs/inventory.md): region, cluster, network, endpoint, IAM
and managed node groups, and the defaults the cluster stage uses."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any, Callable, Optional

from .inventory_values import (
    Report,
    Unresolved,
    as_list,
    bool_problem,
    check_platform_values,
    dns_name_problem,
    list_problem,
    not_a,
    one_of,
    show,
    string_problem,
    unknown_key_problem,
)

NODE_GROUP_FIELDS = (
    "name",
    "instance_type",
    "instance_types",
    "min_size",
    "max_size",
    "desired_size",
    "disk_size",
    "capacity_type",
    "ami_type",
    "labels",
    "taints",
)


_AWS_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}$")


_EKS_CLUSTER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")


_EKS_NODE_GROUP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")


_EC2_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")


def aws_region_problem(value: Any) -> Optional[str]:
    """An AWS region name such as eu-west-1."""
    if isinstance(value, str) and _AWS_REGION.match(value):
        return None
    return f"{show(value)} is not an AWS region; expected e.g. 'eu-west-1'"


def eks_cluster_name_problem(value: Any) -> Optional[str]:
    """An EKS cluster name."""
    if isinstance(value, str) and _EKS_CLUSTER_NAME.match(value):
        return None
    return (
        f"{show(value)} is not an EKS cluster name; expected letters, digits, '-' and '_', "
        "starting with a letter or digit, at most 100 characters"
    )


# EKS managed node groups: the API's capacity types, and the AMI types of community.aws.eks_nodegroup
# that EKS still publishes for current Kubernetes versions (no Amazon Linux 2 AMIs from 1.33 on).
EKS_CAPACITY_TYPES = ("ON_DEMAND", "SPOT")


EKS_AMI_TYPES = ("BOTTLEROCKET_x86_64", "BOTTLEROCKET_ARM_64")


# Kubernetes' taint effects, as the inventory writes them, and the EKS API's names for them.
EKS_TAINT_EFFECTS = {
    "NoSchedule": "NO_SCHEDULE",
    "PreferNoSchedule": "PREFER_NO_SCHEDULE",
    "NoExecute": "NO_EXECUTE",
}


EKS_ENDPOINT_ACCESS = ("public", "public_and_private", "private")


EKS_NODE_DISK_MIN_GIB = 20


EKS_NODE_DISK_MAX_GIB = 16384


EKS_VPC_PREFIXES = (16, 20)


# IAM role names are at most 64 characters; the role derives its two role names from the cluster's.
IAM_ROLE_NAME_MAX = 64


EKS_ROLE_SUFFIXES = ("-eks-cluster", "-eks-node")


EKS_DEFAULTS = {
    "eks_vpc_cidr": "10.0.0.0/16",
    "eks_nat_gateway": True,
    "eks_endpoint_access": "public",
    "eks_public_access_cidrs": ["0.0.0.0/0"],
}


# Where the EKS cluster stage writes the kubeconfig the later stages read, unless platform_kubeconfig says.
EKS_KUBECONFIG = "~/.kube/devstats-{name}.yaml"


_GRAVITON_INSTANCE = re.compile(r"^[a-z]+[0-9]+[a-z]*g[a-z]*\.")


_SUBNET_ID = re.compile(r"^subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})$")


_IAM_ROLE_ARN = re.compile(r"^arn:aws(?:-[a-z]+)*:iam::[0-9]{12}:role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}$")


_URL = re.compile(r"^https?://[^\s/?#]+(?:/[^\s]*)?$")


_LABEL_NAME = re.compile(r"^[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")


_LABEL_VALUE = re.compile(r"^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")


def _node_group_name_problem(value: Any) -> Optional[str]:
    if isinstance(value, str) and _EKS_NODE_GROUP_NAME.match(value):
        return None
    return (
        f"{show(value)} is not a node group name; expected letters, digits, '-' and '_', "
        "starting with a letter or digit, at most 63 characters"
    )


def _instance_type_problem(value: Any) -> Optional[str]:
    if isinstance(value, str) and _EC2_INSTANCE_TYPE.match(value):
        return None
    return f"{show(value)} is not an EC2 instance type; expected e.g. 'm6i.2xlarge'"


def _instance_types_problem(value: Any) -> Optional[str]:
    if isinstance(value, (list, tuple)) and not value:
        return "is empty; expected at least one EC2 instance type"
    return list_problem(value, _instance_type_problem, "EC2 instance types")


def _node_count_problem(value: Any) -> Optional[str]:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return None
    return f"{show(value)} is not a whole number of nodes (0 or more)"


def _disk_size_problem(value: Any) -> Optional[str]:
    low, high = EKS_NODE_DISK_MIN_GIB, EKS_NODE_DISK_MAX_GIB
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return None
    return f"{show(value)} is not a disk size in GiB; expected a whole number from {low} to {high}"


def label_key_problem(value: Any) -> Optional[str]:
    """A Kubernetes label or taint key: an optional DNS-name prefix and '/', then a name of 63 at most."""
    if not isinstance(value, str):
        return not_a(value, "a Kubernetes label key")
    prefix, slash, name = value.rpartition("/")
    if (slash and dns_name_problem(prefix)) or not _LABEL_NAME.match(name):
        return (
            f"{show(value)} is not a Kubernetes label key; expected an optional DNS prefix and '/', then "
            "letters, digits, '-', '_' and '.', starting and ending with a letter or digit, at most 63"
        )
    return None


def label_value_problem(value: Any) -> Optional[str]:
    """A Kubernetes label or taint value: empty, or 63 characters at most of the label alphabet."""
    if isinstance(value, str) and _LABEL_VALUE.match(value):
        return None
    return (
        f"{show(value)} is not a Kubernetes label value; expected a string of letters, digits, '-', '_' and "
        "'.', starting and ending with a letter or digit, at most 63 characters"
    )


def _labels_problem(value: Any) -> Optional[str]:
    if not isinstance(value, Mapping):
        return not_a(value, "a mapping of Kubernetes labels")
    for key, label in value.items():
        problem = label_key_problem(key) or label_value_problem(label)
        if problem:
            return problem
    return None


def _taint_problem(value: Any) -> Optional[str]:
    if not isinstance(value, Mapping):
        return not_a(value, "a taint {key, value, effect}")
    unknown = [key for key in value if key not in ("key", "value", "effect")]
    if unknown:
        return f"{show(unknown[0])} is not a taint field; expected key, value and effect"
    if "key" not in value or "effect" not in value:
        return (
            f"{show(dict(value))} lacks {'key' if 'key' not in value else 'effect'}; expected key and effect"
        )
    effect = value["effect"]
    if effect not in EKS_TAINT_EFFECTS:
        return f"effect {show(effect)} is not one of {', '.join(EKS_TAINT_EFFECTS)}"
    return label_key_problem(value["key"]) or label_value_problem(value.get("value", ""))


def _taints_problem(value: Any) -> Optional[str]:
    if not isinstance(value, (list, tuple)):
        return not_a(value, "a list of taints")
    return next((problem for problem in map(_taint_problem, value) if problem), None)


_NODE_GROUP_CHECKS: Mapping[str, Callable[[Any], Optional[str]]] = {
    "name": _node_group_name_problem,
    "instance_type": _instance_type_problem,
    "instance_types": _instance_types_problem,
    "min_size": _node_count_problem,
    "max_size": _node_count_problem,
    "desired_size": _node_count_problem,
    "disk_size": _disk_size_problem,
    "capacity_type": one_of(EKS_CAPACITY_TYPES),
    "ami_type": one_of(EKS_AMI_TYPES),
    "labels": _labels_problem,
    "taints": _taints_problem,
}


_NODE_GROUP_REQUIRED = ("name", "min_size", "max_size", "desired_size")


def _check_node_group_sizes(report: Report, where: str, group: Mapping[str, Any]) -> None:
    low, high, desired = group["min_size"], group["max_size"], group["desired_size"]
    if high < 1:
        report.add(where, "max_size", "is 0; expected at least 1 node")
    elif not low <= desired <= high:
        report.add(where, "desired_size", f"{desired} is not between min_size {low} and max_size {high}")


def _node_group_ami_type(report: Report, where: str, group: Mapping[str, Any], instance_types: list) -> str:
    """The explicit ami_type, else the Bottlerocket AMI of the instance types' architecture."""
    if "ami_type" in group:
        return group["ami_type"]
    graviton = {bool(_GRAVITON_INSTANCE.match(kind)) for kind in instance_types if isinstance(kind, str)}
    if len(graviton) > 1:
        report.add(
            where,
            "instance_types",
            f"{show(instance_types)} mixes arm64 (Graviton) and x86_64 types; one node group runs one AMI, "
            "so split them or set ami_type",
        )
    return EKS_AMI_TYPES[1] if graviton == {True} else EKS_AMI_TYPES[0]


def _check_node_group(report: Report, where: str, group: Mapping[str, Any]) -> dict:
    """Checks one node group; returns it normalized (instance_types, defaults, the ami_type it runs)."""
    for key in group:
        if key not in NODE_GROUP_FIELDS:
            report.add(where, str(key), unknown_key_problem(key, NODE_GROUP_FIELDS))
    bad = {key for key in _NODE_GROUP_REQUIRED if key not in group}
    for key in sorted(bad, key=_NODE_GROUP_REQUIRED.index):
        report.add(where, key, "is required")
    if ("instance_type" in group) == ("instance_types" in group):
        report.add(where, "instance_type", "expected exactly one of instance_type and instance_types")
    for key, check in _NODE_GROUP_CHECKS.items():
        problem = check(group[key]) if key in group else None
        if problem:
            report.add(where, key, problem)
            bad.add(key)
    if not bad & {"min_size", "max_size", "desired_size"}:
        _check_node_group_sizes(report, where, group)
    instance_types = as_list(group.get("instance_types", [group.get("instance_type")]))
    taints = [
        {"key": taint["key"], "value": taint.get("value", ""), "effect": taint["effect"]}
        for taint in as_list(group.get("taints"))
        if isinstance(taint, Mapping) and "key" in taint and "effect" in taint
    ]
    return {
        "name": group.get("name"),
        "instance_types": instance_types,
        "min_size": group.get("min_size"),
        "max_size": group.get("max_size"),
        "desired_size": group.get("desired_size"),
        "disk_size": group.get("disk_size", 50),
        "capacity_type": group.get("capacity_type", "ON_DEMAND"),
        "ami_type": _node_group_ami_type(report, where, group, instance_types),
        "labels": dict(group.get("labels") or {}),
        "taints": taints,
    }


def check_node_groups(report: Report, value: Any) -> list:
    variable = "platform_eks_node_groups"
    if not isinstance(value, (list, tuple)):
        report.add("platform", variable, not_a(value, "a list of node groups"))
        return []
    if not value:
        report.add("platform", variable, "is empty; expected at least one node group")
    first_index: dict = {}
    groups = []
    for index, group in enumerate(value, start=1):
        if not isinstance(group, Mapping):
            report.add(f"platform, node group #{index}", "*", not_a(group, "a mapping of node group fields"))
            continue
        name = group.get("name")
        if not isinstance(name, str):
            groups.append(_check_node_group(report, f"platform, node group #{index}", group))
            continue
        where = f"platform, node group '{name}' (#{index})"
        groups.append(_check_node_group(report, where, group))
        if name in first_index:
            report.add(where, "name", f"{show(name)} is also the name of node group #{first_index[name]}")
        first_index.setdefault(name, index)
    return groups


def _ipv4_network(value: Any) -> Optional[ipaddress.IPv4Network]:
    """The IPv4 network a CIDR such as 10.0.0.0/16 names (host bits zero), or None."""
    if not isinstance(value, str) or "/" not in value:
        return None
    try:
        return ipaddress.IPv4Network(value)
    except ValueError:
        return None


def cidr_problem(value: Any) -> Optional[str]:
    """An IPv4 CIDR block with its host bits zero, such as 10.0.0.0/16."""
    if _ipv4_network(value) is None:
        return f"{show(value)} is not an IPv4 CIDR block; expected e.g. '10.0.0.0/16' (host bits zero)"
    return None


def _vpc_cidr_problem(value: Any) -> Optional[str]:
    network = _ipv4_network(value)
    low, high = EKS_VPC_PREFIXES
    if network is None:
        return cidr_problem(value)
    if not low <= network.prefixlen <= high:
        return (
            f"{show(value)} has a /{network.prefixlen} prefix; expected /{low} to /{high}, so that each of "
            "the eight subnets the VPC is split into has room for nodes and pods"
        )
    return None


def _subnet_ids_problem(value: Any) -> Optional[str]:
    if isinstance(value, (list, tuple)) and len(value) < 2:
        return (
            f"{show(value)} names {len(value)} subnet(s); EKS needs subnets in two availability zones or more"
        )

    def subnet_problem(subnet: Any) -> Optional[str]:
        if isinstance(subnet, str) and _SUBNET_ID.match(subnet):
            return None
        return f"{show(subnet)} is not a subnet ID; expected e.g. 'subnet-0123456789abcdef0'"

    return list_problem(value, subnet_problem, "subnet IDs")


def _cidrs_problem(value: Any) -> Optional[str]:
    if isinstance(value, (list, tuple)) and not value:
        return "is empty; expected at least one CIDR block such as '203.0.113.0/24'"
    return list_problem(value, cidr_problem, "IPv4 CIDR blocks")


def iam_role_arn_problem(value: Any) -> Optional[str]:
    """The ARN of an IAM role."""
    if isinstance(value, str) and _IAM_ROLE_ARN.match(value):
        return None
    return f"{show(value)} is not an IAM role ARN; expected e.g. 'arn:aws:iam::123456789012:role/eks-cluster'"


def url_problem(value: Any) -> Optional[str]:
    """An http or https URL."""
    if isinstance(value, str) and _URL.match(value):
        return None
    return f"{show(value)} is not an http(s) URL; expected e.g. 'https://vpce.example.internal'"


_EKS_NETWORK_OF_OUR_OWN = (
    "platform_eks_vpc_cidr",
    "platform_eks_availability_zones",
    "platform_eks_nat_gateway",
)


def check_eks_network(report: Report, raw: Mapping[str, Any]) -> None:
    """Either subnets the inventory names, or a VPC of ours; availability zones in the region."""
    if "platform_eks_subnet_ids" in raw:
        for variable in _EKS_NETWORK_OF_OUR_OWN:
            if variable in raw:
                report.add(
                    "platform",
                    variable,
                    "is set together with platform_eks_subnet_ids; expected either subnets of an existing "
                    "VPC or the settings of a VPC this collection creates, not both",
                )
    zones = raw.get("platform_eks_availability_zones")
    if "platform_eks_availability_zones" not in raw or isinstance(zones, Unresolved):
        return
    region = raw.get("platform_eks_region")
    known_region = isinstance(region, str) and not aws_region_problem(region)

    pattern = re.compile(
        rf"^{re.escape(region)}[a-z]$" if known_region else r"^[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}[a-z]$"
    )
    example = f"{region}a" if known_region else "eu-west-1a"

    def zone_problem(zone: Any) -> Optional[str]:
        if isinstance(zone, str) and pattern.match(zone):
            return None
        return f"{show(zone)} is not an availability zone of the region; expected e.g. '{example}'"

    problem = list_problem(zones, zone_problem, "availability zones")
    if not problem and not 2 <= len(zones) <= 4:
        count = len(zones)
        problem = (
            f"{show(zones)} names {count} zone(s); expected 2 to 4, each with a public and a private subnet"
        )
    if problem:
        report.add("platform", "platform_eks_availability_zones", problem)


def check_eks_endpoint(report: Report, raw: Mapping[str, Any]) -> None:
    if raw.get("platform_eks_endpoint_access") == "private" and "platform_eks_public_access_cidrs" in raw:
        report.add(
            "platform",
            "platform_eks_public_access_cidrs",
            "is set with platform_eks_endpoint_access 'private'; a private endpoint has no public access",
        )


def check_eks_role_names(report: Report, raw: Mapping[str, Any]) -> None:
    """The IAM role names derived from the cluster's name must fit IAM's limit, unless both are given."""
    name = raw.get("platform_eks_cluster_name")
    if not isinstance(name, str) or eks_cluster_name_problem(name):
        return
    if all(variable in raw for variable in ("platform_eks_cluster_role_arn", "platform_eks_node_role_arn")):
        return
    longest = max(len(name + suffix) for suffix in EKS_ROLE_SUFFIXES)
    if longest > IAM_ROLE_NAME_MAX:
        report.add(
            "platform",
            "platform_eks_cluster_name",
            f"{show(name)} is {len(name)} characters long: the IAM role names derived from it "
            f"('<name>{EKS_ROLE_SUFFIXES[0]}', '<name>{EKS_ROLE_SUFFIXES[1]}') would exceed IAM's "
            f"{IAM_ROLE_NAME_MAX}; use at most {IAM_ROLE_NAME_MAX - longest + len(name)} characters or set "
            "platform_eks_cluster_role_arn and platform_eks_node_role_arn",
        )


def eks_defaults(raw: Mapping[str, Any]) -> dict:
    """The EKS settings the inventory may leave out, as the cluster stage uses them."""
    defaults: dict = {"kubeconfig": EKS_KUBECONFIG.format(name=raw.get("platform_eks_cluster_name"))}
    for key, value in EKS_DEFAULTS.items():
        if "platform_eks_subnet_ids" in raw and key in ("eks_vpc_cidr", "eks_nat_gateway"):
            continue
        if key == "eks_public_access_cidrs" and raw.get("platform_eks_endpoint_access") == "private":
            continue
        defaults[key] = value
    return defaults


def check_aws_credentials(
    report: Report, raw: Mapping[str, Any], resolve: Callable[[Optional[str]], Optional[str]]
) -> None:
    """Credentials must be found for the profile (or the default chain) before anything is created."""
    profile = raw.get("platform_aws_profile")
    if profile is not None and (isinstance(profile, Unresolved) or string_problem(profile)):
        return
    problem = resolve(profile)
    if problem:
        report.add("platform", "platform_aws_profile", problem)


# The platform variables of the EKS target, and how each one is checked on its own.
EKS_PLATFORM_CHECKS: Mapping[str, Callable[[Any], Optional[str]]] = {
    "platform_eks_region": aws_region_problem,
    "platform_eks_cluster_name": eks_cluster_name_problem,
    "platform_eks_vpc_cidr": _vpc_cidr_problem,
    "platform_eks_nat_gateway": bool_problem,
    "platform_eks_subnet_ids": _subnet_ids_problem,
    "platform_eks_endpoint_access": one_of(EKS_ENDPOINT_ACCESS),
    "platform_eks_public_access_cidrs": _cidrs_problem,
    "platform_eks_cluster_role_arn": iam_role_arn_problem,
    "platform_eks_node_role_arn": iam_role_arn_problem,
    "platform_aws_profile": string_problem,
    "platform_aws_endpoint_url": url_problem,
}


def check_eks(
    report: Report,
    raw: Mapping[str, Any],
    target: Optional[str],
    aws_credentials: Optional[Callable[[Optional[str]], Optional[str]]],
) -> dict:
    """The EKS settings of the platform (keys without the platform_ prefix), the defaults filled in for
    the eks target; every EKS variable is checked whatever the target, so a typo never waits."""
    platform: dict = eks_defaults(raw) if target == "eks" else {}
    platform.update(check_platform_values(report, raw, EKS_PLATFORM_CHECKS))
    if "platform_eks_availability_zones" in raw:
        platform["eks_availability_zones"] = raw["platform_eks_availability_zones"]
    check_eks_network(report, raw)
    check_eks_endpoint(report, raw)
    if "platform_eks_node_groups" in raw:
        platform["eks_node_groups"] = check_node_groups(report, raw["platform_eks_node_groups"])
    if target == "eks":
        check_eks_role_names(report, raw)
        if aws_credentials is not None:
            check_aws_credentials(report, raw, aws_credentials)
    return platform
