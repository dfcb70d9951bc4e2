"""Pod settings every workload of the collection shares: the restricted Pod Security profile of a pod,
and where it may run."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any


def restricted_pod_security(uid: int) -> dict[str, Any]:
    """A pod's securityContext meeting the restricted profile, running as ``uid`` (its group too)."""
    return {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": uid,
        "fsGroup": uid,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def placement(node_selector: Mapping[str, str], tolerations: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """nodeSelector and tolerations for a pod spec, each only when given: the server drops an empty
    one, so applying it would change the object on every run."""
    spec: dict[str, Any] = {}
    if node_selector:
        spec["nodeSelector"] = dict(node_selector)
    if tolerations:
        spec["tolerations"] = copy.deepcopy(list(tolerations))
    return spec
