"""Elastic Load Balancing v2: load balancers and target groups (alarm dimensions name them)."""

from __future__ import annotations

from itertools import islice
from typing import Any

from cloudwarden.aws.arns import dimension_value
from cloudwarden.aws.permissions import declare
from cloudwarden.evidence.collector import Probe
from cloudwarden.evidence.model import Resource

SOURCE = "elbv2"
PERMISSIONS = declare(
    "evidence.elbv2",
    ("elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeTargetGroups"),
    purpose="Read load balancers and target groups to map alarm dimensions to services",
)
PROBES: tuple[Probe, ...] = (
    Probe(
        "elbv2",
        "elbv2",
        "elasticloadbalancing:DescribeTargetGroups",
        lambda c: c.describe_target_groups(PageSize=1),
    ),
)
# Pages read at most per listing: discovery is bounded whatever the account's size.
MAX_PAGES = 3


def get(client: Any) -> dict[str, Any]:
    balancers: list[dict[str, Any]] = []
    for page in islice(client.get_paginator("describe_load_balancers").paginate(), MAX_PAGES):
        balancers.extend(page.get("LoadBalancers", []))
    groups: list[dict[str, Any]] = []
    for page in islice(client.get_paginator("describe_target_groups").paginate(), MAX_PAGES):
        groups.extend(page.get("TargetGroups", []))
    return {"load_balancers": balancers, "target_groups": groups}


def transform(raw: dict[str, Any]) -> list[Resource]:
    resources = []
    for balancer in raw["load_balancers"]:
        resources.append(
            Resource(
                key=balancer["LoadBalancerArn"],
                kind="load_balancer",
                name=balancer["LoadBalancerName"],
                attributes={
                    "dimension": dimension_value(balancer["LoadBalancerArn"]),
                    "security_groups": list(balancer.get("SecurityGroups", [])),
                    "dns_name": balancer.get("DNSName"),
                },
            )
        )
    for group in raw["target_groups"]:
        resources.append(
            Resource(
                key=group["TargetGroupArn"],
                kind="target_group",
                name=group["TargetGroupName"],
                attributes={
                    "dimension": dimension_value(group["TargetGroupArn"]),
                    "load_balancers": list(group.get("LoadBalancerArns", [])),
                    "port": group.get("Port"),
                },
            )
        )
    return resources
