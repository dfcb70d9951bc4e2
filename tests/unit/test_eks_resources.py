"""Names, tags, subnets and IAM roles of the EKS cluster stage, and the kubeconfig it writes."""

from __future__ import annotations

import ipaddress
import json

import pytest

from plugins.module_utils import eks_kubeconfig, eks_resources

OURS = {
    "app.kubernetes.io/managed-by": "devstats-platform",
    "app.kubernetes.io/part-of": "cluster",
    "devstats.platform/cluster": "devstats",
}


def test_the_ownership_tags_win_over_the_users_extra_tags() -> None:
    tags = eks_resources.resource_tags(
        "devstats", {"team": "cncf", "devstats.platform/cluster": "other"}, "vpc"
    )
    assert tags == {"team": "cncf", "Name": "vpc", **OURS}
    assert eks_resources.network_tags("devstats")["kubernetes.io/cluster/devstats"] == "owned"


@pytest.mark.parametrize(
    ("tags", "ours"),
    [
        (OURS, True),
        ({**OURS, "devstats.platform/cluster": "other"}, False),
        ({"devstats.platform/cluster": "devstats"}, False),
        (None, False),
    ],
)
def test_what_is_ours_is_decided_by_two_tags(tags, ours: bool) -> None:
    assert eks_resources.is_ours(tags, "devstats") is ours


def test_subnets_are_eighths_private_first_public_from_the_middle() -> None:
    subnets = eks_resources.subnet_layout(
        "devstats", "10.42.0.0/16", ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    )
    assert [(s["name"], s["cidr"], s["public"]) for s in subnets] == [
        ("devstats-private-eu-west-1a", "10.42.0.0/19", False),
        ("devstats-private-eu-west-1b", "10.42.32.0/19", False),
        ("devstats-private-eu-west-1c", "10.42.64.0/19", False),
        ("devstats-public-eu-west-1a", "10.42.128.0/19", True),
        ("devstats-public-eu-west-1b", "10.42.160.0/19", True),
        ("devstats-public-eu-west-1c", "10.42.192.0/19", True),
    ]
    assert subnets[0]["tags"]["kubernetes.io/role/internal-elb"] == "1"
    assert subnets[3]["tags"]["kubernetes.io/role/elb"] == "1"
    assert "kubernetes.io/role/elb" not in subnets[0]["tags"]


def test_a_zone_added_later_moves_no_subnet() -> None:
    two = eks_resources.subnet_layout("devstats", "10.0.0.0/20", ["a1", "b1"])
    three = eks_resources.subnet_layout("devstats", "10.0.0.0/20", ["a1", "b1", "c1"])
    assert {s["name"]: s["cidr"] for s in two}.items() <= {s["name"]: s["cidr"] for s in three}.items()


@pytest.mark.parametrize("cidr", ["10.0.0.0/16", "172.20.0.0/18", "192.168.16.0/20"])
def test_subnets_never_overlap_and_stay_in_the_vpc(cidr: str) -> None:
    zones = ["z1", "z2", "z3", "z4"]
    networks = [ipaddress.IPv4Network(s["cidr"]) for s in eks_resources.subnet_layout("x", cidr, zones)]
    assert all(network.subnet_of(ipaddress.IPv4Network(cidr)) for network in networks)
    assert not any(a.overlaps(b) for i, a in enumerate(networks) for b in networks[i + 1 :])


def test_more_than_four_zones_do_not_fit() -> None:
    with pytest.raises(ValueError, match="expected 1 to 4 availability zones, got 5"):
        eks_resources.subnet_layout("x", "10.0.0.0/16", ["a", "b", "c", "d", "e"])


@pytest.mark.parametrize(("version", "minor"), [("1.34.3", "1.34"), ("1.35", "1.35"), ("v1.31.0", "1.31")])
def test_eks_takes_the_minor_version(version: str, minor: str) -> None:
    assert eks_resources.kubernetes_minor(version) == minor


def test_a_word_is_not_a_version() -> None:
    with pytest.raises(ValueError, match="'latest' is not a Kubernetes version"):
        eks_resources.kubernetes_minor("latest")


@pytest.mark.parametrize(
    ("region", "partition"), [("eu-west-1", "aws"), ("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")]
)
def test_managed_policies_are_in_the_regions_partition(region: str, partition: str) -> None:
    policies = eks_resources.role_policies(region, ebs_csi_on_nodes=False)
    assert policies["cluster"] == [f"arn:{partition}:iam::aws:policy/AmazonEKSClusterPolicy"]
    assert not any("EBSCSI" in arn for arn in policies["node"])
    assert eks_resources.role_policies(region, ebs_csi_on_nodes=True)["node"][-1].endswith(
        "AmazonEBSCSIDriverPolicy"
    )


def test_the_trust_policy_lets_the_service_assume_the_role() -> None:
    policy = json.loads(eks_resources.trust_policy("eks.amazonaws.com"))
    assert policy["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]


CLUSTER = {
    "name": "devstats",
    "arn": "arn:aws:eks:eu-west-1:123456789012:cluster/devstats",
    "endpoint": "https://ABC.gr7.eu-west-1.eks.amazonaws.com",
    "certificate_authority": {"data": "LS0tQ0E="},
}


def test_the_kubeconfig_authenticates_with_the_aws_cli_and_holds_no_secret() -> None:
    config = eks_kubeconfig.kubeconfig(CLUSTER, "eu-west-1", "prod")
    assert config["clusters"] == [
        {
            "name": CLUSTER["arn"],
            "cluster": {"server": CLUSTER["endpoint"], "certificate-authority-data": "LS0tQ0E="},
        }
    ]
    plugin = config["users"][0]["user"]["exec"]
    assert plugin["apiVersion"] == "client.authentication.k8s.io/v1beta1"
    assert plugin["args"] == [
        "--region",
        "eu-west-1",
        "eks",
        "get-token",
        "--cluster-name",
        "devstats",
        "--output",
        "json",
    ]
    assert plugin["env"] == [{"name": "AWS_PROFILE", "value": "prod"}]
    assert config["current-context"] == CLUSTER["arn"]
    assert "env" not in eks_kubeconfig.kubeconfig(CLUSTER, "eu-west-1")["users"][0]["user"]["exec"]


def test_a_cluster_without_an_endpoint_yet_has_no_kubeconfig() -> None:
    with pytest.raises(ValueError, match="the EKS cluster has no endpoint, CA yet"):
        eks_kubeconfig.kubeconfig({"name": "x", "arn": "arn"}, "eu-west-1")
