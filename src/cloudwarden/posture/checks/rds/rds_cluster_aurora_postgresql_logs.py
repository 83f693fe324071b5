"""AWS FSBP RDS.37: Aurora PostgreSQL DB clusters publish their logs to CloudWatch Logs (the
rule's logTypesToPublish defaults to "postgresql")."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.rds import DbCluster, judge_clusters
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="rds_cluster_aurora_postgresql_logs",
    title="Aurora PostgreSQL DB clusters publish the postgresql log to CloudWatch Logs",
    service="rds",
    severity=Severity.MEDIUM,
    resource_type="AWS::RDS::DBCluster",
    risk="The postgresql log holds connection attempts, errors and (with pgaudit) statements; kept only "
    "on the cluster it rotates away and cannot be alerted on or kept for an investigation.",
    remediation=Remediation(
        summary="Export the postgresql log of the Aurora PostgreSQL cluster to CloudWatch Logs.",
        cli="aws rds modify-db-cluster --db-cluster-identifier <CLUSTER> --cloudwatch-logs-export-configuration "
        '\'{"EnableLogTypes":["postgresql"]}\' --apply-immediately',
        cloudformation="AWS::RDS::DBCluster EnableCloudwatchLogsExports: [postgresql]",
        terraform='resource "aws_rds_cluster" "this" {\n  enabled_cloudwatch_logs_exports = ["postgresql"]\n}',
    ),
    reads=("rds",),
    # Prowler's rds_cluster_integration_cloudwatch_logs (mapped to RDS.37) judges every cluster and
    # passes any export; on Aurora PostgreSQL, whose main log is postgresql, the two agree.
    prowler_id="rds_cluster_integration_cloudwatch_logs",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_clusters(inventory, _judge, "no Aurora PostgreSQL DB clusters")


def _judge(cluster: DbCluster, region: str) -> Result | None:
    if cluster.engine != "aurora-postgresql":
        return None
    return Result.verdict(
        "postgresql" in cluster.log_exports,
        cluster.arn,
        region,
        passed="the postgresql log is published to CloudWatch Logs",
        failed="the postgresql log is not published to CloudWatch Logs",
    )
