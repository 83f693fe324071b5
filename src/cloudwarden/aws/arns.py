"""Small facts about AWS ARNs shared by collectors and the simulator."""

from __future__ import annotations


def dimension_value(arn: str) -> str:
    """arn:...:loadbalancer/app/web/123 -> app/web/123; arn:...:targetgroup/web/456 -> targetgroup/web/456."""
    resource = arn.split(":", 5)[-1]
    return resource.split("/", 1)[1] if resource.startswith("loadbalancer/") else resource
