"""EC2: security groups (and who may reach whom through them) and instances."""

from __future__ import annotations

from typing import Any

from cloudwarden.aws.arns import security_group_key
from cloudwarden.aws.permissions import declare
from cloudwarden.evidence.model import Resource

SOURCE = "ec2"
PERMISSIONS = declare(
    "evidence.ec2",
    ("ec2:DescribeSecurityGroups", "ec2:DescribeInstances"),
    purpose="Read security groups and their rules, and EC2 instances",
)


def get(client: Any) -> dict[str, Any]:
    groups: list[dict[str, Any]] = []
    for page in client.get_paginator("describe_security_groups").paginate():
        groups.extend(page.get("SecurityGroups", []))
    instances: list[dict[str, Any]] = []
    for page in client.get_paginator("describe_instances").paginate():
        for reservation in page.get("Reservations", []):
            instances.extend(reservation.get("Instances", []))
    return {"security_groups": groups, "instances": instances}


def transform(raw: dict[str, Any], *, region: str) -> list[Resource]:
    resources = []
    for group in raw["security_groups"]:
        ingress = []
        for permission in group.get("IpPermissions", []):
            for pair in permission.get("UserIdGroupPairs", []):
                ingress.append(
                    {
                        "from_group": pair["GroupId"],
                        "port": permission.get("FromPort"),
                        "protocol": permission.get("IpProtocol"),
                    }
                )
            for ip_range in permission.get("IpRanges", []):
                ingress.append(
                    {
                        "cidr": ip_range.get("CidrIp"),
                        "port": permission.get("FromPort"),
                        "protocol": permission.get("IpProtocol"),
                    }
                )
        resources.append(
            Resource(
                key=security_group_key(region, group["OwnerId"], group["GroupId"]),
                kind="security_group",
                name=group["GroupId"],
                attributes={
                    "group_id": group["GroupId"],
                    "group_name": group.get("GroupName"),
                    "ingress": ingress,
                },
            )
        )
    for instance in raw["instances"]:
        if instance.get("State", {}).get("Name") == "terminated":
            continue
        resources.append(
            Resource(
                key=instance["InstanceId"],
                kind="ec2_instance",
                name=instance["InstanceId"],
                attributes={
                    "state": instance.get("State", {}).get("Name"),
                    "security_groups": [g["GroupId"] for g in instance.get("SecurityGroups", [])],
                    "private_ip": instance.get("PrivateIpAddress"),
                },
            )
        )
    return resources
