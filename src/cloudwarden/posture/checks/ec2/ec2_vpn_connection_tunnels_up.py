from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors._ec2_network import GONE, VpnConnection
from cloudwarden.posture.collectors.ec2 import Ec2Data, arn
from cloudwarden.posture.inventory import Inventory, judge_each
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="ec2_vpn_connection_tunnels_up",
    title="Both tunnels of every Site-to-Site VPN connection are up",
    service="ec2",
    severity=Severity.MEDIUM,
    resource_type="AWS::EC2::VPNConnection",
    risk="A VPN connection runs two tunnels so that AWS maintenance or a failure of one endpoint "
    "does not cut the link; with one down, the next such event takes the on-premises network offline.",
    remediation=Remediation(
        summary="Configure both tunnels on the customer gateway device (from the connection's "
        "downloaded configuration) and bring the down one back up.",
        cli="aws ec2 describe-vpn-connections --vpn-connection-ids <VPN> --query "
        "'VpnConnections[0].VgwTelemetry' && aws ec2 get-vpn-connection-device-sample-configuration "
        "--vpn-connection-id <VPN> --vpn-connection-device-type-id <DEVICE_TYPE>",
        cloudformation="AWS::EC2::VPNConnection VpnTunnelOptionsSpecifications: two entries; "
        "configure both tunnels on the customer gateway device",
        terraform='resource "aws_vpn_connection" "this" {\n  # tunnel1_* and tunnel2_* settings: '
        "configure both on the customer gateway device\n}",
    ),
    reads=("ec2",),
    prowler_id="vpc_vpn_connection_tunnels_up",
)


def run(inventory: Inventory) -> Iterator[Result]:
    """One result per VPN connection not deleted (FSBP EC2.20; AWS Config's vpc-vpn-2-tunnels-up):
    it fails when a tunnel EC2 reports on is not UP."""

    def judge(connection: VpnConnection, region: str) -> Result | None:
        if connection.state in GONE:
            return None
        resource = arn(inventory, region, f"vpn-connection/{connection.connection_id}")
        if not connection.tunnels:
            return Result.error(
                resource,
                region,
                f"EC2 reports no tunnel status (VgwTelemetry) for {connection.connection_id}",
            )
        down = [t for t in connection.tunnels if t.status.upper() != "UP"]
        shown = ", ".join(
            f"{t.outside_ip or 'a tunnel'} is {t.status or 'of unknown status'}"
            + (f" ({t.message})" if t.message else "")
            for t in down
        )
        return Result.verdict(
            not down,
            resource,
            region,
            passed=f"all {len(connection.tunnels)} tunnels of {connection.connection_id} are up",
            failed=f"{len(down)} of {len(connection.tunnels)} tunnels of {connection.connection_id} "
            f"are not up: {shown}",
        )

    return judge_each(inventory, "ec2", _connections, judge, "no Site-to-Site VPN connections")


def _connections(data: Ec2Data) -> tuple[VpnConnection, ...] | Unknown:
    return data.vpn_connections
