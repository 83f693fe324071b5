from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.ec2 import arn
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="ec2_vpc_flow_logs_enabled",
    title="Every VPC has an active flow log capturing rejected traffic",
    service="ec2",
    severity=Severity.MEDIUM,
    resource_type="AWS::EC2::VPC",
    risk="Without flow logs there is no record of who connected to what in the VPC: scans, "
    "exfiltration and lateral movement go unseen and an incident cannot be reconstructed.",
    remediation=Remediation(
        summary="Create a flow log on the VPC with traffic type REJECT or ALL, delivered to "
        "CloudWatch Logs or S3.",
        cli="aws ec2 create-flow-logs --resource-type VPC --resource-ids <VPC> --traffic-type ALL "
        "--log-destination-type s3 --log-destination arn:aws:s3:::<BUCKET>",
        cloudformation="AWS::EC2::FlowLog ResourceType: VPC, ResourceId: !Ref Vpc, TrafficType: ALL, "
        "LogDestinationType: s3, LogDestination: <BUCKET_ARN>",
        terraform='resource "aws_flow_log" "this" {\n  vpc_id               = aws_vpc.this.id\n'
        '  traffic_type         = "ALL"\n  log_destination_type = "s3"\n'
        "  log_destination      = aws_s3_bucket.flow_logs.arn\n}",
    ),
    reads=("ec2",),
    prowler_id="vpc_flow_logs_enabled",
)
CAPTURES_REJECTED = ("ALL", "REJECT")


def run(inventory: Inventory) -> Iterator[Result]:
    for region, ec2 in inventory.each("ec2"):
        where = inventory.region_arn("ec2", region)
        if isinstance(ec2, Unknown):
            yield Result.error(where, region, ec2)
            continue
        if not ec2.vpcs:
            yield Result.not_applicable(where, region, f"no VPCs in {region}")
            continue
        for vpc in ec2.vpcs:
            resource = arn(inventory, region, f"vpc/{vpc.vpc_id}")
            if isinstance(ec2.flow_logs, Unknown):
                yield Result.error(resource, region, ec2.flow_logs)
                continue
            active = [f for f in ec2.flow_logs if f.resource_id == vpc.vpc_id and f.status == "ACTIVE"]
            if any(f.traffic_type in CAPTURES_REJECTED for f in active):
                yield Result.passed(
                    resource, region, "the VPC has an active flow log capturing rejected traffic"
                )
            elif active:
                yield Result.failed(resource, region, "the VPC's flow logs capture accepted traffic only")
            else:
                yield Result.failed(resource, region, "the VPC has no active flow log")
