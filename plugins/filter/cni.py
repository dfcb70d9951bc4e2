"""Filters of the cni role: the CRDs a network add-on needs, from the role's table."""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

from ..module_utils.custom_resources import CustomResourceError, custom_resource_definitions


def cni_custom_resource_definitions(table: list, group: str = "", version: str = "") -> list:
    """apiextensions.k8s.io/v1 CRDs of the table's rows (module_utils/custom_resources.py)."""
    try:
        return custom_resource_definitions(table, group, version)
    except CustomResourceError as error:
        raise AnsibleFilterError(str(error)) from error


class FilterModule:
    """The cni role's filters."""

    def filters(self) -> dict[str, Any]:
        return {"cni_custom_resource_definitions": cni_custom_resource_definitions}
