#!/usr/bin/python
# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Ansible module devstats.platform.eks_nodegroup_config: in-place changes of an EKS managed node group."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: eks_nodegroup_config
short_description: Change the sizes, labels, taints and tags of an existing EKS managed node group
version_added: "0.1.0"
description:
  - Makes the scaling configuration, the Kubernetes labels and the taints of an existing managed node group
    what is asked for, in one C(UpdateNodegroupConfig) request, and adds the tags that are missing or differ.
  - Labels and taints are managed whole - those not asked for are removed; tags set by others are kept.
  - Only what the EKS API changes in place; create and delete node groups with M(community.aws.eks_nodegroup).
    That module is not used for these updates because, in community.aws 10.0, it crashes on any change of
    taints, compares only label keys (not values), and reports label changes as no change in check mode.
author:
  - devstats.platform developers (@devstats)
options:
  cluster_name:
    description: The EKS cluster's name.
    type: str
    required: true
  name:
    description: The managed node group's name; the node group must exist.
    type: str
    required: true
  min_size:
    description: The least number of nodes.
    type: int
    required: true
  max_size:
    description: The most nodes.
    type: int
    required: true
  desired_size:
    description: The number of nodes to run now.
    type: int
    required: true
  labels:
    description: The Kubernetes labels of the nodes, all of them.
    type: dict
    default: {}
  taints:
    description: The taints of the nodes, all of them; one per key and effect.
    type: list
    elements: dict
    default: []
    suboptions:
      key:
        description: The taint's key.
        type: str
        required: true
      value:
        description: The taint's value; empty for none.
        type: str
        default: ""
      effect:
        description: The effect, in Kubernetes' spelling.
        type: str
        required: true
        choices: [NoSchedule, PreferNoSchedule, NoExecute]
  tags:
    description: Tags the node group must have; other tags are kept.
    type: dict
    default: {}
attributes:
  check_mode:
    support: full
    description: Reports the request it would send (RV(update)) and sends nothing.
  diff_mode:
    support: full
    description: Shows the sizes, labels and taints before and after.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - devstats.platform.eks
  - devstats.platform.eks.wait
seealso:
  - module: community.aws.eks_nodegroup
  - module: devstats.platform.eks_cluster_info
"""

EXAMPLES = r"""
- name: Three to four nodes, dedicated to the sync jobs
  devstats.platform.eks_nodegroup_config:
    cluster_name: devstats
    name: general
    min_size: 3
    max_size: 6
    desired_size: 4
    labels:
      devstats.io/role: sync
    taints:
      - key: devstats.io/dedicated
        value: sync
        effect: NoSchedule
"""

RETURN = r"""
update:
  description: The UpdateNodegroupConfig arguments sent (in check mode, that would be sent); empty for none.
  returned: always
  type: dict
  sample:
    scalingConfig: {minSize: 3, maxSize: 6, desiredSize: 4}
    labels: {addOrUpdateLabels: {devstats.io/role: sync}}
tags_added:
  description: The tags added or changed.
  returned: always
  type: dict
node_group:
  description: The node group after the change, as M(devstats.platform.eks_cluster_info) returns node groups.
  returned: always
  type: dict
"""

# Ansible modules carry their documentation before the imports (ansible-test and ansible-doc read it there).
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule  # noqa: E402
from ansible_collections.devstats.platform.plugins.module_utils.eks_state import (  # noqa: E402
    AWS_ERRORS,
    read_node_group,
    wait_until,
)
from ansible_collections.devstats.platform.plugins.module_utils.eks_updates import (  # noqa: E402
    node_group_update,
    tags_to_add,
)

_COMPARED = ("min_size", "max_size", "desired_size", "labels", "taints")


def main():
    module = AnsibleAWSModule(
        argument_spec={
            "cluster_name": {"type": "str", "required": True},
            "name": {"type": "str", "required": True},
            "min_size": {"type": "int", "required": True},
            "max_size": {"type": "int", "required": True},
            "desired_size": {"type": "int", "required": True},
            "labels": {"type": "dict", "default": {}},
            "taints": {
                "type": "list",
                "elements": "dict",
                "default": [],
                "options": {
                    "key": {"type": "str", "required": True, "no_log": False},
                    "value": {"type": "str", "default": ""},
                    "effect": {
                        "type": "str",
                        "required": True,
                        "choices": ["NoSchedule", "PreferNoSchedule", "NoExecute"],
                    },
                },
            },
            "tags": {"type": "dict", "default": {}},
            "wait": {"type": "bool", "default": True},
            "wait_timeout": {"type": "int", "default": 1800},
        },
        supports_check_mode=True,
    )
    params = module.params
    cluster, name = params["cluster_name"], params["name"]
    client = module.client("eks")
    try:
        current = read_node_group(client, cluster, name)
    except AWS_ERRORS as error:
        module.fail_json_aws(error, msg=f"Could not read node group {name} of EKS cluster {cluster}")
    if current is None:
        module.fail_json(
            msg=f"EKS cluster {cluster} has no node group {name}; create it with community.aws.eks_nodegroup"
        )
    update = node_group_update(current, params)
    tags = tags_to_add(current["tags"], params["tags"])
    result = {
        "changed": bool(update or tags),
        "update": update,
        "tags_added": tags,
        "node_group": current,
        "diff": {
            "before": {key: current[key] for key in _COMPARED},
            "after": {key: params[key] for key in _COMPARED},
        },
    }
    if module.check_mode or not result["changed"]:
        module.exit_json(**result)
    try:
        if update:
            client.update_nodegroup_config(clusterName=cluster, nodegroupName=name, **update)
            if params["wait"]:
                wait_until(
                    client,
                    "nodegroup_active",
                    params["wait_timeout"],
                    clusterName=cluster,
                    nodegroupName=name,
                )
        if tags:
            client.tag_resource(resourceArn=current["arn"], tags=tags)
        result["node_group"] = read_node_group(client, cluster, name)
    except AWS_ERRORS as error:
        module.fail_json_aws(error, msg=f"Could not update node group {name} of EKS cluster {cluster}")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
