#!/usr/bin/python
# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Ansible module devstats.platform.eks_addon: an EKS add-on of a pinned version."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: eks_addon
short_description: Install, update or remove an EKS add-on of a pinned version
version_added: "0.1.0"
description:
  - Creates an EKS add-on (such as C(aws-ebs-csi-driver)) of the given version, updates it when its version
    or service account role differs, or deletes it.
  - Neither amazon.aws nor community.aws has a module for EKS add-ons; this one calls the API through boto3.
  - Tags are set when the add-on is created.
author:
  - devstats.platform developers (@devstats)
options:
  cluster_name:
    description: The EKS cluster's name.
    type: str
    required: true
  name:
    description: The add-on's name, e.g. C(aws-ebs-csi-driver).
    type: str
    required: true
  version:
    description: The add-on version, e.g. C(v1.64.0-eksbuild.1); required with O(state=present).
    type: str
  service_account_role_arn:
    description: An IAM role for the add-on's service account; empty for none (the nodes' role is used).
    type: str
    default: ""
  resolve_conflicts:
    description: What EKS does with fields of the add-on's objects that someone else changed.
    type: str
    choices: [OVERWRITE, PRESERVE, NONE]
    default: OVERWRITE
  tags:
    description: Tags of the add-on, set when it is created.
    type: dict
    default: {}
  state:
    description: Whether the add-on is installed.
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    support: full
    description: Reports the action it would take (RV(action)) and sends nothing.
  diff_mode:
    support: none
    description: RV(action) and RV(addon) say what changes.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - devstats.platform.eks
  - devstats.platform.eks.wait
seealso:
  - module: devstats.platform.eks_cluster_info
"""

EXAMPLES = r"""
- name: The EBS CSI driver, so that PersistentVolumeClaims get EBS volumes
  devstats.platform.eks_addon:
    cluster_name: devstats
    name: aws-ebs-csi-driver
    version: v1.64.0-eksbuild.1
"""

RETURN = r"""
action:
  description: C(create), C(update), C(delete), or null when nothing changed.
  returned: always
  type: str
addon:
  description: The add-on as M(devstats.platform.eks_cluster_info) returns add-ons; null when there is none.
  returned: always
  type: dict
"""

# Ansible modules carry their documentation before the imports (ansible-test and ansible-doc read it there).
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule  # noqa: E402
from ansible_collections.devstats.platform.plugins.module_utils.eks_state import (  # noqa: E402
    AWS_ERRORS,
    read_addon,
    wait_until,
)
from ansible_collections.devstats.platform.plugins.module_utils.eks_updates import addon_action  # noqa: E402


def _apply(client, action, params):
    names = {"clusterName": params["cluster_name"], "addonName": params["name"]}
    settings = {"resolveConflicts": params["resolve_conflicts"]}
    if params["service_account_role_arn"]:
        settings["serviceAccountRoleArn"] = params["service_account_role_arn"]
    if action == "create":
        client.create_addon(addonVersion=params["version"], tags=params["tags"], **names, **settings)
    elif action == "update":
        client.update_addon(addonVersion=params["version"], **names, **settings)
    else:
        client.delete_addon(**names)
    if params["wait"]:
        waiter = "addon_deleted" if action == "delete" else "addon_active"
        wait_until(client, waiter, params["wait_timeout"], **names)


def main():
    module = AnsibleAWSModule(
        argument_spec={
            "cluster_name": {"type": "str", "required": True},
            "name": {"type": "str", "required": True},
            "version": {"type": "str"},
            "service_account_role_arn": {"type": "str", "default": ""},
            "resolve_conflicts": {
                "type": "str",
                "choices": ["OVERWRITE", "PRESERVE", "NONE"],
                "default": "OVERWRITE",
            },
            "tags": {"type": "dict", "default": {}},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
            "wait": {"type": "bool", "default": True},
            "wait_timeout": {"type": "int", "default": 1800},
        },
        required_if=[("state", "present", ("version",))],
        supports_check_mode=True,
    )
    params = module.params
    cluster, name = params["cluster_name"], params["name"]
    client = module.client("eks")
    try:
        current = read_addon(client, cluster, name)
        if params["state"] == "absent":
            action = "delete" if current is not None else None
        else:
            action = addon_action(current, params["version"], params["service_account_role_arn"])
        if action and not module.check_mode:
            _apply(client, action, params)
            current = read_addon(client, cluster, name)
    except AWS_ERRORS as error:
        module.fail_json_aws(error, msg=f"Could not manage add-on {name} of EKS cluster {cluster}")
    module.exit_json(changed=action is not None, action=action, addon=current)


if __name__ == "__main__":
    main()
