"""Everything the emulated AWS account holds that the EKS stage could touch, read back through boto3.

One plain, sorted dictionary per run, so a test can compare a whole account before and after a run
(check mode, a refused run, destroy) and read single resources by name.
"""

from __future__ import annotations

from typing import Any

from tests.support.moto_server import MotoServer


def _tags(items: list[dict[str, str]] | None) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in items or []}


def _network(ec2: Any) -> dict[str, Any]:
    vpcs = {vpc["VpcId"]: vpc for vpc in ec2.describe_vpcs()["Vpcs"] if not vpc["IsDefault"]}
    return {
        "vpcs": {
            vpc_id: {"cidr": vpc["CidrBlock"], "tags": _tags(vpc.get("Tags"))} for vpc_id, vpc in vpcs.items()
        },
        "subnets": {
            subnet["SubnetId"]: {
                "vpc": subnet["VpcId"],
                "cidr": subnet["CidrBlock"],
                "zone": subnet["AvailabilityZone"],
                "public_ips": subnet["MapPublicIpOnLaunch"],
                "tags": _tags(subnet.get("Tags")),
            }
            for subnet in ec2.describe_subnets()["Subnets"]
            if subnet["VpcId"] in vpcs
        },
        "internet_gateways": {
            gateway["InternetGatewayId"]: {
                "vpcs": sorted(attachment["VpcId"] for attachment in gateway.get("Attachments", [])),
                "tags": _tags(gateway.get("Tags")),
            }
            for gateway in ec2.describe_internet_gateways()["InternetGateways"]
        },
        "nat_gateways": {
            gateway["NatGatewayId"]: {
                "subnet": gateway["SubnetId"],
                "allocations": sorted(address["AllocationId"] for address in gateway["NatGatewayAddresses"]),
                "tags": _tags(gateway.get("Tags")),
            }
            for gateway in ec2.describe_nat_gateways()["NatGateways"]
            if gateway["State"] not in ("deleting", "deleted")
        },
        "elastic_ips": {
            address["AllocationId"]: {"tags": _tags(address.get("Tags"))}
            for address in ec2.describe_addresses()["Addresses"]
        },
        "route_tables": {
            table["RouteTableId"]: {
                "vpc": table["VpcId"],
                "subnets": sorted(a["SubnetId"] for a in table["Associations"] if a.get("SubnetId")),
                "default_route": next(
                    (
                        route.get("GatewayId") or route.get("NatGatewayId")
                        for route in table["Routes"]
                        if route.get("DestinationCidrBlock") == "0.0.0.0/0"
                    ),
                    None,
                ),
                "tags": _tags(table.get("Tags")),
            }
            for table in ec2.describe_route_tables()["RouteTables"]
            if table["VpcId"] in vpcs and not any(a.get("Main") for a in table["Associations"])
        },
    }


def _roles(iam: Any) -> dict[str, Any]:
    roles = {}
    for role in iam.list_roles()["Roles"]:
        name = role["RoleName"]
        attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
        roles[name] = {
            "arn": role["Arn"],
            "trusts": sorted(
                statement["Principal"]["Service"]
                for statement in role["AssumeRolePolicyDocument"]["Statement"]
            ),
            "policies": sorted(policy["PolicyArn"] for policy in attached),
            "tags": _tags(iam.list_role_tags(RoleName=name)["Tags"]),
        }
    return roles


def _clusters(eks: Any) -> dict[str, Any]:
    clusters = {}
    for name in eks.list_clusters()["clusters"]:
        cluster = eks.describe_cluster(name=name)["cluster"]
        groups = {}
        for group_name in eks.list_nodegroups(clusterName=name)["nodegroups"]:
            group = eks.describe_nodegroup(clusterName=name, nodegroupName=group_name)["nodegroup"]
            groups[group_name] = {
                "scaling": group["scalingConfig"],
                "instance_types": group["instanceTypes"],
                "disk_size": int(group["diskSize"]),
                "capacity_type": group["capacityType"],
                "ami_type": group["amiType"],
                "labels": group["labels"],
                "taints": sorted(group["taints"], key=lambda taint: (taint["key"], taint["effect"])),
                "subnets": sorted(group["subnets"]),
                "node_role": group["nodeRole"],
                "tags": group["tags"],
            }
        clusters[name] = {
            "version": cluster["version"],
            "role": cluster["roleArn"],
            "subnets": sorted(cluster["resourcesVpcConfig"]["subnetIds"]),
            "endpoint": cluster["endpoint"],
            "certificate_authority": cluster["certificateAuthority"]["data"],
            "tags": cluster["tags"],
            "node_groups": groups,
        }
    return clusters


def account_state(aws: MotoServer) -> dict[str, Any]:
    """The account's VPCs (but the default one) and what is in them, IAM roles and EKS clusters."""
    return {
        **_network(aws.client("ec2")),
        "roles": _roles(aws.client("iam")),
        "clusters": _clusters(aws.client("eks")),
    }
