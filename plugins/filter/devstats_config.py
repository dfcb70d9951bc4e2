"""Filters of the devstats role: the `projects.yaml` the sync tool reads, built from preflight's normalized
model of a foundation, and the names of the CronJobs that write its databases."""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

from ..module_utils.project_manifests import (
    RenderError,
    data_cronjob_names,
)

# The fields the sync tool reads, in inventory.md's names. Preflight has already filled in every
# default; schedule, timezone, disk_size and host only shape Kubernetes objects and stay out.
_ALWAYS = ("name", "title", "db", "orgs", "repos", "exclude_repos", "start_date", "archived", "disabled")
_WHEN_SET = ("regexp", "main_repo", "files_skip_pattern")


def devstats_projects_config(foundation: Any) -> dict[str, Any]:
    """{foundation, domain, projects: [...]} from one entry of the fact ``preflight_foundations``."""
    if not isinstance(foundation, dict) or not isinstance(foundation.get("projects"), list):
        raise AnsibleFilterError(
            "devstats_projects_config takes one foundation of preflight_foundations "
            "(a mapping with name, domain and projects); did the preflight play run?"
        )
    projects = [
        {
            **{field: project[field] for field in _ALWAYS},
            **{field: project[field] for field in _WHEN_SET if project.get(field) not in (None, "")},
        }
        for project in foundation["projects"]
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
