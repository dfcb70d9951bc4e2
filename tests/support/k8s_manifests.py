"""Kubernetes objects and checks the tests of rendered manifests share."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import kubernetes_validate


def schema_problems(labelled: Iterable[tuple[str, dict[str, Any]]], version: str) -> list[str]:
    """What the Kubernetes ``version``'s OpenAPI schemas refuse in each (label, object), strictly
    (unknown fields too); an object validated against another version's schema, which
    kubernetes-validate falls back to when it lacks the requested one, is a problem too."""
    problems = []
    for label, manifest in labelled:
        try:
            used = kubernetes_validate.validate(manifest, version, strict=True)
        except kubernetes_validate.SchemaNotFoundError as error:
            problems.append(f"{label}: no schema for {manifest['apiVersion']} {manifest['kind']}: {error}")
            continue
        except kubernetes_validate.ValidationError as error:
            problems.append(f"{label}: {error.message} at {'/'.join(map(str, error.path))}")
            continue
        if used != version:
            problems.append(f"{label}: validated against {used}, not {version}")
    return problems


def config_map(name: str, namespace: str | None = "ns", **labels: str) -> dict[str, Any]:
    """A ConfigMap with a multi-line value (rendered as a literal block) and unsorted keys."""
    metadata: dict[str, Any] = {"name": name, "labels": labels}
    if namespace:
        metadata["namespace"] = namespace
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata,
        "data": {"b": "2\nthree\n", "a": "1"},
    }
