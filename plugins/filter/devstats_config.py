"""Filters of the devstats role: the `projects.yaml` the sync tool reads, built from preflight's normalized
model of a foundation, and the names of the CronJobs that write its databases."""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

from ..module_utils.project_manifests import (
    RenderError,
    data_cronjob_names,
)
from ..module_utils.project_schema import project_schema


def devstats_projects_config(foundation: Any) -> dict[str, Any]:
    """{foundation, domain, projects: [...]} from one entry of the fact ``preflight_foundations``: of each
    project, the fields of scope ``sync`` in the sync tool's project_fields.yaml (preflight filled in
    every default; a field without one is left out when unset). The kubernetes-scope fields (schedule,
    timezone, disk_size, resources) and the model's host only shape Kubernetes objects and stay out."""
    if not isinstance(foundation, dict) or not isinstance(foundation.get("projects"), list):
        raise AnsibleFilterError(
            "devstats_projects_config takes one foundation of preflight_foundations "
            "(a mapping with name, domain and projects); did the preflight play run?"
        )
    passed = project_schema().names("sync")
    projects = [
        {field: project[field] for field in passed if field in project} for project in foundation["projects"]
    ]
    return {"foundation": foundation["name"], "domain": foundation["domain"], "projects": projects}


def devstats_data_cronjobs(foundation: Any) -> list[str]:
    """The foundation's ingest CronJob and each synced project's sync CronJob, by name."""
    try:
        return data_cronjob_names(foundation)
    except RenderError as error:
        raise AnsibleFilterError(f"devstats_data_cronjobs: {error}") from None


class FilterModule:
    """Filters of the devstats role."""

    def filters(self) -> dict[str, Any]:
        return {
            "devstats_projects_config": devstats_projects_config,
            "devstats_data_cronjobs": devstats_data_cronjobs,
        }
