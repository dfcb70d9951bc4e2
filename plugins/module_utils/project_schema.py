# -*- coding: utf-8 -*-
# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The project fields, read from the one definition the sync tool owns:
``sync_tool/src/devstats_sync/data/project_fields.yaml`` (the sync tool cannot import the collection, so
the collection reads the tool's file; the collection tarball ships ``sync_tool/src``).

Controller only: the inventory model (through the action plugin validate_inventory) and the devstats
role's filters use it, and tests. No module may import it, directly or through another module_utils
file (tests/unit/test_project_schema_contract.py checks): a module runs from an AnsiballZ zip on its
target, where the collection's files are not. For the same reason nothing is read at import: the file is
read on first use, located relative to the collection root (this file is plugins/module_utils/...).
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Optional

SCHEMA_PATH = os.path.join("sync_tool", "src", "devstats_sync", "data", "project_fields.yaml")


def collection_root() -> str:
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@dataclass(frozen=True)
class ProjectSchema:
    """The parsed file: fields in documentation order, their types' parameters, the reserved databases."""

    fields: Mapping[str, Mapping[str, Any]]
    types: Mapping[str, Mapping[str, Any]]
    reserved_databases: tuple
    gh_archive_start: str
    one_of_required: tuple
    devstats_names: Mapping[str, str]

    def names(self, scope: Optional[str] = None) -> tuple:
        """The field names, of one scope (sync, kubernetes) or all."""
        return tuple(name for name, spec in self.fields.items() if scope in (None, spec["scope"]))

    def required(self) -> tuple:
        return tuple(name for name, spec in self.fields.items() if spec.get("required"))

    def defaults(self) -> dict:
        """The fixed defaults (not those taken from another field or a foundation setting)."""
        return {name: spec["default"] for name, spec in self.fields.items() if "default" in spec}

    def without_default(self) -> tuple:
        """Fields absent from the normalized project when unset."""
        return tuple(
            name
            for name, spec in self.fields.items()
            if not spec.get("required") and "default" not in spec and "default_from" not in spec
        )

    def type_of(self, name: str) -> Mapping[str, Any]:
        """The parameters of a field's type."""
        return self.types[self.fields[name]["type"]]

    def pattern(self, type_name: str, key: str = "pattern") -> re.Pattern:
        return _compiled(self.types[type_name][key])


@functools.lru_cache(maxsize=None)
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern)


@functools.lru_cache(maxsize=4)
def project_schema(root: Optional[str] = None) -> ProjectSchema:
    """The schema of the collection at ``root`` (default: the collection this file belongs to)."""
    # PyYAML comes with ansible-core on the controller; imported here, not at the top, so that
    # ansible-test's import check of module_utils (a target's environment, no PyYAML) passes.
    import yaml  # noqa: PLC0415 - see above

    path = os.path.join(root or collection_root(), SCHEMA_PATH)
    try:
        with open(path, encoding="utf-8") as handle:
            raw = yaml.safe_load(handle)
    except OSError as error:
        raise RuntimeError(
            f"cannot read the project fields of the sync tool ({path}): {error.strerror}; the collection "
            "ships them under sync_tool/src (is this a complete copy of the collection?)"
        ) from None
    return ProjectSchema(
        fields=raw["fields"],
        types=raw["types"],
        reserved_databases=tuple(raw["reserved_databases"]),
        gh_archive_start=raw["gh_archive_start"],
        one_of_required=tuple(raw["one_of_required"]),
        devstats_names=raw["devstats_names"],
    )
