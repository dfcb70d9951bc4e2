"""DevStats' ways of saying which repositories a project takes, turned into orgs, repos and a regexp.

A DevStats ``projects.yaml`` gives them as ``command_line`` (the last two arguments of its ``gha2db``)
and as ``env: {GHA2DB_EXCLUDE_REPOS: ...}``. The translation keeps gha2db's matching exactly
(devstatscode ``RepoHit``):

* the first argument lists owners, comma-separated; an ``owner/name`` entry in it takes exactly that
  repository; ``regexp:<re>`` instead takes every repository whose ``owner/name`` or owner alone the
  regexp matches (searched, not anchored);
* the second argument, when given, narrows the owners to these repository names (``opencontainers``
  + ``runc,image-spec`` is ``opencontainers/runc`` and ``opencontainers/image-spec``); with no owner,
  those names under any owner.

DevStats builds sets from these lists, so a repeated entry is not an error here.
"""

from __future__ import annotations

import re
from typing import Any

REGEXP_PREFIX = "regexp:"
EXCLUDE_REPOS = "GHA2DB_EXCLUDE_REPOS"


class FieldValueError(ValueError):
    """What is wrong with one field's value; the caller adds the file, the project and the field."""


def _csv(text: str) -> list[str]:
    return list(dict.fromkeys(item.strip() for item in text.split(",") if item.strip()))


def command_line_filter(value: Any) -> dict[str, Any]:
    """``command_line`` -> ``{"orgs": [...], "repos": [...]}`` or ``{"regexp": ...}``."""
    if not isinstance(value, list) or not 1 <= len(value) <= 2 or not all(isinstance(a, str) for a in value):
        raise FieldValueError(
            f"{value!r} is not DevStats' command_line; expected one or two strings: "
            "'org1,org2,owner/repo' or 'regexp:<re>', then optionally 'repo1,repo2'"
        )
    owners, names = value[0].strip(), _csv(value[1]) if len(value) > 1 else []
    if len(value) > 1 and value[1].strip().startswith(REGEXP_PREFIX):
        raise FieldValueError("a 'regexp:' repository-name argument (the second) is not supported")
    if owners.startswith(REGEXP_PREFIX):
        if names:
            raise FieldValueError("'regexp:' together with repository names is not supported")
        return {"regexp": owners[len(REGEXP_PREFIX) :]}
    entries = _csv(owners)
    orgs = [entry for entry in entries if "/" not in entry]
    repos = [entry for entry in entries if "/" in entry]
    if not names:
        return {"orgs": orgs, "repos": repos}
    if entries:
        return {"orgs": [], "repos": list(dict.fromkeys(repos + [f"{o}/{n}" for o in orgs for n in names]))}
    return {"regexp": "^[^/]+/(?:" + "|".join(re.escape(name) for name in names) + ")$"}


_SHORTHAND_CLASSES = frozenset("dDsSwW")


def python_regexp(pattern: str) -> str:
    """A Go (RE2) regexp in Python's syntax: RE2 reads ``[\\w-+]`` as ``\\w``, ``-``, ``+``; Python
    calls it a bad range. Only such patterns change: a Python-valid one never has a ``-`` there."""
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            escape = pattern[index : index + 2]
            out.append(escape)
            index += 2
            follows = pattern[index : index + 2]
            if in_class and escape[1] in _SHORTHAND_CLASSES and follows[:1] == "-" and follows != "-]":
                out.append("\\-")
                index += 1
            continue
        if char == "[" and not in_class:
            in_class = True
            out.append(char)
            index += 1
            # A leading ']' (or '^]') is a literal in both syntaxes, not the end of the class.
            for literal in ("^]", "]", "^"):
                if pattern.startswith(literal, index):
                    out.append(literal)
                    index += len(literal)
                    break
            continue
        if char == "]" and in_class:
            in_class = False
        out.append(char)
        index += 1
    return "".join(out)


def env_settings(value: Any) -> dict[str, Any]:
    """``env``: ``exclude_repos`` from GHA2DB_EXCLUDE_REPOS, ``ignored``: the variables not applied."""
    if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
        raise FieldValueError(f"{value!r} is not a mapping of environment variables")
    for key, setting in value.items():
        if isinstance(setting, dict | list):
            raise FieldValueError(f"{key}: {setting!r} is not a single value")
    excluded = value.get(EXCLUDE_REPOS)
    return {
        "exclude_repos": _csv(str(excluded)) if excluded is not None else [],
        "ignored": sorted(key for key in value if key != EXCLUDE_REPOS),
    }
