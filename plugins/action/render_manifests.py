# -*- coding: utf-8 -*-
# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Controller side of devstats.platform.render_manifests: one component's objects into a foundation's
render directory in one step (a module run per file, as a task list does it, made big renders slow)."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible_collections.devstats.platform.plugins.plugin_utils.k8s_render import (
    carry_out,
    plan_diffs,
    plan_render,
)

_ARGUMENTS = {
    "directory": {"type": "path", "required": True},
    "foundation": {"type": "str", "required": True},
    "component": {"type": "str", "required": True},
    "objects": {"type": "list", "elements": "dict", "required": True},
}


class ActionModule(ActionBase):
    """Writes the files that differ, removes the component's stale files, lists the foundation's files."""

    _supports_check_mode = True
    _supports_async = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        arguments = self.validate_argument_spec(argument_spec=_ARGUMENTS)[1]
        for index, entry in enumerate(arguments["objects"], start=1):
            if not {"file", "manifest"} <= set(entry):
                raise AnsibleActionFail(
                    f"objects #{index}: expected an entry of k8s_render_files (file, manifest, ...)"
                )
        try:
            plan = plan_render(
                arguments["directory"], arguments["foundation"], arguments["component"], arguments["objects"]
            )
            if not self._task.check_mode:
                carry_out(plan)
        except (OSError, ValueError) as error:
            raise AnsibleActionFail(f"render into {arguments['directory']}: {error}") from None
        result.update(
            changed=plan.changed,
            directory=plan.directory,
            written=[entry["file"] for entry in plan.pending],
            removed=plan.stale,
            stray=plan.stray,
        )
        if self._task.diff and plan.changed:
            result["diff"] = plan_diffs(plan)
        if plan.stray:
            result["warnings"] = [
                f"{plan.directory}/{name} holds no object of this foundation's components; "
                "kustomization.yaml does not list it"
                for name in plan.stray
            ]
        return result
