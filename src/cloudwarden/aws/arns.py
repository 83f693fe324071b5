"""Small facts about AWS ARNs shared by collectors and the simulator."""

from __future__ import annotations


def security_group_key(region: str, account_id: str, group_id: str) -> str:
    """The key CloudWarden gives a security group (EC2 has no ARN field for it in its API)."""
    return f"arn:aws:ec2:{region}:{account_id}:security-group/{group_id}"


def dimension_value(arn: str) -> str:
    """arn:...:loadbalancer/app/web/123 -> app/web/123; arn:...:targetgroup/web/456 -> targetgroup/web/456."""
    resource = arn.split(":", 5)[-1]
    return resource.split("/", 1)[1] if resource.startswith("loadbalancer/") else resource
