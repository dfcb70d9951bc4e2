#!/usr/bin/python
# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Ansible module devstats.platform.eks_endpoint_access: who reaches an EKS cluster's API endpoint."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: eks_endpoint_access
short_description: Set the public and private access of an EKS cluster's API endpoint
version_added: "0.1.0"
description:
  - Makes the endpoint of an existing EKS cluster public, public and private, or private, and limits its
    public side to the given CIDR blocks, with one C(UpdateClusterConfig) request when it differs.
  - M(community.aws.eks_cluster) creates clusters with EKS's default (public, from anywhere) and has no option
    for the endpoint; this module changes it afterwards.
author:
  - devstats.platform developers (@devstats)
options:
  name:
    description: The EKS cluster's name; the cluster must exist.
    type: str
    required: true
  access:
    description: C(public) (EKS's default), C(public_and_private) or C(private).
    type: str
    choices: [public, public_and_private, private]
    default: public
  public_access_cidrs:
    description: The addresses allowed to reach the public endpoint; ignored for C(private).
    type: list
    elements: str
    default: [0.0.0.0/0]
attributes:
  check_mode:
    support: full
    description: Reports the request it would send (RV(update)) and sends nothing.
  diff_mode:
    support: full
    description: Shows the access and the CIDR blocks before and after.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - devstats.platform.eks
  - devstats.platform.eks.wait
seealso:
  - module: community.aws.eks_cluster
"""

EXAMPLES = r"""
- name: Nodes reach the API inside the VPC, people only from the office
  devstats.platform.eks_endpoint_access:
    name: devstats
    access: public_and_private
    public_access_cidrs: [203.0.113.0/24]
"""

RETURN = r"""
update:
  description: The C(resourcesVpcConfig) sent (in check mode, that would be sent); empty when none.
  returned: always
  type: dict
  sample:
    endpointPublicAccess: true
    endpointPrivateAccess: true
    publicAccessCidrs: [203.0.113.0/24]
"""

# Ansible modules carry their documentation before the imports (ansible-test and ansible-doc read it there).
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule  # noqa: E402
from ansible_collections.devstats.platform.plugins.module_utils.eks_state import (  # noqa: E402
    AWS_ERRORS,
    read_cluster,
    wait_until,
)
from ansible_collections.devstats.platform.plugins.module_utils.eks_updates import endpoint_update  # noqa: E402


def main():
    module = AnsibleAWSModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "access": {
                "type": "str",
                "choices": ["public", "public_and_private", "private"],
                "default": "public",
            },
            "public_access_cidrs": {"type": "list", "elements": "str", "default": ["0.0.0.0/0"]},
            "wait": {"type": "bool", "default": True},
            "wait_timeout": {"type": "int", "default": 1800},
        },
        supports_check_mode=True,
    )
    params = module.params
    name = params["name"]
    client = module.client("eks")
    try:
        cluster = read_cluster(client, name)
    except AWS_ERRORS as error:
        module.fail_json_aws(error, msg=f"Could not read EKS cluster {name}")
    if cluster is None:
        module.fail_json(msg=f"there is no EKS cluster {name}; create it with community.aws.eks_cluster")
    update = endpoint_update(cluster, params["access"], params["public_access_cidrs"])
    after_cidrs = sorted(params["public_access_cidrs"]) if params["access"] != "private" else []
    result = {
        "changed": bool(update),
        "update": update,
        "diff": {
            "before": {
                "access": cluster["endpoint_access"],
                "public_access_cidrs": cluster["public_access_cidrs"],
            },
            "after": {"access": params["access"], "public_access_cidrs": after_cidrs},
        },
    }
    if module.check_mode or not update:
        module.exit_json(**result)
    try:
        client.update_cluster_config(name=name, resourcesVpcConfig=update)
        if params["wait"]:
            wait_until(client, "cluster_active", params["wait_timeout"], name=name)
    except AWS_ERRORS as error:
        module.fail_json_aws(error, msg=f"Could not change the endpoint access of EKS cluster {name}")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
