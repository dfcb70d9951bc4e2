"""The EKS part of the inventory model: network, endpoint, IAM, node groups and AWS credentials."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from plugins.module_utils import aws_credentials
from plugins.module_utils import inventory_model as model
from tests.support.inventory_models import ONE_FOUNDATION

NOW = datetime.datetime(2026, 1, 1, 12, tzinfo=datetime.UTC)
FOUNDATIONS = ONE_FOUNDATION
GENERAL = {"name": "general", "instance_type": "m6i.2xlarge", "min_size": 1, "max_size": 3, "desired_size": 2}


def eks(**variables: Any) -> dict[str, Any]:
    platform = {
        "platform_target": "eks",
        "platform_eks_region": "eu-west-1",
        "platform_eks_cluster_name": "devstats",
        "platform_eks_node_groups": [dict(GENERAL)],
        "platform_letsencrypt_email": "admins@example.org",
    }
    for key, value in variables.items():
        if value is None:
            platform.pop(key, None)
        else:
            platform[key] = value
    return platform


def validate(platform: dict[str, Any], credentials=None) -> model.Model:
    return model.validate_inventory(FOUNDATIONS, platform, {}, now=NOW, aws_credentials=credentials)


def errors_of(platform: dict[str, Any], credentials=None) -> list[str]:
    return validate(platform, credentials).errors


def node_group(**fields: Any) -> dict[str, Any]:
    group = dict(GENERAL)
    for key, value in fields.items():
        if value is None:
            group.pop(key, None)
        else:
            group[key] = value
    return group


def test_the_eks_defaults_are_filled_in() -> None:
    result = validate(eks())
    assert result.errors == []
    platform = result.platform
    assert platform["kubeconfig"] == "~/.kube/devstats-devstats.yaml"
    assert platform["eks_vpc_cidr"] == "10.0.0.0/16"
    assert platform["eks_nat_gateway"] is True
    assert platform["eks_endpoint_access"] == "public"
    assert platform["eks_public_access_cidrs"] == ["0.0.0.0/0"]
    assert "eks_availability_zones" not in platform
    assert platform["eks_node_groups"] == [
        {
            "name": "general",
            "instance_types": ["m6i.2xlarge"],
            "min_size": 1,
            "max_size": 3,
            "desired_size": 2,
            "disk_size": 50,
            "capacity_type": "ON_DEMAND",
            "ami_type": "BOTTLEROCKET_x86_64",
            "labels": {},
            "taints": [],
        }
    ]


def test_existing_subnets_leave_out_the_vpc_defaults_and_explicit_values_win() -> None:
    result = validate(
        eks(
            platform_eks_subnet_ids=["subnet-0123456789abcdef0", "subnet-89abcdef"],
            platform_eks_endpoint_access="private",
            platform_kubeconfig="/srv/kubeconfig",
            platform_aws_profile="devstats",
            platform_aws_endpoint_url="http://127.0.0.1:5000",
            platform_eks_cluster_role_arn="arn:aws:iam::123456789012:role/eks/cluster",
            platform_eks_node_role_arn="arn:aws-us-gov:iam::123456789012:role/node",
        )
    )
    assert result.errors == []
    platform = result.platform
    assert "eks_vpc_cidr" not in platform
    assert "eks_nat_gateway" not in platform
    assert "eks_public_access_cidrs" not in platform
    assert platform["kubeconfig"] == "/srv/kubeconfig"
    assert platform["eks_subnet_ids"] == ["subnet-0123456789abcdef0", "subnet-89abcdef"]
    assert platform["aws_profile"] == "devstats"


def test_a_node_group_with_every_field() -> None:
    group = node_group(
        instance_type=None,
        instance_types=["m7g.xlarge", "c7g.xlarge"],
        disk_size=100,
        capacity_type="SPOT",
        labels={"devstats.io/role": "sync", "tier": ""},
        taints=[
            {"key": "devstats.io/dedicated", "value": "sync", "effect": "NoSchedule"},
            {"key": "x", "effect": "NoExecute"},
        ],
    )
    result = validate(eks(platform_eks_node_groups=[group]))
    assert result.errors == []
    (normalized,) = result.platform["eks_node_groups"]
    assert normalized["ami_type"] == "BOTTLEROCKET_ARM_64"
    assert normalized["instance_types"] == ["m7g.xlarge", "c7g.xlarge"]
    assert normalized["taints"][1] == {"key": "x", "value": "", "effect": "NoExecute"}


@pytest.mark.parametrize(
    ("instance_type", "ami_type"),
    [
        ("m6i.2xlarge", "BOTTLEROCKET_x86_64"),
        ("m6gd.large", "BOTTLEROCKET_ARM_64"),
        ("t4g.medium", "BOTTLEROCKET_ARM_64"),
        ("c7gn.xlarge", "BOTTLEROCKET_ARM_64"),
        ("g5.xlarge", "BOTTLEROCKET_x86_64"),
        ("g5g.xlarge", "BOTTLEROCKET_ARM_64"),
        ("g4ad.xlarge", "BOTTLEROCKET_x86_64"),
        ("m7i-flex.large", "BOTTLEROCKET_x86_64"),
        ("c6a.large", "BOTTLEROCKET_x86_64"),
    ],
)
def test_the_ami_follows_the_instance_architecture(instance_type: str, ami_type: str) -> None:
    result = validate(eks(platform_eks_node_groups=[node_group(instance_type=instance_type)]))
    assert result.platform["eks_node_groups"][0]["ami_type"] == ami_type


GROUP = "platform, node group 'general' (#1), field"
BROKEN = [
    (
        "vpc cidr",
        eks(platform_eks_vpc_cidr="10.0.0.1/16"),
        "platform, field 'platform_eks_vpc_cidr': '10.0.0.1/16' is not an IPv4 CIDR block",
    ),
    (
        "vpc too small",
        eks(platform_eks_vpc_cidr="10.0.0.0/24"),
        "platform, field 'platform_eks_vpc_cidr': '10.0.0.0/24' has a /24 prefix; expected /16 to /20",
    ),
    (
        "zone of another region",
        eks(platform_eks_availability_zones=["eu-west-1a", "eu-central-1b"]),
        "platform, field 'platform_eks_availability_zones': 'eu-central-1b' is not an availability zone of "
        "the region; expected e.g. 'eu-west-1a'",
    ),
    (
        "one zone",
        eks(platform_eks_availability_zones=["eu-west-1a"]),
        "platform, field 'platform_eks_availability_zones': [\"eu-west-1a\"] names 1 zone(s); "
        "expected 2 to 4",
    ),
    (
        "zone twice",
        eks(platform_eks_availability_zones=["eu-west-1a", "eu-west-1a"]),
        "platform, field 'platform_eks_availability_zones': 'eu-west-1a' listed more than once",
    ),
    (
        "subnets and a vpc",
        eks(
            platform_eks_subnet_ids=["subnet-01234567", "subnet-89abcdef"],
            platform_eks_vpc_cidr="10.1.0.0/16",
        ),
        "platform, field 'platform_eks_vpc_cidr': is set together with platform_eks_subnet_ids",
    ),
    (
        "one subnet",
        eks(platform_eks_subnet_ids=["subnet-01234567"]),
        "platform, field 'platform_eks_subnet_ids': [\"subnet-01234567\"] names 1 subnet(s); "
        "EKS needs subnets",
    ),
    (
        "subnet id",
        eks(platform_eks_subnet_ids=["subnet-01234567", "sn-1"]),
        "platform, field 'platform_eks_subnet_ids': 'sn-1' is not a subnet ID",
    ),
    (
        "nat gateway",
        eks(platform_eks_nat_gateway="yes"),
        "platform, field 'platform_eks_nat_gateway': 'yes' is a string, not a boolean",
    ),
    (
        "endpoint access",
        eks(platform_eks_endpoint_access="internal"),
        "platform, field 'platform_eks_endpoint_access': 'internal' is not one of public, "
        "public_and_private, private",
    ),
    (
        "public cidrs of a private endpoint",
        eks(platform_eks_endpoint_access="private", platform_eks_public_access_cidrs=["203.0.113.0/24"]),
        "platform, field 'platform_eks_public_access_cidrs': is set with "
        "platform_eks_endpoint_access 'private'",
    ),
    (
        "public cidr",
        eks(platform_eks_public_access_cidrs=["203.0.113.7"]),
        "platform, field 'platform_eks_public_access_cidrs': '203.0.113.7' is not an IPv4 CIDR block",
    ),
    (
        "role arn",
        eks(platform_eks_cluster_role_arn="arn:aws:iam::1234:role/x"),
        "platform, field 'platform_eks_cluster_role_arn': 'arn:aws:iam::1234:role/x' is not an IAM role ARN",
    ),
    (
        "cluster name too long for the role names",
        eks(platform_eks_cluster_name="d" * 53),
        "platform, field 'platform_eks_cluster_name': '" + "d" * 53 + "' is 53 characters long: the IAM "
        "role names derived from it ('<name>-eks-cluster', '<name>-eks-node') would exceed IAM's 64; "
        "use at most 52",
    ),
    (
        "endpoint url",
        eks(platform_aws_endpoint_url="127.0.0.1:5000"),
        "platform, field 'platform_aws_endpoint_url': '127.0.0.1:5000' is not an http(s) URL",
    ),
    (
        "profile",
        eks(platform_aws_profile=""),
        "platform, field 'platform_aws_profile': is empty",
    ),
    (
        "both instance fields",
        eks(platform_eks_node_groups=[node_group(instance_types=["m6i.large"])]),
        f"{GROUP} 'instance_type': expected exactly one of instance_type and instance_types",
    ),
    (
        "no instance type",
        eks(platform_eks_node_groups=[node_group(instance_type=None)]),
        f"{GROUP} 'instance_type': expected exactly one of instance_type and instance_types",
    ),
    (
        "mixed architectures",
        eks(
            platform_eks_node_groups=[
                node_group(instance_type=None, instance_types=["m6i.large", "m6g.large"])
            ]
        ),
        f'{GROUP} \'instance_types\': ["m6i.large", "m6g.large"] mixes arm64 (Graviton) and x86_64 types',
    ),
    (
        "empty instance types",
        eks(platform_eks_node_groups=[node_group(instance_type=None, instance_types=[])]),
        f"{GROUP} 'instance_types': is empty; expected at least one EC2 instance type",
    ),
    (
        "disk size",
        eks(platform_eks_node_groups=[node_group(disk_size="50Gi")]),
        f"{GROUP} 'disk_size': '50Gi' is not a disk size in GiB; expected a whole number from 20 to 16384",
    ),
    (
        "capacity type",
        eks(platform_eks_node_groups=[node_group(capacity_type="spot")]),
        f"{GROUP} 'capacity_type': 'spot' is not one of ON_DEMAND, SPOT",
    ),
    (
        "ami type",
        eks(platform_eks_node_groups=[node_group(ami_type="AL2_x86_64")]),
        f"{GROUP} 'ami_type': 'AL2_x86_64' is not one of BOTTLEROCKET_x86_64, BOTTLEROCKET_ARM_64",
    ),
    (
        "label key",
        eks(platform_eks_node_groups=[node_group(labels={"-role": "sync"})]),
        f"{GROUP} 'labels': '-role' is not a Kubernetes label key",
    ),
    (
        "label value",
        eks(platform_eks_node_groups=[node_group(labels={"role": "sync workers"})]),
        f"{GROUP} 'labels': 'sync workers' is not a Kubernetes label value",
    ),
    (
        "taint effect",
        eks(platform_eks_node_groups=[node_group(taints=[{"key": "dedicated", "effect": "NO_SCHEDULE"}])]),
        f"{GROUP} 'taints': effect 'NO_SCHEDULE' is not one of NoSchedule, PreferNoSchedule, NoExecute",
    ),
    (
        "taint without effect",
        eks(platform_eks_node_groups=[node_group(taints=[{"key": "dedicated"}])]),
        f'{GROUP} \'taints\': {{"key": "dedicated"}} lacks effect',
    ),
    (
        "taint field",
        eks(
            platform_eks_node_groups=[
                node_group(taints=[{"key": "a", "effect": "NoSchedule", "operator": "x"}])
            ]
        ),
        f"{GROUP} 'taints': 'operator' is not a taint field",
    ),
]


@pytest.mark.parametrize(
    ("platform", "expected"), [case[1:] for case in BROKEN], ids=[case[0] for case in BROKEN]
)
def test_broken_eks_settings(platform: dict[str, Any], expected: str) -> None:
    errors = errors_of(platform)
    assert any(error.startswith(expected) for error in errors), f"{expected!r} not in {errors}"


def test_the_eks_settings_are_checked_whatever_the_target() -> None:
    errors = errors_of({"platform_target": "none", "platform_eks_vpc_cidr": "10.0.0.0/8"})
    assert errors == [
        "platform, field 'platform_eks_vpc_cidr': '10.0.0.0/8' has a /8 prefix; expected /16 to /20, so that "
        "each of the eight subnets the VPC is split into has room for nodes and pods"
    ]


def test_the_credentials_are_asked_for_the_profile_only_with_eks() -> None:
    asked: list[Any] = []

    def resolve(profile: str | None) -> str | None:
        asked.append(profile)
        return "no credentials found for the default AWS credential chain"

    assert errors_of(eks(), resolve) == [
        "platform, field 'platform_aws_profile': no credentials found for the default AWS credential chain"
    ]
    assert errors_of(eks(platform_aws_profile="prod"), lambda profile: None) == []
    assert errors_of({"platform_target": "none"}, resolve) == []
    assert asked == [None]


def test_credentials_are_not_asked_for_a_broken_profile() -> None:
    def resolve(profile: str | None) -> str | None:
        raise AssertionError(profile)

    assert len(errors_of(eks(platform_aws_profile=12), resolve)) == 1


@pytest.fixture
def aws_files(tmp_path, monkeypatch: pytest.MonkeyPatch):
    """An AWS environment of our own: no credentials in the environment, config files in tmp_path."""
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    # No instance metadata service here: botocore would wait for it.
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return tmp_path


SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def test_credentials_of_a_profile_are_found_and_never_shown(aws_files) -> None:
    (aws_files / "credentials").write_text(
        f"[devstats]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = {SECRET}\n"
    )
    assert aws_credentials.credentials_problem("devstats") is None
    problem = aws_credentials.credentials_problem("prod")
    assert problem == (
        f"AWS profile 'prod' is not defined in {aws_files / 'config'} or {aws_files / 'credentials'}"
    )


def test_no_credentials_at_all(aws_files) -> None:
    problem = aws_credentials.credentials_problem(None)
    assert problem is not None
    assert problem.startswith("no credentials found for the default AWS credential chain; expected them from")


def test_half_a_key_pair_is_named_without_its_value(aws_files, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    (aws_files / "credentials").write_text(f"[default]\naws_secret_access_key = {SECRET}\n")
    problem = aws_credentials.credentials_problem(None) or ""
    assert "AKIAIOSFODNN7EXAMPLE" not in problem
    assert SECRET not in problem
