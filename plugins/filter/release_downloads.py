"""Filters of the release_downloads role: its checked plan, and one message for failed downloads."""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

from ..module_utils import release_downloads


def release_downloads_plan(entries: Any, cache_dir: str) -> list:
    """The entries completed with their cache file and install pairs; every bad entry is one error line."""
    try:
        return release_downloads.plan(entries, cache_dir)
    except release_downloads.DownloadsError as error:
        raise AnsibleFilterError(str(error)) from error


def release_downloads_failures(results: list) -> list:
    """One line per failed download (URL, expected and actual sha256 for a mismatch)."""
    return release_downloads.failures(results)


class FilterModule:
    """The release_downloads role's filters."""

    def filters(self) -> dict:
        return {
            "release_downloads_plan": release_downloads_plan,
            "release_downloads_failures": release_downloads_failures,
        }
