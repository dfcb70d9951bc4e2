"""Filters of the grafana role: the default dashboards from their descriptions, and every object."""

from __future__ import annotations

import os
from typing import Any

import yaml
from ansible.errors import AnsibleFilterError
from ansible_collections.devstats.platform.plugins.module_utils.grafana_dashboards import (
    DashboardError,
    build_dashboard,
    dashboard_file_name,
    dashboard_json,
)
from ansible_collections.devstats.platform.plugins.module_utils.grafana_manifests import foundation_objects


def grafana_default_dashboards(directory: str) -> list[list[str]]:
    """[file name, JSON] of each dashboard described by a `*.yml` file of `directory`, sorted by name."""
    out = []
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".yml"):
            continue
        path = os.path.join(directory, name)
        with open(path, encoding="utf-8") as handle:
            description = yaml.safe_load(handle)
        try:
            dashboard = build_dashboard(description)
        except DashboardError as error:
            raise AnsibleFilterError(f"{path}: {error}") from error
        out.append([dashboard_file_name(dashboard), dashboard_json(dashboard)])
    if not out:
        raise AnsibleFilterError(f"{directory}: no dashboard description (*.yml)")
    return out


def grafana_foundation_objects(
    foundation: dict[str, Any], settings: dict[str, Any], default_dashboards: list[list[str]]
) -> list[dict[str, Any]]:
    """Every Grafana of the foundation's projects and its home page."""
    try:
        return foundation_objects(foundation, settings, [tuple(pair) for pair in default_dashboards])
    except DashboardError as error:
        raise AnsibleFilterError(f"foundation {foundation.get('name')}: {error}") from error


class FilterModule:
    """Grafana filters."""

    def filters(self) -> dict[str, Any]:
        return {
            "grafana_default_dashboards": grafana_default_dashboards,
            "grafana_foundation_objects": grafana_foundation_objects,
        }
