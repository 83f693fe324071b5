from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.rds import DbInstance, judge_instances
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="rds_instance_enhanced_monitoring",
    title="RDS DB instances have Enhanced Monitoring enabled",
    service="rds",
    severity=Severity.LOW,
    resource_type="AWS::RDS::DBInstance",
    risk="Without Enhanced Monitoring only hypervisor-level metrics exist; the operating system's "
    "processes, memory and I/O that explain an incident or an abuse are not recorded.",
    remediation=Remediation(
        summary="Enable Enhanced Monitoring with a collection interval and a role that lets RDS "
        "publish to CloudWatch Logs (AmazonRDSEnhancedMonitoringRole).",
        cli="aws rds modify-db-instance --db-instance-identifier <DB> --monitoring-interval 60 "
        "--monitoring-role-arn <MONITORING_ROLE_ARN> --apply-immediately",
        cloudformation="AWS::RDS::DBInstance MonitoringInterval: 60 and MonitoringRoleArn: <MONITORING_ROLE_ARN>",
        terraform='resource "aws_db_instance" "this" {\n  monitoring_interval = 60\n'
        "  monitoring_role_arn = aws_iam_role.rds_monitoring.arn\n}",
    ),
    reads=("rds",),
    prowler_id="rds_instance_enhanced_monitoring_enabled",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_instances(inventory, _judge)


def _judge(instance: DbInstance, region: str) -> Result:
    return Result.verdict(
        instance.monitoring_interval > 0,
        instance.arn,
        region,
        passed=f"Enhanced Monitoring collects every {instance.monitoring_interval} s",
        failed="Enhanced Monitoring is off",
    )
