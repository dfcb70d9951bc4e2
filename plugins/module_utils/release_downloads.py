# -*- coding: utf-8 -*-
# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The release_downloads role's plan: checked entries, their cache files, what a failed download means.

Pure functions: the role hands them the inventory's entries and get_url's results; nothing here touches
a host. A cache file is named by its sha256, so a changed pin is a different file (downloaded anew) and
a cached file never needs to be checked against a URL again.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_MODE = re.compile(r"^0?[0-7]{3,4}$")
# get_url's message for a mismatch: "The checksum for <tmp> did not match <expected>; it was <actual>."
_ACTUAL = re.compile(r"it was ([0-9a-fA-F]{64})")
_FIELDS = ("url", "sha256", "dest", "mode", "extract", "members")


class DownloadsError(ValueError):
    """An entry of release_downloads_files that cannot be downloaded as given."""


def _fields_problem(entry: Mapping[str, Any]) -> str | None:
    unknown = sorted(str(key) for key in entry if key not in _FIELDS)
    return f"unknown field(s) {', '.join(unknown)}; expected {', '.join(_FIELDS)}" if unknown else None


def _url_problem(entry: Mapping[str, Any]) -> str | None:
    url = entry.get("url")
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts and parts.scheme in ("http", "https") and parts.netloc:
        return None
    return f"'url' {url!r} is not an http(s) URL"


def _sha256_problem(entry: Mapping[str, Any]) -> str | None:
    sha256 = entry.get("sha256")
    return (
        None
        if isinstance(sha256, str) and _SHA256.match(sha256.lower())
        else f"'sha256' {sha256!r} is not 64 hex digits"
    )


def _dest_problem(entry: Mapping[str, Any]) -> str | None:
    dest = entry.get("dest")
    return (
        None if isinstance(dest, str) and dest.startswith("/") else f"'dest' {dest!r} is not an absolute path"
    )


def _mode_problem(entry: Mapping[str, Any]) -> str | None:
    mode = entry.get("mode", "0755")
    if isinstance(mode, str) and _MODE.match(mode):
        return None
    return f"'mode' {mode!r} is not an octal mode string such as '0755'"


def _members_problem(entry: Mapping[str, Any]) -> str | None:
    extract, members = entry.get("extract", False), entry.get("members")
    if not isinstance(extract, bool):
        return f"'extract' {extract!r} is not a boolean"
    if not extract:
        return None if members is None else "'members' is only meaningful with 'extract: true'"
    if not isinstance(members, list) or not members or not all(isinstance(m, str) and m for m in members):
        return "'members' must list the archive members to install when 'extract' is true"
    names = [posixpath.basename(m.rstrip("/")) for m in members]
    if len(set(names)) != len(names):
        return f"'members' {members!r} share a file name; each is installed as dest/<its file name>"
    return None


_CHECKS = (_fields_problem, _url_problem, _sha256_problem, _dest_problem, _mode_problem, _members_problem)


def _entry_problem(entry: Any) -> str | None:
    """The first problem of one entry, None when it can be downloaded as given."""
    if not isinstance(entry, Mapping):
        return f"expected a mapping, got {type(entry).__name__}"
    return next((problem for problem in (check(entry) for check in _CHECKS) if problem), None)


def plan(entries: Sequence[Any], cache_dir: str) -> list[dict[str, Any]]:
    """Each entry completed: its cache file (named by its sha256 and the URL's file name) and, for an
    archive, its extraction directory and the member -> installed path pairs. Raises DownloadsError
    naming every bad entry, before anything is downloaded."""
    if not isinstance(entries, Sequence) or isinstance(entries, str):
        raise DownloadsError("release_downloads_files must be a list")
    problems = []
    out = []
    for index, entry in enumerate(entries):
        problem = _entry_problem(entry)
        if problem:
            where = entry.get("url") if isinstance(entry, Mapping) else None
            named = f" ({where})" if where else ""
            problems.append(f"release_downloads_files #{index + 1}{named}: {problem}")
            continue
        sha256 = entry["sha256"].lower()
        file_name = posixpath.basename(urlsplit(entry["url"]).path) or "download"
        cache = posixpath.join(cache_dir, f"{sha256}-{file_name}")
        item: dict[str, Any] = {
            "url": entry["url"],
            "sha256": sha256,
            "dest": entry["dest"],
            "mode": entry.get("mode", "0755"),
            "extract": entry.get("extract", False),
            "cache": cache,
            "installs": [],
        }
        if item["extract"]:
            item["unpacked"] = f"{cache}.d"
            item["members"] = [m.rstrip("/") for m in entry["members"]]
            item["installs"] = [
                {
                    "src": posixpath.join(item["unpacked"], member),
                    "dest": posixpath.join(entry["dest"], posixpath.basename(member)),
                }
                for member in item["members"]
            ]
        else:
            item["installs"] = [{"src": cache, "dest": entry["dest"]}]
        out.append(item)
    dests = [install["dest"] for item in out for install in item["installs"]]
    twice = sorted({dest for dest in dests if dests.count(dest) > 1})
    if twice:
        problems.append(f"release_downloads_files: more than one download installs {', '.join(twice)}")
    if problems:
        raise DownloadsError("\n".join(problems))
    return out


def failures(results: Sequence[Mapping[str, Any]]) -> list[str]:
    """One line per failed download of a get_url loop: the URL, and for a checksum mismatch the expected
    and the actual sha256; nothing was installed for any of them."""
    lines = []
    for result in results:
        if not result.get("failed"):
            continue
        item = result.get("item") or {}
        url, expected = item.get("url", "?"), item.get("sha256", "?")
        message = str(result.get("msg", "")).strip()
        actual = _ACTUAL.search(message)
        if actual:
            lines.append(f"{url}: sha256 mismatch, expected {expected}, got {actual.group(1).lower()}")
        else:
            lines.append(f"{url}: download failed: {message or 'no message'}")
    return lines
