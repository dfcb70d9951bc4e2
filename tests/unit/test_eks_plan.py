"""What the EKS cluster stage does, refuses and deletes: the API requests of its in-place updates, the shape
of what it reads, its plan and its teardown."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from plugins.module_utils import eks_plan, eks_state, eks_updates

OURS = {
    "app.kubernetes.io/managed-by": "devstats-platform",
    "app.kubernetes.io/part-of": "cluster",
    "devstats.platform/cluster": "devstats",
}
GROUP = {
    "name": "general",
    "instance_types": ["m6i.2xlarge"],
    "min_size": 3,
    "max_size": 6,
    "desired_size": 3,
    "disk_size": 100,
    "capacity_type": "ON_DEMAND",
    "ami_type": "BOTTLEROCKET_x86_64",
    "labels": {"devstats.io/pool": "general"},
    "taints": [],
}
DESCRIBED_GROUP = {
    "nodegroupName": "general",
    "nodegroupArn": "arn:aws:eks:eu-west-1:123456789012:nodegroup/devstats/general/1",
    "status": "ACTIVE",
    "instanceTypes": ["m6i.2xlarge"],
    "diskSize": 100,
    "capacityType": "ON_DEMAND",
    "amiType": "BOTTLEROCKET_x86_64",
    "scalingConfig": {"minSize": 3, "maxSize": 6, "desiredSize": 3},
    "labels": {"devstats.io/pool": "general"},
    "taints": [],
    "subnets": ["subnet-b", "subnet-a"],
    "nodeRole": "arn:aws:iam::123456789012:role/devstats-eks-node",
    "tags": OURS,
}
DESCRIBED_CLUSTER = {
    "name": "devstats",
    "arn": "arn:aws:eks:eu-west-1:123456789012:cluster/devstats",
    "status": "ACTIVE",
    "version": "1.34",
    "endpoint": "https://ABC.gr7.eu-west-1.eks.amazonaws.com",
    "certificateAuthority": {"data": "LS0tQ0E="},
    "roleArn": "arn:aws:iam::123456789012:role/devstats-eks-cluster",
    "resourcesVpcConfig": {
        "subnetIds": ["subnet-b", "subnet-a"],
        "securityGroupIds": [],
        "endpointPublicAccess": True,
        "endpointPrivateAccess": False,
        "publicAccessCidrs": ["0.0.0.0/0"],
    },
    "tags": OURS,
}


def desired(**changes: Any) -> dict[str, Any]:
    base = {
        "name": "devstats",
        "version": "1.34",
        "vpc": {"cidr": "10.42.0.0/16", "zones": ["eu-west-1a", "eu-west-1b"], "nat_gateway": True},
        "subnet_ids": [],
        "roles": {
            "cluster": {
                "name": "devstats-eks-cluster",
                "arn": "",
                "policies": ["arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"],
            },
            "node": {
                "name": "devstats-eks-node",
                "arn": "",
                "policies": ["arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"],
            },
        },
        "endpoint_access": "public",
        "public_access_cidrs": ["0.0.0.0/0"],
        "node_groups": [copy.deepcopy(GROUP)],
        "addons": [
            {"name": "aws-ebs-csi-driver", "version": "v1.64.0-eksbuild.1", "service_account_role_arn": ""}
        ],
    }
    base.update(changes)
    return base


def existing(
    cluster: dict | None = None, groups: list | None = None, addons: list | None = None
) -> dict[str, Any]:
    """What the lookups find once everything exists as desired(), with the given descriptions instead."""
    return {
        "vpcs": [{"id": "vpc-1", "cidr_block": "10.42.0.0/16", "tags": OURS}],
        "roles": {
            kind: [{"role_name": f"devstats-eks-{kind}", "tags": OURS}] for kind in ("cluster", "node")
        },
        "eks": {
            "exists": True,
            "cluster": eks_state.cluster_state(cluster or DESCRIBED_CLUSTER),
            "node_groups": [
                eks_state.node_group_state(g) for g in (groups if groups is not None else [DESCRIBED_GROUP])
            ],
            "addons": addons
            if addons is not None
            else [
                {
                    "name": "aws-ebs-csi-driver",
                    "version": "v1.64.0-eksbuild.1",
                    "service_account_role_arn": "",
                }
            ],
        },
    }


# --- what the stage reads --------------------------------------------------------------------------------


def test_a_cluster_is_read_flat_with_its_endpoint_access() -> None:
    state = eks_state.cluster_state(DESCRIBED_CLUSTER)
    assert state["subnet_ids"] == ["subnet-a", "subnet-b"]
    assert state["certificate_authority_data"] == "LS0tQ0E="
    assert (state["endpoint_access"], state["public_access_cidrs"]) == ("public", ["0.0.0.0/0"])


def test_endpoint_fields_an_api_leaves_out_have_the_eks_defaults() -> None:
    described = {
        **DESCRIBED_CLUSTER,
        "resourcesVpcConfig": {"subnetIds": ["subnet-a"], "securityGroupIds": []},
    }
    state = eks_state.cluster_state(described)
    assert (state["endpoint_access"], state["public_access_cidrs"]) == ("public", ["0.0.0.0/0"])


def test_a_private_endpoint_has_no_public_cidrs() -> None:
    vpc = {
        **DESCRIBED_CLUSTER["resourcesVpcConfig"],
        "endpointPublicAccess": False,
        "endpointPrivateAccess": True,
    }
    state = eks_state.cluster_state({**DESCRIBED_CLUSTER, "resourcesVpcConfig": vpc})
    assert (state["endpoint_access"], state["public_access_cidrs"]) == ("private", [])


def test_a_node_group_is_read_with_kubernetes_taint_effects_and_label_keys_as_they_are() -> None:
    described = {
        **DESCRIBED_GROUP,
        "taints": [{"key": "b", "effect": "NO_EXECUTE"}, {"key": "a", "value": "x", "effect": "NO_SCHEDULE"}],
    }
    state = eks_state.node_group_state(described)
    assert state["taints"] == [
        {"key": "a", "value": "x", "effect": "NoSchedule"},
        {"key": "b", "value": "", "effect": "NoExecute"},
    ]
    assert state["labels"] == {"devstats.io/pool": "general"}
    assert (state["min_size"], state["max_size"], state["desired_size"], state["disk_size"]) == (3, 6, 3, 100)


# --- the requests of the in-place updates ----------------------------------------------------------------


def test_an_unchanged_node_group_needs_no_request() -> None:
    assert eks_updates.node_group_update(eks_state.node_group_state(DESCRIBED_GROUP), GROUP) == {}


def test_sizes_labels_and_taints_go_in_one_request() -> None:
    current = eks_state.node_group_state(
        {
            **DESCRIBED_GROUP,
            "labels": {"devstats.io/pool": "old", "gone": "x"},
            "taints": [{"key": "t", "value": "1", "effect": "NO_SCHEDULE"}],
        }
    )
    wanted = {
        **GROUP,
        "desired_size": 4,
        "max_size": 8,
        "labels": {"devstats.io/pool": "general", "new": "y"},
        "taints": [
            {"key": "t", "value": "2", "effect": "NoSchedule"},
            {"key": "u", "value": "", "effect": "NoExecute"},
        ],
    }
    assert eks_updates.node_group_update(current, wanted) == {
        "scalingConfig": {"minSize": 3, "maxSize": 8, "desiredSize": 4},
        "labels": {
            "addOrUpdateLabels": {"devstats.io/pool": "general", "new": "y"},
            "removeLabels": ["gone"],
        },
        "taints": {
            "addOrUpdateTaints": [
                {"key": "t", "value": "2", "effect": "NO_SCHEDULE"},
                {"key": "u", "effect": "NO_EXECUTE"},
            ]
        },
    }


def test_a_taint_no_longer_wanted_is_removed_by_key_and_effect() -> None:
    current = [
        {"key": "t", "value": "1", "effect": "NoSchedule"},
        {"key": "t", "value": "1", "effect": "NoExecute"},
    ]
    assert eks_updates.taints_update(current, [{"key": "t", "value": "1", "effect": "NoSchedule"}]) == {
        "removeTaints": [{"key": "t", "value": "1", "effect": "NO_EXECUTE"}]
    }


def test_only_missing_or_different_tags_are_added() -> None:
    assert eks_updates.tags_to_add({"a": "1", "b": "2", "other": "x"}, {"a": "1", "b": "3"}) == {"b": "3"}


@pytest.mark.parametrize(
    ("access", "cidrs", "expected"),
    [
        ("public", ["0.0.0.0/0"], {}),
        (
            "public",
            ["203.0.113.0/24"],
            {
                "endpointPublicAccess": True,
                "endpointPrivateAccess": False,
                "publicAccessCidrs": ["203.0.113.0/24"],
            },
        ),
        (
            "public_and_private",
            ["0.0.0.0/0"],
            {"endpointPublicAccess": True, "endpointPrivateAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]},
        ),
        ("private", [], {"endpointPublicAccess": False, "endpointPrivateAccess": True}),
    ],
)
def test_the_endpoint_request(access: str, cidrs: list[str], expected: dict) -> None:
    assert eks_updates.endpoint_update(eks_state.cluster_state(DESCRIBED_CLUSTER), access, cidrs) == expected


@pytest.mark.parametrize(
    ("current", "version", "role", "action"),
    [
        (None, "v1", "", "create"),
        ({"version": "v1", "service_account_role_arn": ""}, "v1", "", None),
        ({"version": "v1", "service_account_role_arn": ""}, "v2", "", "update"),
        ({"version": "v1", "service_account_role_arn": ""}, "v1", "arn:aws:iam::1:role/ebs", "update"),
    ],
)
def test_what_an_addon_needs(current, version: str, role: str, action) -> None:
    assert eks_updates.addon_action(current, version, role) == action


# --- the plan ---------------------------------------------------------------------------------------------


def test_an_empty_account_plans_every_resource() -> None:
    plan = eks_plan.plan(
        desired(), {"vpcs": [], "roles": {"cluster": [], "node": []}, "eks": {"cluster": None}}
    )
    assert plan["blocked"] == []
    assert plan["changes"] == [
        "create VPC 'devstats' 10.42.0.0/16 with a public and a private subnet in each of eu-west-1a, "
        "eu-west-1b, an internet gateway, a NAT gateway and route tables",
        "create IAM role 'devstats-eks-cluster' (arn:aws:iam::aws:policy/AmazonEKSClusterPolicy)",
        "create IAM role 'devstats-eks-node' (arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy)",
        "create EKS cluster 'devstats' (Kubernetes 1.34, endpoint public)",
        "create node group 'general': 3 x m6i.2xlarge (3-6), 100 GiB, ON_DEMAND, BOTTLEROCKET_x86_64",
        "create add-on aws-ebs-csi-driver v1.64.0-eksbuild.1",
    ]


def test_existing_subnets_and_role_arns_plan_no_vpc_and_no_role() -> None:
    roles = {
        kind: {**role, "arn": f"arn:aws:iam::123456789012:role/{kind}"}
        for kind, role in desired()["roles"].items()
    }
    plan = eks_plan.plan(
        desired(vpc=None, subnet_ids=["subnet-a", "subnet-b"], roles=roles), {"eks": {"cluster": None}}
    )
    assert [line.split(" '")[0] for line in plan["changes"]] == [
        "create EKS cluster",
        "create node group",
        "create add-on aws-ebs-csi-driver v1.64.0-eksbuild.1",
    ]


def test_everything_as_desired_plans_nothing() -> None:
    assert eks_plan.plan(desired(), existing()) == {"changes": [], "blocked": [], "notes": []}


def test_a_resize_a_relabel_and_a_new_addon_version_are_planned() -> None:
    group = {**GROUP, "desired_size": 4, "max_size": 8, "labels": {"devstats.io/pool": "sync"}}
    addons = [{"name": "aws-ebs-csi-driver", "version": "v1.65.0-eksbuild.1", "service_account_role_arn": ""}]
    plan = eks_plan.plan(desired(node_groups=[group], addons=addons), existing())
    assert plan["changes"] == [
        "resize node group 'general': 3 (3-6) -> 4 (3-8) nodes",
        "change the labels of node group 'general' to {'devstats.io/pool': 'sync'}",
        "update add-on aws-ebs-csi-driver v1.64.0-eksbuild.1 -> v1.65.0-eksbuild.1",
    ]


def test_a_node_group_left_out_of_the_inventory_is_noted_and_kept() -> None:
    plan = eks_plan.plan(
        desired(), existing(groups=[DESCRIBED_GROUP, {**DESCRIBED_GROUP, "nodegroupName": "old"}])
    )
    assert plan["blocked"] == []
    assert plan["notes"][0].startswith(
        "node group 'old' of EKS cluster 'devstats' is not in platform_eks_node_groups: left"
    )


@pytest.mark.parametrize(
    ("version", "fragment"),
    [
        ("1.35", "runs Kubernetes 1.34 and versions_kubernetes asks for 1.35: that is an upgrade"),
        ("1.33", "that is a downgrade, which EKS cannot do"),
    ],
)
def test_a_version_change_is_refused(version: str, fragment: str) -> None:
    plan = eks_plan.plan(desired(version=version), existing())
    (refusal,) = plan["blocked"]
    assert fragment in refusal
    assert refusal.endswith("; nothing was changed")


def test_fixed_node_group_fields_are_refused_together() -> None:
    group = {**GROUP, "instance_types": ["m6i.4xlarge"], "disk_size": 200}
    (refusal,) = eks_plan.plan(desired(node_groups=[group]), existing())["blocked"]
    assert refusal.startswith(
        "node group 'general' of EKS cluster 'devstats' cannot change instance_types ['m6i.2xlarge'] -> "
        "['m6i.4xlarge'], disk_size 100 -> 200 in place"
    )


@pytest.mark.parametrize(
    ("found", "fragment"),
    [
        (
            lambda f: f["eks"]["cluster"].update(tags={"team": "x"}),
            "EKS cluster 'devstats' exists but was not created by devstats.platform",
        ),
        (
            lambda f: f["eks"]["node_groups"][0].update(tags={}),
            "node group 'general' of EKS cluster 'devstats' exists but",
        ),
        (
            lambda f: f["roles"].update(node=[{"tags": {}}]),
            "IAM role 'devstats-eks-node' exists but was not created",
        ),
        (
            lambda f: f["vpcs"][0].update(cidr_block="10.9.0.0/16"),
            "has CIDR 10.9.0.0/16 and platform_eks_vpc_cidr asks for 10.42.0.0/16",
        ),
        (lambda f: f["eks"]["cluster"].update(status="DELETING"), "EKS cluster 'devstats' is DELETING"),
    ],
)
def test_what_is_not_ours_or_cannot_change_is_refused(found, fragment: str) -> None:
    state = existing()
    found(state)
    blocked = eks_plan.plan(desired(), state)["blocked"]
    assert any(fragment in line for line in blocked), blocked


def test_other_subnets_for_an_existing_cluster_are_refused() -> None:
    (refusal,) = eks_plan.plan(desired(vpc=None, subnet_ids=["subnet-c", "subnet-d"]), existing())["blocked"]
    assert "uses subnets subnet-a, subnet-b and platform_eks_subnet_ids names subnet-c, subnet-d" in refusal


def test_an_endpoint_change_is_planned() -> None:
    plan = eks_plan.plan(
        desired(endpoint_access="public_and_private", public_access_cidrs=["203.0.113.0/24"]), existing()
    )
    assert plan["changes"] == [
        "change the endpoint access of EKS cluster 'devstats' to public_and_private from 203.0.113.0/24"
    ]


# --- the teardown -----------------------------------------------------------------------------------------


def test_teardown_deletes_node_groups_cluster_vpc_and_roles_that_are_ours() -> None:
    found = existing()
    found["roles"] = {
        "cluster": [{"role_name": "devstats-eks-cluster", "tags": OURS}],
        "node": [{"role_name": "devstats-eks-node", "tags": {}}],
    }
    teardown = eks_plan.teardown("devstats", found)
    assert teardown["blocked"] == []
    assert (teardown["node_groups"], teardown["cluster"], teardown["vpcs"], teardown["roles"]) == (
        ["general"],
        True,
        ["vpc-1"],
        ["devstats-eks-cluster"],
    )
    assert teardown["lines"][:2] == [
        "delete node group 'general'",
        "delete EKS cluster 'devstats' and its add-ons",
    ]


def test_teardown_refuses_a_cluster_or_node_group_of_someone_else() -> None:
    found = existing()
    found["eks"]["cluster"]["tags"] = {"team": "x"}
    (refusal,) = eks_plan.teardown("devstats", found)["blocked"]
    assert refusal.endswith("; destroy_eks deletes nothing")
    found = existing(groups=[DESCRIBED_GROUP, {**DESCRIBED_GROUP, "nodegroupName": "theirs", "tags": {}}])
    (refusal,) = eks_plan.teardown("devstats", found)["blocked"]
    assert "has node groups devstats.platform did not create (theirs)" in refusal


def test_teardown_of_nothing_deletes_nothing() -> None:
    teardown = eks_plan.teardown("devstats", {"eks": {"cluster": None}, "vpcs": [], "roles": {}})
    assert teardown == {
        "node_groups": [],
        "cluster": False,
        "vpcs": [],
        "roles": [],
        "lines": [],
        "blocked": [],
    }
