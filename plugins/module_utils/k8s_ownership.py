# -*- coding: utf-8 -*-
# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Who owns an object in the cluster: the labels every object of the collection carries, defined once.

Two kinds of labels, kept apart on purpose:
- the recommended ``app.kubernetes.io/*`` labels (managed-by, part-of, name, ...) describe an object
  for people and tools, and a role may set its own values;
- the ownership label ``devstats.platform/owner: <foundation>.<component>`` is forced on every object
  by the k8s_objects role and is the only thing pruning trusts, so an object cannot escape (or
  enter) a component's pruning by what its own labels say.
"""

from __future__ import annotations

import re

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
PART_OF_LABEL = "app.kubernetes.io/part-of"
NAME_LABEL = "app.kubernetes.io/name"
# The value of the managed-by label on everything the collection creates.
MANAGER = "devstats-platform"
OWNER_LABEL = "devstats.platform/owner"
# A label value: at most 63 characters, alphanumerics with '-', '_' and '.' inside.
_LABEL_VALUE = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")


class OwnershipError(ValueError):
    """A foundation or component name that cannot form the ownership label."""


def recommended_labels(foundation: str) -> dict[str, str]:
    """The labels every object and pod of a foundation carries unless it sets its own values."""
    return {MANAGED_BY_LABEL: MANAGER, PART_OF_LABEL: foundation}


def owner_value(foundation: str, component: str) -> str:
    """``<foundation>.<component>``: which component of which foundation applied the object."""
    value = f"{foundation}.{component}"
    if not _LABEL_VALUE.match(value):
        raise OwnershipError(
            f"the ownership label value {value!r} (foundation {foundation!r}, component {component!r}) "
            "is not a valid label value: at most 63 letters, digits, '-', '_' and '.', "
            "starting and ending with a letter or digit"
        )
    return value


def owner_selector(foundation: str, component: str) -> str:
    """The label selector that finds exactly one component's objects of one foundation."""
    return f"{OWNER_LABEL}={owner_value(foundation, component)}"
