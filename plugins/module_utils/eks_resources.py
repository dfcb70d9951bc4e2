# -*- coding: utf-8 -*-
# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The AWS resources an EKS cluster of the inventory is made of: their names, tags and subnet layout.

Pure Python, so that the eks_cluster role, its destroy tasks and the tests derive every name and tag from
one place. The tags are also how the destroy playbook recognizes what this collection created.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

MANAGED_BY = "devstats-platform"
# The cluster and its network serve every foundation of the inventory, like the cluster-wide Kubernetes
# stages, whose objects carry the foundation name 'cluster' (k8s_objects_foundation: cluster).
SHARED_FOUNDATION = "cluster"
CLUSTER_TAG = "devstats.platform/cluster"
# The subnet tags the AWS load balancer integration looks for.
ELB_ROLE_TAG = "kubernetes.io/role/elb"
INTERNAL_ELB_ROLE_TAG = "kubernetes.io/role/internal-elb"
# A VPC is split into this many equal subnets: private ones from the first, public ones from the middle.
SUBNET_SLOTS = 8

# The AWS managed policies EKS documents for the cluster role and the node role; the node role also gets
# the EBS CSI driver's, unless the add-on is given a role of its own (add-on service account role).
CLUSTER_POLICIES = ("arn:{partition}:iam::aws:policy/AmazonEKSClusterPolicy",)
NODE_POLICIES = (
    "arn:{partition}:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:{partition}:iam::aws:policy/AmazonEKS_CNI_Policy",
    "arn:{partition}:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
)
EBS_CSI_POLICY = "arn:{partition}:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"


def partition(region: str) -> str:
    """The AWS partition of a region: aws, aws-cn or aws-us-gov."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def kubernetes_minor(version: str) -> str:
    """The major.minor version EKS takes, from a full Kubernetes version such as 1.34.3."""
    match = re.match(r"^v?([0-9]+)\.([0-9]+)(?:\.[0-9]+)?$", str(version))
    if not match:
        raise ValueError(f"{version!r} is not a Kubernetes version such as 1.34 or 1.34.3")
    return f"{match.group(1)}.{match.group(2)}"


def ownership_tags(cluster: str) -> dict[str, str]:
    """The tags that mark a resource as created by this collection for this cluster."""
    return {
        "app.kubernetes.io/managed-by": MANAGED_BY,
        "app.kubernetes.io/part-of": SHARED_FOUNDATION,
        CLUSTER_TAG: cluster,
    }


def resource_tags(
    cluster: str, extra: Mapping[str, str] | None = None, name: str | None = None
) -> dict[str, str]:
    """Tags of one resource: the user's extra tags, a Name when given, then the ownership tags (which win)."""
    tags = dict(extra or {})
    if name is not None:
        tags["Name"] = name
    tags.update(ownership_tags(cluster))
    return tags


def network_tags(
    cluster: str, extra: Mapping[str, str] | None = None, name: str | None = None
) -> dict[str, str]:
    """Tags of a network resource of the cluster's own VPC: resource_tags and the cluster ownership tag."""
    return {**resource_tags(cluster, extra, name), f"kubernetes.io/cluster/{cluster}": "owned"}


def is_ours(tags: Mapping[str, str] | None, cluster: str) -> bool:
    """Whether a resource's tags say that this collection created it for this cluster."""
    tags = tags or {}
    return tags.get("app.kubernetes.io/managed-by") == MANAGED_BY and tags.get(CLUSTER_TAG) == cluster


def subnet_layout(
    cluster: str, vpc_cidr: str, zones: Sequence[str], extra: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """One private and one public subnet per zone, each an eighth of the VPC, tagged for load balancers.

    Private subnets take the first slots, public ones the slots from the middle on, so a zone added later
    gets the next free slot of each kind and no existing subnet moves.
    """
    network = ipaddress.IPv4Network(vpc_cidr)
    if not 1 <= len(zones) <= SUBNET_SLOTS // 2:
        raise ValueError(f"expected 1 to {SUBNET_SLOTS // 2} availability zones, got {len(zones)}")
    slots = list(network.subnets(prefixlen_diff=SUBNET_SLOTS.bit_length() - 1))
    subnets = []
    for public in (False, True):
        for index, zone in enumerate(zones):
            kind = "public" if public else "private"
            name = f"{cluster}-{kind}-{zone}"
            tags = network_tags(cluster, extra, name)
            tags[ELB_ROLE_TAG if public else INTERNAL_ELB_ROLE_TAG] = "1"
            subnets.append(
                {
                    "name": name,
                    "cidr": str(slots[index + (SUBNET_SLOTS // 2 if public else 0)]),
                    "zone": zone,
                    "public": public,
                    "tags": tags,
                }
            )
    return subnets


def role_names(cluster: str) -> dict[str, str]:
    """The IAM roles created for a cluster unless the inventory names roles of its own."""
    return {"cluster": f"{cluster}-eks-cluster", "node": f"{cluster}-eks-node"}


def trust_policy(service: str) -> str:
    """The trust policy that lets an AWS service (eks.amazonaws.com, ec2.amazonaws.com) assume a role."""
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, sort_keys=True)


def role_policies(region: str, ebs_csi_on_nodes: bool) -> dict[str, list[str]]:
    """The managed policy ARNs of the cluster role and of the node role."""
    names = {"partition": partition(region)}
    node = [arn.format(**names) for arn in NODE_POLICIES]
    if ebs_csi_on_nodes:
        node.append(EBS_CSI_POLICY.format(**names))
    return {"cluster": [arn.format(**names) for arn in CLUSTER_POLICIES], "node": node}
