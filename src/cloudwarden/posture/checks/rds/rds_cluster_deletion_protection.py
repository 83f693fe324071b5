from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.rds import DbCluster, judge_clusters
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="rds_cluster_deletion_protection",
    title="RDS DB clusters have deletion protection enabled",
    service="rds",
    severity=Severity.LOW,
    resource_type="AWS::RDS::DBCluster",
    risk="Without deletion protection one API call, a console slip or an infrastructure-as-code "
    "change deletes the whole cluster and its data.",
    remediation=Remediation(
        summary="Enable deletion protection on the cluster; it must then be switched off "
        "deliberately before the cluster can be deleted.",
        cli="aws rds modify-db-cluster --db-cluster-identifier <CLUSTER> --deletion-protection --apply-immediately",
        cloudformation="AWS::RDS::DBCluster DeletionProtection: true",
        terraform='resource "aws_rds_cluster" "this" {\n  deletion_protection = true\n}',
    ),
    reads=("rds",),
    prowler_id="rds_cluster_deletion_protection",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_clusters(inventory, _judge)


def _judge(cluster: DbCluster, region: str) -> Result:
    return Result.verdict(
        cluster.deletion_protection,
        cluster.arn,
        region,
        passed="deletion protection is enabled on the cluster",
        failed="deletion protection is disabled on the cluster",
    )
