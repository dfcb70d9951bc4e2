"""Filters of the local run's dashboard preview: the queries it needs, and the page from their answers."""

from __future__ import annotations

import datetime
from typing import Any

import yaml
from ansible.errors import AnsibleFilterError
from ansible_collections.devstats.platform.plugins.module_utils.dashboard_preview import (
    dashboards_from_files,
    preview_html,
    preview_queries,
)


def _hour(text: str) -> datetime.datetime:
    try:
        return datetime.datetime.strptime(text, "%Y-%m-%dT%H").replace(tzinfo=datetime.timezone.utc)
    except ValueError as error:
        raise AnsibleFilterError(f"{text!r} is not an hour YYYY-MM-DDTHH") from error


def grafana_rendered_dashboards(paths: list[str]) -> list[list[str]]:
    """[file, JSON] of every dashboard in the rendered ConfigMap files, sorted by file name."""
    files = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            files += [[name, content] for name, content in (yaml.safe_load(handle).get("data") or {}).items()]
    return sorted(files)


def grafana_preview_queries(files: list[list[str]], start: str, end: str) -> list[dict[str, str]]:
    """{id, sql} of every panel of the dashboards ([file, JSON] pairs) over [start, end]."""
    return preview_queries(dashboards_from_files(files), _hour(start), _hour(end))


def grafana_preview_html(files: list[list[str]], answers: dict[str, Any], title: str, note: str) -> str:
    """The preview page of the dashboards drawn from the answers of their queries."""
    try:
        return preview_html(dashboards_from_files(files), answers, title, note)
    except RuntimeError as error:
        raise AnsibleFilterError(str(error)) from error


class FilterModule:
    """Dashboard preview filters."""

    def filters(self) -> dict[str, Any]:
        return {
            "grafana_rendered_dashboards": grafana_rendered_dashboards,
            "grafana_preview_queries": grafana_preview_queries,
            "grafana_preview_html": grafana_preview_html,
        }
