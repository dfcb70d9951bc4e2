#!/usr/bin/python
# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Ansible module devstats.platform.eks_cluster_info: an EKS cluster with its node groups and add-ons."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: eks_cluster_info
short_description: Read an EKS cluster, its managed node groups and its add-ons
version_added: "0.1.0"
description:
  - Describes one EKS cluster and, optionally, each of its managed node groups and add-ons, in the
    flat snake_case shape the C(devstats.platform.eks_cluster) role compares with the inventory.
  - A cluster that does not exist is not an error; RV(exists) is then false.
  - Label and tag keys are returned as they are.
  - community.aws has no information module for EKS; this one reads through boto3.
author:
  - devstats.platform developers (@devstats)
options:
  name:
    description: The EKS cluster's name.
    type: str
    required: true
  node_groups:
    description: Whether to describe the cluster's managed node groups.
    type: bool
    default: true
  addons:
    description:
      - Whether to describe the cluster's add-ons.
      - Off by default because AWS-compatible APIs without the add-on calls (such as the moto emulator)
        would fail the task.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: The module only reads; check mode reads the same.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to show.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - devstats.platform.eks
seealso:
  - module: community.aws.eks_cluster
  - module: community.aws.eks_nodegroup
"""

EXAMPLES = r"""
- name: Read the cluster, its node groups and its add-ons
  devstats.platform.eks_cluster_info:
    name: devstats
    region: eu-west-1
    addons: true
  register: cluster

- name: Show the Kubernetes version it runs
  ansible.builtin.debug:
    msg: "{{ cluster.cluster.version if cluster.exists else 'no cluster yet' }}"
"""

RETURN = r"""
exists:
  description: Whether the cluster exists.
  returned: always
  type: bool
cluster:
  description: The cluster; null when it does not exist.
  returned: always
  type: dict
  contains:
    name:
      description: The cluster's name.
      type: str
    arn:
      description: The cluster's ARN.
      type: str
    status:
      description: C(CREATING), C(ACTIVE), C(UPDATING), C(DELETING) or C(FAILED).
      type: str
    version:
      description: The Kubernetes version (major.minor).
      type: str
    endpoint:
      description: The API server's URL; empty until the cluster is active.
      type: str
    certificate_authority_data:
      description: The base64-encoded CA bundle of the API server; empty until the cluster is active.
      type: str
    role_arn:
      description: The cluster's IAM role.
      type: str
    subnet_ids:
      description: The cluster's subnets, sorted.
      type: list
      elements: str
    security_group_ids:
      description: The additional security groups of the cluster, sorted.
      type: list
      elements: str
    endpoint_access:
      description: C(public), C(public_and_private) or C(private).
      type: str
    public_access_cidrs:
      description: The addresses allowed to the public endpoint, sorted; empty for a private endpoint.
      type: list
      elements: str
    tags:
      description: The cluster's tags.
      type: dict
  sample:
    name: devstats
    arn: arn:aws:eks:eu-west-1:123456789012:cluster/devstats
    status: ACTIVE
    version: "1.34"
    endpoint: https://0123456789ABCDEF.gr7.eu-west-1.eks.amazonaws.com
    endpoint_access: public
    public_access_cidrs: [0.0.0.0/0]
node_groups:
  description: The managed node groups by name; empty when O(node_groups=false) or there is no cluster.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The node group's name.
      type: str
    status:
      description: The node group's status.
      type: str
    instance_types:
      description: The instance types.
      type: list
      elements: str
    disk_size:
      description: The data volume's size in GiB.
      type: int
    capacity_type:
      description: C(ON_DEMAND) or C(SPOT).
      type: str
    ami_type:
      description: The AMI type.
      type: str
    min_size:
      description: The least number of nodes.
      type: int
    max_size:
      description: The most nodes.
      type: int
    desired_size:
      description: The number of nodes wanted now.
      type: int
    labels:
      description: The Kubernetes labels of the nodes.
      type: dict
    taints:
      description: The taints, each C(key), C(value) (empty when unset) and C(effect) in Kubernetes' spelling.
      type: list
      elements: dict
    subnets:
      description: The node group's subnets, sorted.
      type: list
      elements: str
    node_role:
      description: The nodes' IAM role.
      type: str
    tags:
      description: The node group's tags.
      type: dict
addons:
  description: The add-ons by name; empty when O(addons=false) or there is no cluster.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The add-on's name.
      type: str
    status:
      description: The add-on's status.
      type: str
    version:
      description: The add-on's version.
      type: str
    service_account_role_arn:
      description: The IAM role of the add-on's service account; empty when it has none.
      type: str
    tags:
      description: The add-on's tags.
      type: dict
"""

# Ansible modules carry their documentation before the imports (ansible-test and ansible-doc read it there).
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule  # noqa: E402
from ansible_collections.devstats.platform.plugins.module_utils.eks_state import (  # noqa: E402
    AWS_ERRORS,
    read_addons,
    read_cluster,
    read_node_groups,
)


def main():
    module = AnsibleAWSModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "node_groups": {"type": "bool", "default": True},
            "addons": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    name = module.params["name"]
    client = module.client("eks")
    result = {"changed": False, "exists": False, "cluster": None, "node_groups": [], "addons": []}
    try:
        cluster = read_cluster(client, name)
        if cluster is not None:
            result.update(exists=True, cluster=cluster)
            if module.params["node_groups"]:
                result["node_groups"] = read_node_groups(client, name)
            if module.params["addons"]:
                result["addons"] = read_addons(client, name)
    except AWS_ERRORS as error:
        module.fail_json_aws(error, msg=f"Could not read EKS cluster {name}")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
