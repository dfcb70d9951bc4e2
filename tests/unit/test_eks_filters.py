"""The eks_cluster role's filters: what they add to module_utils (loop results, ARNs, taints, errors)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from plugins.filter.eks import (
    eks_api_taints,
    eks_kubeconfig_of,
    eks_kubernetes_minor,
    eks_results_by_key,
    eks_role_arns,
    eks_roles,
)

RESULTS = [
    {"item": {"key": "cluster"}, "iam_role": {"arn": "arn:aws:iam::1:role/c"}},
    {"item": {"key": "node"}, "skipped": True},
]


def test_loop_results_by_key_skip_those_without_the_value() -> None:
    assert eks_results_by_key(RESULTS, "iam_role.arn") == {"cluster": "arn:aws:iam::1:role/c"}


def test_role_arns_come_from_the_inventory_else_from_iam_else_are_empty() -> None:
    roles = eks_roles("devstats", "eu-west-1", node_role_arn="arn:aws:iam::1:role/given")
    assert roles["cluster"]["name"] == "devstats-eks-cluster"
    assert eks_role_arns(roles, RESULTS) == {
        "cluster": "arn:aws:iam::1:role/c",
        "node": "arn:aws:iam::1:role/given",
    }
    assert eks_role_arns(eks_roles("devstats", "eu-west-1"), []) == {"cluster": "", "node": ""}


def test_taints_reach_the_node_group_module_in_the_apis_spelling() -> None:
    assert eks_api_taints([{"key": "a", "effect": "PreferNoSchedule"}]) == [
        {"key": "a", "value": "", "effect": "PREFER_NO_SCHEDULE"}
    ]


def test_bad_input_is_a_filter_error() -> None:
    with pytest.raises(AnsibleFilterError, match="is not a Kubernetes version"):
        eks_kubernetes_minor("one")
    with pytest.raises(AnsibleFilterError, match="has no endpoint"):
        eks_kubeconfig_of({"name": "x", "arn": "a", "certificate_authority": {"data": "c"}}, "eu-west-1")
