"""EC2 and VPC, read in every region: VPCs, subnets, security groups, network ACLs, flow logs,
Elastic IPs, network interfaces, VPC endpoints, launch templates, transit gateways, Site-to-Site
VPN connections, instances, EBS volumes, snapshots, AMIs and the account's EBS encryption default.

DescribeVpcs is the main listing (its failure makes the service unknown in the region); every
other listing is read on its own, so a refusal of one (say DescribeFlowLogs) leaves the others
readable and only the checks that need it report ERROR. Snapshots are judged public by the API's
own filter (DescribeSnapshots with RestorableByUserIds=all, one call) and each snapshot it names
is confirmed by its createVolumePermission attribute, so the per-snapshot calls grow with the
public snapshots only, not with all of them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeVar

from cloudwarden.aws import permissions
from cloudwarden.posture.collectors import Clients
from cloudwarden.posture.collectors import _ec2_network as net
from cloudwarden.posture.inventory import Inventory, paginate, read
from cloudwarden.posture.model import Unknown

SERVICE = "ec2"
SCOPE: Literal["global", "regional"] = "regional"
PERMISSIONS = permissions.declare(
    "posture.ec2",
    (
        "ec2:DescribeVpcs",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeNetworkAcls",
        "ec2:DescribeFlowLogs",
        "ec2:DescribeInstances",
        "ec2:DescribeVolumes",
        "ec2:DescribeSnapshots",
        "ec2:DescribeSnapshotAttribute",
        "ec2:DescribeImages",
        "ec2:GetEbsEncryptionByDefault",
        "ec2:DescribeSubnets",
        "ec2:DescribeAddresses",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeVpcEndpoints",
        "ec2:DescribeLaunchTemplateVersions",
        "ec2:DescribeTransitGateways",
        "ec2:DescribeVpnConnections",
    ),
    purpose="posture: VPC network controls, subnets, Elastic IPs, VPC endpoints, transit gateways, VPN "
    "tunnels, launch templates, instance metadata and public IPs, EBS encryption and sharing",
)
WORLD_IPV4 = "0.0.0.0/0"
WORLD_IPV6 = "::/0"
GONE_STATES = ("terminated", "shutting-down")
T = TypeVar("T")


@dataclass(frozen=True)
class Vpc:
    vpc_id: str
    is_default: bool


@dataclass(frozen=True)
class Permission:
    """One entry of a security group's IpPermissions (ingress) or IpPermissionsEgress."""

    protocol: str  # "-1" (all traffic), "tcp", "udp", "icmp", "icmpv6" or a protocol number
    from_port: int | None  # None: every port (all traffic, or a protocol without ports)
    to_port: int | None
    ipv4: tuple[str, ...] = ()
    ipv6: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    prefix_lists: tuple[str, ...] = ()

    @property
    def all_traffic(self) -> bool:
        return self.protocol == "-1"

    @property
    def protocol_name(self) -> str:
        return _protocol_name(self.protocol)

    def open_to(self, cidr: str) -> bool:
        return cidr in self.ipv4 or cidr in self.ipv6

    def covers(self, port: int, protocol: str) -> bool:
        """Whether the rule admits `protocol` ("tcp"/"udp") traffic to `port`."""
        if self.all_traffic:
            return True
        if self.protocol_name != protocol:
            return False
        if self.from_port is None or self.to_port is None or self.from_port < 0:
            return True
        return self.from_port <= port <= self.to_port

    def describe(self) -> str:
        if self.all_traffic:
            return "all traffic"
        name = self.protocol_name
        if self.from_port is None or self.to_port is None or self.from_port < 0:
            return f"{name} all ports" if name in ("tcp", "udp") else name
        if name in ("icmp", "icmpv6"):
            return name
        ports = str(self.from_port) if self.from_port == self.to_port else f"{self.from_port}-{self.to_port}"
        return f"{name} {ports}"


@dataclass(frozen=True)
class SecurityGroup:
    group_id: str
    name: str
    vpc_id: str | None
    ingress: tuple[Permission, ...]
    egress: tuple[Permission, ...]

    @property
    def is_default(self) -> bool:
        return self.name == "default"


@dataclass(frozen=True)
class NaclEntry:
    rule_number: int
    egress: bool
    allow: bool
    protocol: str  # "-1" (all), "6" (tcp), "17" (udp), ...
    cidr: str  # IPv4 or IPv6 block
    from_port: int | None  # None: all ports
    to_port: int | None

    def matches(self, port: int, protocol: str) -> bool:
        if self.protocol != "-1" and _protocol_name(self.protocol) != protocol:
            return False
        if self.from_port is None or self.to_port is None:
            return True
        return self.from_port <= port <= self.to_port


@dataclass(frozen=True)
class NetworkAcl:
    acl_id: str
    vpc_id: str
    is_default: bool
    entries: tuple[NaclEntry, ...]
    subnet_ids: tuple[str, ...] = ()  # the subnets it is associated with


@dataclass(frozen=True)
class FlowLog:
    flow_log_id: str
    resource_id: str  # the VPC, subnet or network interface it watches
    status: str  # ACTIVE when it delivers
    traffic_type: str  # ACCEPT, REJECT or ALL


@dataclass(frozen=True)
class Instance:
    instance_id: str
    state: str
    http_tokens: str  # "required": IMDSv2 only; "optional": IMDSv1 allowed too
    http_endpoint: str  # "enabled" or "disabled"
    public_ip: str | None
    virtualization: str = "hvm"  # "hvm" or "paravirtual"
    network_interfaces: int = 1
    stopped_at: datetime | None = None  # when a stopped instance was stopped, if EC2 says


@dataclass(frozen=True)
class Volume:
    volume_id: str
    encrypted: bool
    attached_to: tuple[str, ...]  # instance ids it is attached to


@dataclass(frozen=True)
class Snapshot:
    snapshot_id: str
    encrypted: bool
    public: bool | Unknown  # createVolumePermission grants group "all"


@dataclass(frozen=True)
class Image:
    image_id: str
    name: str
    public: bool


@dataclass(frozen=True)
class Ec2Data:
    vpcs: tuple[Vpc, ...]
    security_groups: tuple[SecurityGroup, ...] | Unknown
    network_acls: tuple[NetworkAcl, ...] | Unknown
    flow_logs: tuple[FlowLog, ...] | Unknown
    instances: tuple[Instance, ...] | Unknown  # terminated ones left out
    volumes: tuple[Volume, ...] | Unknown
    snapshots: tuple[Snapshot, ...] | Unknown  # the account's own
    images: tuple[Image, ...] | Unknown  # the account's own AMIs
    ebs_encryption_by_default: bool | Unknown
    subnets: tuple[net.Subnet, ...] | Unknown = ()
    addresses: tuple[net.Address, ...] | Unknown = ()  # Elastic IPs
    network_interfaces: tuple[net.NetworkInterface, ...] | Unknown = ()
    vpc_endpoints: tuple[net.VpcEndpoint, ...] | Unknown = ()
    launch_templates: tuple[net.LaunchTemplate, ...] | Unknown = ()  # each at its default version
    transit_gateways: tuple[net.TransitGateway, ...] | Unknown = ()
    vpn_connections: tuple[net.VpnConnection, ...] | Unknown = ()


def collect(clients: Clients, region: str, account_id: str) -> Ec2Data:
    ec2 = clients("ec2")
    vpcs = tuple(
        Vpc(str(v["VpcId"]), bool(v.get("IsDefault"))) for v in paginate(ec2, "describe_vpcs", "Vpcs")
    )
    return Ec2Data(
        vpcs=vpcs,
        security_groups=read(
            ec2,
            lambda: tuple(_group(g) for g in paginate(ec2, "describe_security_groups", "SecurityGroups")),
        ),
        network_acls=read(
            ec2, lambda: tuple(_acl(a) for a in paginate(ec2, "describe_network_acls", "NetworkAcls"))
        ),
        flow_logs=read(
            ec2, lambda: tuple(_flow_log(f) for f in paginate(ec2, "describe_flow_logs", "FlowLogs"))
        ),
        instances=read(ec2, lambda: _instances(ec2)),
        volumes=read(ec2, lambda: tuple(_volume(v) for v in paginate(ec2, "describe_volumes", "Volumes"))),
        snapshots=read(ec2, lambda: _snapshots(ec2, account_id)),
        images=read(
            ec2,
            lambda: tuple(
                Image(str(i["ImageId"]), str(i.get("Name", "")), bool(i.get("Public")))
                for i in paginate(ec2, "describe_images", "Images", Owners=["self"])
                if str(i.get("OwnerId", account_id)) == account_id
            ),
        ),
        ebs_encryption_by_default=read(
            ec2, lambda: bool(ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"])
        ),
        subnets=read(ec2, lambda: net.read_subnets(ec2)),
        addresses=read(ec2, lambda: net.read_addresses(ec2)),
        network_interfaces=read(ec2, lambda: net.read_network_interfaces(ec2)),
        vpc_endpoints=read(ec2, lambda: net.read_vpc_endpoints(ec2)),
        launch_templates=read(ec2, lambda: net.read_launch_templates(ec2)),
        transit_gateways=read(ec2, lambda: net.read_transit_gateways(ec2)),
        vpn_connections=read(ec2, lambda: net.read_vpn_connections(ec2)),
    )


def _protocol_name(protocol: str) -> str:
    return {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}.get(protocol, protocol.lower())


def _port(value: Any) -> int | None:
    return None if value is None else int(value)


def _permission(raw: dict[str, Any]) -> Permission:
    protocol = str(raw.get("IpProtocol", "-1"))
    return Permission(
        protocol=protocol,
        from_port=None if protocol == "-1" else _port(raw.get("FromPort")),
        to_port=None if protocol == "-1" else _port(raw.get("ToPort")),
        ipv4=tuple(str(r["CidrIp"]) for r in raw.get("IpRanges") or () if "CidrIp" in r),
        ipv6=tuple(str(r["CidrIpv6"]) for r in raw.get("Ipv6Ranges") or () if "CidrIpv6" in r),
        groups=tuple(str(g.get("GroupId", "")) for g in raw.get("UserIdGroupPairs") or ()),
        prefix_lists=tuple(str(p.get("PrefixListId", "")) for p in raw.get("PrefixListIds") or ()),
    )


def _group(raw: dict[str, Any]) -> SecurityGroup:
    return SecurityGroup(
        group_id=str(raw["GroupId"]),
        name=str(raw.get("GroupName", "")),
        vpc_id=raw.get("VpcId"),
        ingress=tuple(_permission(p) for p in raw.get("IpPermissions") or ()),
        egress=tuple(_permission(p) for p in raw.get("IpPermissionsEgress") or ()),
    )


def _acl(raw: dict[str, Any]) -> NetworkAcl:
    entries = []
    for entry in raw.get("Entries") or ():
        ports = entry.get("PortRange") or {}
        entries.append(
            NaclEntry(
                rule_number=int(entry["RuleNumber"]),
                egress=bool(entry.get("Egress")),
                allow=str(entry.get("RuleAction", "")).lower() == "allow",
                protocol=str(entry.get("Protocol", "-1")),
                cidr=str(entry.get("CidrBlock") or entry.get("Ipv6CidrBlock") or ""),
                from_port=_port(ports.get("From")),
                to_port=_port(ports.get("To")),
            )
        )
    return NetworkAcl(
        acl_id=str(raw["NetworkAclId"]),
        vpc_id=str(raw.get("VpcId", "")),
        is_default=bool(raw.get("IsDefault")),
        entries=tuple(sorted(entries, key=lambda e: e.rule_number)),
        subnet_ids=tuple(str(a["SubnetId"]) for a in raw.get("Associations") or () if a.get("SubnetId")),
    )


def _flow_log(raw: dict[str, Any]) -> FlowLog:
    return FlowLog(
        flow_log_id=str(raw.get("FlowLogId", "")),
        resource_id=str(raw.get("ResourceId", "")),
        status=str(raw.get("FlowLogStatus", "")),
        traffic_type=str(raw.get("TrafficType", "")),
    )


def _instances(ec2: Any) -> tuple[Instance, ...]:
    found: list[Instance] = []
    for reservation in paginate(ec2, "describe_instances", "Reservations"):
        for raw in reservation.get("Instances") or ():
            state = str((raw.get("State") or {}).get("Name", ""))
            if state in GONE_STATES:
                continue
            metadata = raw.get("MetadataOptions") or {}
            found.append(
                Instance(
                    instance_id=str(raw["InstanceId"]),
                    state=state,
                    http_tokens=str(metadata.get("HttpTokens", "optional")),
                    http_endpoint=str(metadata.get("HttpEndpoint", "enabled")),
                    public_ip=raw.get("PublicIpAddress") or None,
                    virtualization=str(raw.get("VirtualizationType") or "hvm"),
                    network_interfaces=len(raw.get("NetworkInterfaces") or ()) or 1,
                    stopped_at=net.stopped_since(raw),
                )
            )
    return tuple(found)


def _volume(raw: dict[str, Any]) -> Volume:
    attached = tuple(
        str(a["InstanceId"])
        for a in raw.get("Attachments") or ()
        if a.get("InstanceId") and a.get("State") in ("attaching", "attached")
    )
    return Volume(str(raw["VolumeId"]), bool(raw.get("Encrypted")), attached)


def _snapshots(ec2: Any, account_id: str) -> tuple[Snapshot, ...]:
    own = [
        s
        for s in paginate(ec2, "describe_snapshots", "Snapshots", OwnerIds=["self"])
        if str(s.get("OwnerId", account_id)) == account_id
    ]
    if not own:
        return ()
    candidates = read(
        ec2,
        lambda: {
            str(s["SnapshotId"])
            for s in paginate(
                ec2, "describe_snapshots", "Snapshots", OwnerIds=["self"], RestorableByUserIds=["all"]
            )
        },
    )
    snapshots = []
    for raw in own:
        snapshot_id = str(raw["SnapshotId"])
        public: bool | Unknown = False
        if isinstance(candidates, Unknown):
            public = candidates
        elif snapshot_id in candidates:
            public = read(ec2, functools.partial(_public_snapshot, ec2, snapshot_id))
        snapshots.append(Snapshot(snapshot_id, bool(raw.get("Encrypted")), public))
    return tuple(snapshots)


def _public_snapshot(ec2: Any, snapshot_id: str) -> bool:
    grants = ec2.describe_snapshot_attribute(SnapshotId=snapshot_id, Attribute="createVolumePermission")
    return any(g.get("Group") == "all" for g in grants.get("CreateVolumePermissions") or ())


# ---- helpers for the checks (EC2, Lambda and ECS alike) -----------------------------------------


def arn(inventory: Inventory, region: str, resource: str, *, account: bool = True) -> str:
    """An EC2 ARN: arn(inv, "us-east-1", "security-group/sg-1"); snapshots and AMIs have no
    account in theirs (account=False)."""
    owner = inventory.account_id if account else ""
    return f"arn:{inventory.partition}:ec2:{region}:{owner}:{resource}"
