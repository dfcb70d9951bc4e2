"""The cloud tier: the EKS playbooks run for real against a moto server, one lifecycle per module.

The `lifecycle` fixture starts the emulator, leaves in it a VPC, an IAM role and an EKS cluster that are
not this collection's, then runs the playbooks in the order a user would (check mode on the empty
account, creation, a second run, a refused destroy, a node group change, a refused version change,
destroy) and keeps each run with the account as it was afterwards. The tests read those steps.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cloud.aws_state import account_state
from tests.support.ansible_playbook import REPO_ROOT, PlaybookRun, run_playbook
from tests.support.moto_server import MotoServer, running_moto_server

CLUSTER = "devstats"
# moto runs no add-ons (see roles/eks_cluster/README.md and test_moto_still_lacks_the_addon_calls).
NO_ADDONS = json.dumps({"eks_cluster_addons": []})


@dataclass
class Step:
    """One playbook run and the emulated account right after it."""

    run: PlaybookRun
    state: dict[str, Any]


class EksInventory:
    """A copy of inventories/eks_example pointed at the emulator, edited between runs."""

    def __init__(self, aws: MotoServer, directory: Path) -> None:
        self.path = directory / "inventory"
        shutil.copytree(REPO_ROOT / "inventories" / "eks_example", self.path)
        self.kubeconfig = directory / "kube" / "config.yaml"
        self.edit_platform(platform_aws_endpoint_url=aws.url, platform_kubeconfig=str(self.kubeconfig))

    def edit_platform(self, **variables: Any) -> None:
        path = self.path / "group_vars" / "all" / "platform.yml"
        platform = yaml.safe_load(path.read_text())
        platform.update(variables)
        path.write_text(yaml.safe_dump(platform, sort_keys=False))

    def node_groups(self) -> list[dict[str, Any]]:
        return yaml.safe_load((self.path / "group_vars" / "all" / "platform.yml").read_text())[
            "platform_eks_node_groups"
        ]


def leave_resources_of_others(aws: MotoServer) -> None:
    """A VPC, an IAM role and an EKS cluster someone else made: nothing of them may change."""
    ec2, iam, eks = aws.client("ec2"), aws.client("iam"), aws.client("eks")
    ec2.create_vpc(
        CidrBlock="10.99.0.0/16",
        TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": CLUSTER}]}],
    )
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = iam.create_role(RoleName="analytics-eks", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    default_subnets = [subnet["SubnetId"] for subnet in ec2.describe_subnets()["Subnets"]][:2]
    eks.create_cluster(
        name="analytics",
        version="1.33",
        roleArn=role["Arn"],
        resourcesVpcConfig={"subnetIds": default_subnets},
        tags={"team": "analytics"},
    )


@pytest.fixture(scope="session")
def aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    """One emulator for the whole tier: starting moto and loading IAM's managed policies takes seconds."""
    with running_moto_server(tmp_path_factory.mktemp("moto")) as server:
        yield server


@pytest.fixture(scope="module")
def lifecycle(aws: MotoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    directory = tmp_path_factory.mktemp("eks")
    inventory = EksInventory(aws, directory)
    environment = {
        **aws.environment(directory),
        # The kubeconfig's exec plugin (aws eks get-token) comes from the virtualenv.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }

    def step(playbook: str, *args: str) -> Step:
        run = run_playbook(f"playbooks/{playbook}", "-i", str(inventory.path), *args, env=environment)
        return Step(run, account_state(aws))

    leave_resources_of_others(aws)
    steps: dict[str, Any] = {
        "aws": aws,
        "inventory": inventory,
        "environment": environment,
        "kubeconfig": None,
    }
    steps["before"] = account_state(aws)
    steps["check"] = step("cluster_eks.yml", "--check", "-e", NO_ADDONS)
    steps["kubeconfig_after_check"] = inventory.kubeconfig.exists()
    steps["create"] = step("cluster_eks.yml", "-e", NO_ADDONS)
    if inventory.kubeconfig.exists():
        steps["kubeconfig"] = yaml.safe_load(inventory.kubeconfig.read_text())
        steps["kubeconfig_mode"] = inventory.kubeconfig.stat().st_mode & 0o777
    steps["again"] = step("cluster_eks.yml", "-e", NO_ADDONS)
    steps["destroy_unconfirmed"] = step("destroy_eks.yml", "-e", NO_ADDONS)
    groups = inventory.node_groups()
    groups[0].update(
        desired_size=4,
        max_size=8,
        labels={**groups[0].get("labels", {}), "devstats.io/tier": "sync"},
        taints=[{"key": "devstats.io/dedicated", "value": "sync", "effect": "NoSchedule"}],
    )
    inventory.edit_platform(platform_eks_node_groups=groups)
    steps["resize"] = step("cluster_eks.yml", "-e", NO_ADDONS)
    steps["upgrade"] = step("cluster_eks.yml", "-e", NO_ADDONS, "-e", "versions_kubernetes=1.35.1")
    steps["destroy"] = step(
        "destroy_eks.yml", "-e", NO_ADDONS, "-e", f"eks_cluster_destroy_confirm={CLUSTER}"
    )
    steps["kubeconfig_after_destroy"] = inventory.kubeconfig.exists()
    yield steps
