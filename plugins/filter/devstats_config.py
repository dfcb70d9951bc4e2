"""The `projects.yaml` the sync tool reads, built from a foundation's inventory entries."""

from __future__ import annotations

import datetime
from typing import Any

from ansible.errors import AnsibleFilterError

# The inventory fields the sync tool needs, in inventory.md's names; schedule, timezone and
# disk_size only shape Kubernetes objects and stay out.
_LISTS = ("orgs", "repos", "exclude_repos")
_OPTIONAL = ("regexp", "main_repo", "files_skip_pattern")


def _text(value: Any) -> str:
    # An unquoted date in YAML arrives as a date object; the sync tool expects the inventory's text.
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def devstats_projects_config(projects: list[Any], foundation: str, domain: str) -> dict[str, Any]:
    """{foundation, domain, projects: [...]} with every default of docs/inventory.md filled in."""
    if not isinstance(projects, list):
        raise AnsibleFilterError(f"foundation '{foundation}': devstats_projects must be a list")
    out = []
    for index, project in enumerate(projects):
        if not isinstance(project, dict) or not isinstance(project.get("name"), str):
            raise AnsibleFilterError(
                f"foundation '{foundation}', project #{index + 1}: a mapping with a name"
            )
        name = project["name"]
        entry: dict[str, Any] = {
            "name": name,
            "title": str(project.get("title") or name),
            "db": str(project.get("db") or name.replace("-", "_")),
            "start_date": _text(project.get("start_date", "")),
            "archived": bool(project.get("archived", False)),
            "disabled": bool(project.get("disabled", False)),
        }
        for field in _LISTS:
            entry[field] = [str(item) for item in project.get(field) or []]
        for field in _OPTIONAL:
            if project.get(field) not in (None, ""):
                entry[field] = str(project[field])
        out.append(entry)
    return {"foundation": foundation, "domain": domain, "projects": out}


class FilterModule:
    """Filters of the devstats role."""

    def filters(self) -> dict[str, Any]:
        return {"devstats_projects_config": devstats_projects_config}
