# -*- coding: utf-8 -*-
# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The inventory model of docs/inventory.md: every rule preflight enforces, and the defaults it fills in.

``validate_inventory`` takes the raw variables of every foundation and of the platform, collects every
problem instead of stopping at the first, and returns the normalized model: each foundation and project
with its defaults filled in. The rules live beside it by subject: single values in inventory_values,
foundations and projects in inventory_foundations, the EKS target in inventory_eks; this module holds the
platform's target and ingress and puts the parts together. Pure Python (standard library only).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Callable, Optional

from .inventory_baremetal import BAREMETAL_PLATFORM_CHECKS, check_baremetal
from .inventory_eks import check_eks
from .inventory_foundations import FOUNDATIONS_GROUP, check_across_foundations, check_foundation
from .inventory_values import (
    Report,
    check_platform_values,
    choice_problem,
    email_problem,
    show,
    string_problem,
    unknown_key_problem,
)

TARGETS = ("none", "baremetal", "eks", "kubeconfig")
PLATFORM_VARS = (
    "platform_target",
    "platform_kubeconfig",
    "platform_kubeconfig_context",
    *BAREMETAL_PLATFORM_CHECKS,
    "platform_eks_region",
    "platform_eks_cluster_name",
    "platform_eks_node_groups",
    "platform_eks_vpc_cidr",
    "platform_eks_availability_zones",
    "platform_eks_nat_gateway",
    "platform_eks_subnet_ids",
    "platform_eks_endpoint_access",
    "platform_eks_public_access_cidrs",
    "platform_eks_cluster_role_arn",
    "platform_eks_node_role_arn",
    "platform_aws_profile",
    "platform_aws_endpoint_url",
    "platform_render_dir",
    "platform_letsencrypt_email",
    "platform_ingress_controller",
    "platform_ingress_baremetal_mode",
)
# The groups a bare-metal cluster is built from: kubeadm initialises the first control-plane host.
BAREMETAL_GROUPS = ("kube_control_plane", "kube_nodes")
INGRESS_CONTROLLERS = ("ingress-nginx", "traefik")
INGRESS_BAREMETAL_MODES = ("host-ports", "node-port")
# The platform variables of every target, and how each one is checked on its own.
_PLATFORM_CHECKS: Mapping[str, Callable[[Any], Optional[str]]] = {
    "platform_kubeconfig": string_problem,
    "platform_kubeconfig_context": string_problem,
    "platform_render_dir": string_problem,
    "platform_letsencrypt_email": email_problem,
}


@dataclass
class Model:
    """The result of validate_inventory: the problems and the normalized model."""

    errors: list
    foundations: dict
    platform: dict


_REQUIRED_PER_TARGET: Mapping[str, Sequence[str]] = {
    "none": (),
    "baremetal": ("platform_letsencrypt_email",),
    "eks": (
        "platform_eks_region",
        "platform_eks_cluster_name",
        "platform_eks_node_groups",
        "platform_letsencrypt_email",
    ),
    # The context too: a kubeconfig file's current context is whatever was used last (kubectl config
    # use-context), and applying to it would be applying to whichever cluster that happens to be.
    "kubeconfig": ("platform_kubeconfig", "platform_kubeconfig_context", "platform_letsencrypt_email"),
}


def _check_target(
    report: Report, raw: Mapping[str, Any], groups: Mapping[str, Sequence[str]]
) -> Optional[str]:
    """The target when it is known, after checking the variables and groups it requires."""
    target = raw.get("platform_target")
    expected = f"expected one of {', '.join(TARGETS)}"
    if "platform_target" not in raw:
        report.add("platform", "platform_target", f"is required; {expected}")
        return None
    if not isinstance(target, str) or target not in TARGETS:
        report.add("platform", "platform_target", f"{show(target)} is not a known target; {expected}")
        return None
    for variable in _REQUIRED_PER_TARGET[target]:
        if variable not in raw:
            report.add("platform", variable, f"is required with platform_target {show(target)}")
    if target == "baremetal":
        for group in BAREMETAL_GROUPS:
            if not groups.get(group):
                report.add(
                    "platform",
                    "platform_target",
                    f"'baremetal' needs at least one host in the group '{group}'",
                )
    return target


def _check_platform(
    report: Report,
    raw: Mapping[str, Any],
    groups: Mapping[str, Sequence[str]],
    aws_credentials: Optional[Callable[[Optional[str]], Optional[str]]],
) -> dict:
    report.check("platform", raw)
    for key in raw:
        if key not in PLATFORM_VARS:
            report.add("platform", str(key), unknown_key_problem(key, PLATFORM_VARS, "variable"))
    platform: dict = {}
    target = _check_target(report, raw, groups)
    if target:
        platform["target"] = target
        # Whether the stages write files or change a cluster: decided here once for every role.
        platform["mode"] = "render" if target == "none" else "apply"
    given = check_platform_values(report, raw, _PLATFORM_CHECKS)
    if "platform_kubeconfig_context" in raw and target in ("eks", "baremetal"):
        report.add(
            "platform",
            "platform_kubeconfig_context",
            f"is only for platform_target 'kubeconfig'; with {show(target)} the cluster stage writes the "
            "kubeconfig and its one context",
        )
    # The EKS and bare-metal defaults include a kubeconfig path, which platform_kubeconfig overrides.
    platform.update(check_eks(report, raw, target, aws_credentials))
    platform.update(check_baremetal(report, raw, target, groups))
    platform.update(given)
    platform.update(_check_ingress(report, raw))
    return platform


def validate_inventory(
    foundations: Mapping[str, Mapping[str, Any]],
    platform: Mapping[str, Any],
    groups: Optional[Mapping[str, Sequence[str]]] = None,
    now: Optional[datetime.datetime] = None,
    aws_credentials: Optional[Callable[[Optional[str]], Optional[str]]] = None,
) -> Model:
    """Validates the whole inventory model and fills in its defaults.

    foundations: foundation name -> its variables (those of FOUNDATION_VARS, and any platform_*
    it sees, which must equal the platform's); platform: every platform_* variable defined (unknown ones
    are errors); groups: the inventory's groups (bare metal needs some); now: the clock start_date is
    checked against (UTC, default: the current time); aws_credentials: for platform_target eks, a function
    of platform_aws_profile (None for the default chain) that returns why no AWS credentials can be
    found, or None when they can (module_utils.aws_credentials.credentials_problem); without it
    credentials are not looked at.
    """
    report = Report()
    now = now or datetime.datetime.now(datetime.timezone.utc)
    groups = groups or {}
    if not foundations:
        report.add(
            f"group '{FOUNDATIONS_GROUP}'",
            "hosts",
            "has no hosts; expected one host per foundation (see docs/inventory.md)",
        )
    checked = {name: check_foundation(report, name, raw, platform, now) for name, raw in foundations.items()}
    check_across_foundations(report, checked)
    checked_platform = _check_platform(report, platform, groups, aws_credentials)
    return Model(errors=report.errors, foundations=checked, platform=checked_platform)


def _check_ingress(report: Report, raw: Mapping[str, Any]) -> dict:
    """The ingress controller (ingress-nginx by default) and how bare-metal nodes expose it."""
    checked = {}
    for variable, choices in (
        ("platform_ingress_controller", INGRESS_CONTROLLERS),
        ("platform_ingress_baremetal_mode", INGRESS_BAREMETAL_MODES),
    ):
        value = raw.get(variable, choices[0])
        problem = choice_problem(value, choices)
        if problem:
            report.add("platform", variable, problem)
        checked[variable[len("platform_") :]] = value
    return checked
