"""The EC2 collector's subnet and Elastic IP reads (FSBP EC2.12, EC2.15), and when an instance
was stopped (EC2.4): kept apart from `ec2.py` so each module stays small (a leading underscore: a part of a collector, not one).

    subnets = read(ec2, lambda: read_subnets(ec2))
    addresses = read(ec2, lambda: read_addresses(ec2))
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cloudwarden.posture.inventory import paginate

# "User initiated (2024-01-31 10:15:42 GMT)": how EC2 writes when an instance was stopped (moto
# writes UTC for GMT).
_TRANSITION_TIME = re.compile(r"\((\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) (?:GMT|UTC)\)")


@dataclass(frozen=True)
class Subnet:
    subnet_id: str
    vpc_id: str
    availability_zone: str
    map_public_ip_on_launch: bool


@dataclass(frozen=True)
class Address:
    allocation_id: str  # eipalloc-...; EC2-Classic addresses have none (public IP instead)
    public_ip: str
    association_id: str | None  # None: allocated and attached to nothing


def read_subnets(ec2: Any) -> tuple[Subnet, ...]:
    return tuple(
        Subnet(
            subnet_id=str(raw["SubnetId"]),
            vpc_id=str(raw.get("VpcId", "")),
            availability_zone=str(raw.get("AvailabilityZone", "")),
            map_public_ip_on_launch=bool(raw.get("MapPublicIpOnLaunch")),
        )
        for raw in paginate(ec2, "describe_subnets", "Subnets")
    )


def read_addresses(ec2: Any) -> tuple[Address, ...]:
    # DescribeAddresses has no pagination: it returns every address of the region at once.
    return tuple(
        Address(
            allocation_id=str(raw.get("AllocationId") or raw.get("PublicIp", "")),
            public_ip=str(raw.get("PublicIp", "")),
            association_id=raw.get("AssociationId") or None,
        )
        for raw in ec2.describe_addresses().get("Addresses") or ()
    )


def stopped_since(raw_instance: dict[str, Any]) -> datetime | None:
    """When a stopped instance was stopped, from its StateTransitionReason; None otherwise."""
    if (raw_instance.get("State") or {}).get("Name") != "stopped":
        return None
    found = _TRANSITION_TIME.search(str(raw_instance.get("StateTransitionReason") or ""))
    if found is None:
        return None
    return datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
