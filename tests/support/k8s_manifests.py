"""Small Kubernetes objects the unit tests of the k8s_objects filters and render mode share."""

from __future__ import annotations

from typing import Any


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
