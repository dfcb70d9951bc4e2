# -*- coding: utf-8 -*-
# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Controller side of devstats.platform.validate_inventory: reads the variables of every foundation and of
the platform from the inventory and hands them to the inventory model. Nothing runs on a target."""

from __future__ import annotations

import os
from collections.abc import Mapping

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase
from ansible_collections.devstats.platform.plugins.module_utils.aws_credentials import credentials_problem
from ansible_collections.devstats.platform.plugins.module_utils.inventory_foundations import (
    FOUNDATION_VARS,
    FOUNDATIONS_GROUP,
)
from ansible_collections.devstats.platform.plugins.module_utils.inventory_model import validate_inventory
from ansible_collections.devstats.platform.plugins.module_utils.inventory_values import Unresolved


def _template(templar, value):
    try:
        return templar.template(value)
    except AnsibleError as err:
        return Unresolved(err.message)


def _model_variables(templar, host_vars):
    """The host's variables the model reads, templated one field at a time: one broken template is
    reported as such and does not hide the problems of the other fields."""
    found = {}
    for key, value in host_vars.items():
        if key == "devstats_projects" and isinstance(value, list):
            found[key] = [
                {field: _template(templar, item) for field, item in project.items()}
                if isinstance(project, Mapping)
                else _template(templar, project)
                for project in value
            ]
        elif key in FOUNDATION_VARS or key.startswith("platform_"):
            found[key] = _template(templar, value)
    return found


class ActionModule(ActionBase):
    """Validates the inventory model on the controller; never changes anything."""

    _supports_check_mode = True
    _supports_async = False
    _requires_connection = False

    def _host_variables(self, hostvars, host):
        host_vars = hostvars.raw_get(host)
        return _model_variables(self._templar.copy_with_new_env(available_variables=host_vars), host_vars)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        arguments = self.validate_argument_spec(
            argument_spec={"check_aws_credentials": {"type": "bool", "default": True}}
        )[1]
        hostvars = task_vars["hostvars"]
        groups = task_vars["groups"]
        platform = {
            key: value
            for key, value in self._host_variables(hostvars, task_vars["inventory_hostname"]).items()
            if key.startswith("platform_")
        }
        foundations = {
            name: self._host_variables(hostvars, name) for name in groups.get(FOUNDATIONS_GROUP, [])
        }
        resolve = credentials_problem if arguments["check_aws_credentials"] else None
        model = validate_inventory(foundations, platform, groups, aws_credentials=resolve)
        result["changed"] = False
        if model.errors:
            result["failed"] = True
            summary = f"preflight found {len(model.errors)} problem(s) in the inventory; nothing was changed:"
            result["msg"] = "\n".join([summary, *model.errors])
            return result
        # Render mode's directory: the inventory's, else build/manifests beside the playbooks' directory.
        render_dir = model.platform.get("render_dir") or os.path.join(
            task_vars["playbook_dir"], "..", "build", "manifests"
        )
        model.platform["render_dir"] = os.path.normpath(render_dir)
        projects = sum(len(foundation["projects"]) for foundation in model.foundations.values())
        result.update(
            foundations=model.foundations,
            platform=model.platform,
            msg=f"the inventory is valid: {len(foundations)} foundation(s), {projects} project(s)",
        )
        return result
