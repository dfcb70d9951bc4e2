"""Which projects want an event, decided on its repository's ``owner/name``.

DevStats semantics: an org takes every repository whose owner is that org, a repository entry
takes exactly that ``owner/name``, a ``regexp`` is searched (not anchored) in ``owner/name`` and in
the owner alone (so DevStats' ``regexp:^(fluent|...)$`` takes every repository of ``fluent``); a
project takes the union of these, minus ``exclude_repos``. Names compare exactly, as in DevStats.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from devstats_sync.projects_config import Project

_CACHE_LIMIT = 1_000_000


class ProjectFilter:
    def __init__(self, project: Project) -> None:
        self.orgs = frozenset(project.orgs)
        self.repos = frozenset(project.repos)
        self.excluded = frozenset(project.exclude_repos)
        self.regexp = re.compile(project.regexp) if project.regexp is not None else None

    def matches(self, full_name: str) -> bool:
        if not full_name or full_name in self.excluded:
            return False
        if full_name in self.repos:
            return True
        owner, sep, _ = full_name.partition("/")
        if sep and owner in self.orgs:
            return True
        if self.regexp is None:
            return False
        return bool(self.regexp.search(full_name) or (sep and self.regexp.search(owner)))


class Router:
    """Maps a repository name to the indexes of the projects that want it, memoized per name.

    One hour names tens of thousands of repositories, most of them many times: the memo turns the
    per-event decision into one dict lookup, for any number of projects.
    """

    def __init__(self, projects: Sequence[Project]) -> None:
        self.filters = [ProjectFilter(p) for p in projects]
        self._memo: dict[bytes, tuple[int, ...]] = {}

    def route(self, name: bytes) -> tuple[int, ...]:
        found = self._memo.get(name)
        if found is None:
            text = name.decode("utf-8", "replace")
            found = tuple(i for i, f in enumerate(self.filters) if f.matches(text))
            if len(self._memo) >= _CACHE_LIMIT:
                self._memo.clear()
            self._memo[name] = found
        return found

    def route_name(self, name: str | None) -> tuple[int, ...]:
        return self.route(name.encode()) if name else ()
