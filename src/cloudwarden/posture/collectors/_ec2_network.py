"""The EC2 collector's subnet and Elastic IP reads (FSBP EC2.12, EC2.15), when an instance was
stopped (EC2.4), and its network-interface, VPC endpoint, launch template, transit gateway and
Site-to-Site VPN reads (EC2.10, EC2.20, EC2.22, EC2.23, EC2.25, Lambda.5): kept apart from
`ec2.py` so each module stays small (a leading underscore: a part of a collector, not one).

    subnets = read(ec2, lambda: read_subnets(ec2))
    addresses = read(ec2, lambda: read_addresses(ec2))

Launch templates are read in one call for the whole region: DescribeLaunchTemplateVersions with
Versions=["$Default"] and no template named returns every template's default version (the one
EC2 launches from when no version is asked for, and the one FSBP EC2.25 judges).
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


# ---- network interfaces, VPC endpoints, launch templates, transit gateways, VPN -----------------

GONE = ("deleted", "deleting", "failed", "rejected", "expired")  # states of things no longer there


@dataclass(frozen=True)
class NetworkInterface:
    interface_id: str
    group_ids: tuple[str, ...]  # the security groups it carries
    interface_type: str  # "interface", "lambda", "vpc_endpoint", "nat_gateway", ...


@dataclass(frozen=True)
class VpcEndpoint:
    endpoint_id: str
    vpc_id: str
    service_name: str  # com.amazonaws.<region>.ec2
    endpoint_type: str  # Interface, Gateway or GatewayLoadBalancer
    state: str


@dataclass(frozen=True)
class LaunchTemplate:
    template_id: str
    name: str
    default_version: int
    public_ip_devices: tuple[int, ...]  # device indexes of interfaces with AssociatePublicIpAddress


@dataclass(frozen=True)
class TransitGateway:
    gateway_id: str
    state: str
    auto_accept_shared_attachments: bool


@dataclass(frozen=True)
class Tunnel:
    outside_ip: str
    status: str  # UP or DOWN
    message: str = ""


@dataclass(frozen=True)
class VpnConnection:
    connection_id: str
    state: str
    tunnels: tuple[Tunnel, ...]  # EC2's VgwTelemetry: one entry per tunnel (two per connection)


def read_network_interfaces(ec2: Any) -> tuple[NetworkInterface, ...]:
    return tuple(
        NetworkInterface(
            interface_id=str(raw["NetworkInterfaceId"]),
            group_ids=tuple(str(g["GroupId"]) for g in raw.get("Groups") or () if g.get("GroupId")),
            interface_type=str(raw.get("InterfaceType") or "interface"),
        )
        for raw in paginate(ec2, "describe_network_interfaces", "NetworkInterfaces")
    )


def read_vpc_endpoints(ec2: Any) -> tuple[VpcEndpoint, ...]:
    return tuple(
        VpcEndpoint(
            endpoint_id=str(raw["VpcEndpointId"]),
            vpc_id=str(raw.get("VpcId", "")),
            service_name=str(raw.get("ServiceName", "")),
            endpoint_type=str(raw.get("VpcEndpointType", "")),
            state=str(raw.get("State", "")).lower(),
        )
        for raw in paginate(ec2, "describe_vpc_endpoints", "VpcEndpoints")
    )


def read_launch_templates(ec2: Any) -> tuple[LaunchTemplate, ...]:
    versions = paginate(
        ec2,
        "describe_launch_template_versions",
        "LaunchTemplateVersions",
        Versions=["$Default"],
        PaginationConfig={"PageSize": 200},
    )
    return tuple(
        LaunchTemplate(
            template_id=str(raw["LaunchTemplateId"]),
            name=str(raw.get("LaunchTemplateName", "")),
            default_version=int(raw.get("VersionNumber") or 0),
            public_ip_devices=tuple(
                int(interface.get("DeviceIndex") or 0)
                for interface in (raw.get("LaunchTemplateData") or {}).get("NetworkInterfaces") or ()
                if interface.get("AssociatePublicIpAddress") is True
            ),
        )
        for raw in versions
    )


def read_transit_gateways(ec2: Any) -> tuple[TransitGateway, ...]:
    return tuple(
        TransitGateway(
            gateway_id=str(raw["TransitGatewayId"]),
            state=str(raw.get("State", "")),
            auto_accept_shared_attachments=(raw.get("Options") or {}).get("AutoAcceptSharedAttachments")
            == "enable",
        )
        for raw in paginate(ec2, "describe_transit_gateways", "TransitGateways")
    )


def read_vpn_connections(ec2: Any) -> tuple[VpnConnection, ...]:
    # DescribeVpnConnections has no pagination: it returns every connection of the region at once.
    return tuple(
        VpnConnection(
            connection_id=str(raw["VpnConnectionId"]),
            state=str(raw.get("State", "")),
            tunnels=tuple(
                Tunnel(
                    outside_ip=str(t.get("OutsideIpAddress", "")),
                    status=str(t.get("Status", "")),
                    message=str(t.get("StatusMessage") or ""),
                )
                for t in raw.get("VgwTelemetry") or ()
            ),
        )
        for raw in ec2.describe_vpn_connections().get("VpnConnections") or ()
    )
