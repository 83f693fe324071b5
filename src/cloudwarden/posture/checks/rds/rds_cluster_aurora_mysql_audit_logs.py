"""AWS FSBP RDS.34: Aurora MySQL DB clusters publish their audit log to CloudWatch Logs."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.rds import DbCluster, judge_clusters
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

AURORA_MYSQL = ("aurora", "aurora-mysql")

METADATA = CheckMetadata(
    id="rds_cluster_aurora_mysql_audit_logs",
    title="Aurora MySQL DB clusters publish audit logs to CloudWatch Logs",
    service="rds",
    severity=Severity.MEDIUM,
    resource_type="AWS::RDS::DBCluster",
    risk="The audit log records connections, queries and privilege changes; kept only on the cluster it "
    "rotates away and cannot be searched or alerted on when a login or a query is suspicious.",
    remediation=Remediation(
        summary="Turn on server_audit_logging in the cluster parameter group and export the audit log "
        "to CloudWatch Logs.",
        cli="aws rds modify-db-cluster --db-cluster-identifier <CLUSTER> --cloudwatch-logs-export-configuration "
        '\'{"EnableLogTypes":["audit"]}\' --apply-immediately',
        cloudformation="AWS::RDS::DBCluster EnableCloudwatchLogsExports: [audit]",
        terraform='resource "aws_rds_cluster" "this" {\n  enabled_cloudwatch_logs_exports = ["audit"]\n}',
    ),
    reads=("rds",),
    # Prowler's rds_cluster_integration_cloudwatch_logs passes a cluster exporting any log.
    prowler_id=None,
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_clusters(inventory, _judge, "no Aurora MySQL DB clusters")


def _judge(cluster: DbCluster, region: str) -> Result | None:
    if cluster.engine not in AURORA_MYSQL:
        return None
    return Result.verdict(
        "audit" in cluster.log_exports,
        cluster.arn,
        region,
        passed="the audit log is published to CloudWatch Logs",
        failed="the audit log is not published to CloudWatch Logs",
    )
