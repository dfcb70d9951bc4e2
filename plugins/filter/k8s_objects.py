"""Filters behind the k8s_objects role: ownership, render file names, object keys, stale objects.
Render mode itself is the render_manifests action (plugin_utils/k8s_render.py)."""

from __future__ import annotations

import re
from typing import Any

from ansible.errors import AnsibleFilterError

from ..module_utils.k8s_ownership import (
    NAME_LABEL,
    OWNER_LABEL,
    OwnershipError,
    owner_selector,
    owner_value,
    recommended_labels,
)

# A file name must be stable across runs and unique within a foundation directory; the component
# prefix lets the role find the files it owns again, so stale ones can be removed.
_UNSAFE = re.compile(r"[^a-z0-9.-]+")


def _require(manifest: Any, index: int) -> tuple[str, str, str, str]:
    where = f"manifest #{index + 1}"
    if not isinstance(manifest, dict):
        raise AnsibleFilterError(f"{where}: expected a mapping, got {type(manifest).__name__}")
    api_version = manifest.get("apiVersion")
    kind = manifest.get("kind")
    metadata = manifest.get("metadata")
    if not isinstance(api_version, str) or not api_version:
        raise AnsibleFilterError(f"{where}: 'apiVersion' is missing or not a string")
    if not isinstance(kind, str) or not kind:
        raise AnsibleFilterError(f"{where} ({api_version}): 'kind' is missing or not a string")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("name"), str) or not metadata["name"]:
        raise AnsibleFilterError(f"{where} ({kind}): 'metadata.name' is missing or not a string")
    return api_version, kind, str(metadata.get("namespace") or ""), metadata["name"]


def k8s_owned(manifests: list[Any], foundation: str, component: str) -> list[dict[str, Any]]:
    """Copies of the manifests carrying the ownership label of `component`, and the recommended labels
    (managed-by, part-of, name: the component) where a manifest does not set its own."""
    try:
        owner = owner_value(foundation, component)
    except OwnershipError as error:
        raise AnsibleFilterError(str(error)) from error
    defaults = {**recommended_labels(foundation), NAME_LABEL: component}
    out = []
    for index, manifest in enumerate(manifests):
        kind, name = _require(manifest, index)[1::2]
        metadata = manifest["metadata"]
        own = metadata.get("labels") or {}
        if own.get(OWNER_LABEL, owner) != owner:
            raise AnsibleFilterError(
                f"manifest #{index + 1} ({kind} {name}) sets the label {OWNER_LABEL} to "
                f"{own[OWNER_LABEL]!r}; k8s_objects sets it ({owner!r} here): leave it out"
            )
        labels = {**defaults, **own, OWNER_LABEL: owner}
        out.append({**manifest, "metadata": {**metadata, "labels": labels}})
    return out


def k8s_owner_selectors(foundation: str, component: str) -> list[str]:
    """The label selector of one component's objects, as kubernetes.core.k8s_info's label_selectors."""
    try:
        return [owner_selector(foundation, component)]
    except OwnershipError as error:
        raise AnsibleFilterError(str(error)) from error


def k8s_recommended_labels(foundation: str) -> dict[str, str]:
    """managed-by and part-of, for pod templates and objects made outside k8s_objects."""
    return recommended_labels(foundation)


def k8s_render_filename(manifest: dict[str, Any], component: str) -> str:
    """`<component>.<kind>.<namespace-if-any>.<name>.yaml`, lower case, safe for any file system."""
    kind, namespace, name = _require(manifest, 0)[1:]
    parts = [component, kind, namespace, name] if namespace else [component, kind, name]
    return ".".join(_UNSAFE.sub("-", part.lower()) for part in parts) + ".yaml"


def k8s_render_files(manifests: list[Any], component: str) -> list[dict[str, Any]]:
    """Each manifest with its file name, kind, namespace and name; fail on two that would share a file."""
    seen: dict[str, int] = {}
    out = []
    for index, manifest in enumerate(manifests):
        kind, namespace, object_name = _require(manifest, index)[1:]
        name = k8s_render_filename(manifest, component)
        if name in seen:
            raise AnsibleFilterError(
                f"manifest #{index + 1} and manifest #{seen[name] + 1} are the same object ({name}); "
                "each object may appear only once"
            )
        seen[name] = index
        out.append(
            {"file": name, "kind": kind, "namespace": namespace, "name": object_name, "manifest": manifest}
        )
    return out


def k8s_object_key(manifest: dict[str, Any]) -> str:
    """`apiVersion/kind/namespace/name`: what identifies an object in a cluster."""
    api_version, kind, namespace, name = _require(manifest, 0)
    return f"{api_version}/{kind}/{namespace}/{name}"


def k8s_kinds(manifests: list[Any]) -> list[dict[str, str]]:
    """The distinct (apiVersion, kind) pairs of the manifests, in first-seen order."""
    kinds: dict[tuple[str, str], None] = {}
    for index, manifest in enumerate(manifests):
        api_version, kind = _require(manifest, index)[:2]
        kinds.setdefault((api_version, kind), None)
    return [{"api_version": api_version, "kind": kind} for api_version, kind in kinds]


def k8s_stale(found: list[dict[str, Any]], desired: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Objects in `found` (k8s_info resources) with no counterpart in `desired`, as delete targets."""
    wanted = {k8s_object_key(manifest) for manifest in desired}
    stale = []
    for obj in found:
        key = k8s_object_key(obj)
        if key not in wanted:
            api_version, kind, namespace, name = _require(obj, 0)
            stale.append({"api_version": api_version, "kind": kind, "namespace": namespace, "name": name})
    return sorted(stale, key=lambda o: (o["kind"], o["namespace"], o["name"]))


def k8s_label_selectors(labels: dict[str, str]) -> list[str]:
    """`key=value` selectors, sorted, as kubernetes.core.k8s_info's label_selectors takes them."""
    return [f"{key}={value}" for key, value in sorted(labels.items())]


class FilterModule:
    """Filters of the k8s_objects role."""

    def filters(self) -> dict[str, Any]:
        return {
            "k8s_owned": k8s_owned,
            "k8s_owner_selectors": k8s_owner_selectors,
            "k8s_recommended_labels": k8s_recommended_labels,
            "k8s_render_filename": k8s_render_filename,
            "k8s_render_files": k8s_render_files,
            "k8s_object_key": k8s_object_key,
            "k8s_kinds": k8s_kinds,
            "k8s_stale": k8s_stale,
            "k8s_label_selectors": k8s_label_selectors,
        }
