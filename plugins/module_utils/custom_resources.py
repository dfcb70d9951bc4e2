# -*- coding: utf-8 -*-
# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""CustomResourceDefinitions (apiextensions.k8s.io/v1) generated from a small table.

A network add-on such as Calico stores its state in custom resources, so its CRDs must exist before its
pods start. Its upstream CRDs carry the full OpenAPI schema of every field; the CRDs made here carry the
identity the API server needs (group, version, scope, names) and a structural schema whose `spec` (and
`status`, where the upstream schema has one) keeps whatever the add-on writes
(`x-kubernetes-preserve-unknown-fields`): the API server stores and serves the objects, it does not
validate their fields.

A table row: `kind`, `plural`, `scope` (`Cluster` or `Namespaced`), optionally `group` and `version` (the
table's defaults otherwise), `short_names`, `status` (the schema has a status field), `status_subresource`
(served as /status too), `annotations` (e.g. the `api-approved.kubernetes.io` one a `*.k8s.io` group
requires).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

SCOPES = ("Cluster", "Namespaced")
_FIELDS = {
    "kind",
    "plural",
    "scope",
    "group",
    "version",
    "short_names",
    "status",
    "status_subresource",
    "annotations",
}
_KEEP = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}


class CustomResourceError(ValueError):
    """A table row that cannot make a CRD."""


def _row_problem(row: Any, group: str, version: str) -> str:
    if not isinstance(row, Mapping):
        return f"expected a mapping, got {type(row).__name__}"
    unknown = sorted(set(row) - _FIELDS)
    kind, plural = row.get("kind"), row.get("plural")
    checks = [
        (not unknown, f"unknown fields {', '.join(unknown)}"),
        (isinstance(kind, str) and kind[:1].isupper(), f"kind {kind!r} must start with an upper-case letter"),
        (
            isinstance(plural, str) and bool(plural) and plural == plural.lower(),
            f"plural {plural!r} must be a non-empty lower-case string",
        ),
        (row.get("scope") in SCOPES, f"scope must be one of {', '.join(SCOPES)}, got {row.get('scope')!r}"),
        (
            bool(row.get("group", group) and row.get("version", version)),
            "no group or version (neither the row nor the table's defaults give one)",
        ),
    ]
    return next((message for ok, message in checks if not ok), "")


def custom_resource_definition(row: Mapping[str, Any], group: str = "", version: str = "") -> dict:
    """The CRD of one table row; `group` and `version` are the table's defaults."""
    problem = _row_problem(row, group, version)
    if problem:
        shown = dict(row) if isinstance(row, Mapping) else row
        raise CustomResourceError(f"CRD table row {shown!r}: {problem}")
    group = row.get("group") or group
    kind = row["kind"]
    names: dict[str, Any] = {
        "kind": kind,
        "listKind": f"{kind}List",
        "plural": row["plural"],
        "singular": kind.lower(),
    }
    if row.get("short_names"):
        names["shortNames"] = list(row["short_names"])
    properties: dict[str, Any] = {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"type": "object"},
        "spec": dict(_KEEP),
    }
    if row.get("status") or row.get("status_subresource"):
        properties["status"] = dict(_KEEP)
    served: dict[str, Any] = {
        "name": row.get("version") or version,
        "served": True,
        "storage": True,
        "schema": {"openAPIV3Schema": {"type": "object", "properties": properties}},
    }
    if row.get("status_subresource"):
        served["subresources"] = {"status": {}}
    metadata: dict[str, Any] = {"name": f"{row['plural']}.{group}"}
    if row.get("annotations"):
        metadata["annotations"] = {str(k): str(v) for k, v in row["annotations"].items()}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": metadata,
        "spec": {"group": group, "names": names, "scope": row["scope"], "versions": [served]},
    }


def custom_resource_definitions(
    table: Sequence[Mapping[str, Any]], group: str = "", version: str = ""
) -> list[dict]:
    """The CRDs of a table, in its order; a name given twice is an error."""
    out = [custom_resource_definition(row, group, version) for row in table]
    names = [crd["metadata"]["name"] for crd in out]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise CustomResourceError(f"CRD table: {', '.join(twice)} given more than once")
    return out
