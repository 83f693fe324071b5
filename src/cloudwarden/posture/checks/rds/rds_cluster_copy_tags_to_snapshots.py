from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.rds import DbCluster, judge_clusters
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="rds_cluster_copy_tags_to_snapshots",
    title="RDS DB clusters copy their tags to snapshots",
    service="rds",
    severity=Severity.LOW,
    resource_type="AWS::RDS::DBCluster",
    risk="Snapshots without the cluster's tags escape the tag-based access policies, cost "
    "allocation and retention rules that govern the cluster, and their owner is hard to tell.",
    remediation=Remediation(
        summary="Turn on CopyTagsToSnapshot for the cluster.",
        cli="aws rds modify-db-cluster --db-cluster-identifier <CLUSTER> --copy-tags-to-snapshot "
        "--apply-immediately",
        cloudformation="AWS::RDS::DBCluster CopyTagsToSnapshot: true",
        terraform='resource "aws_rds_cluster" "this" {\n  copy_tags_to_snapshot = true\n}',
    ),
    reads=("rds",),
    prowler_id="rds_cluster_copy_tags_to_snapshots",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_clusters(inventory, _judge)


def _judge(cluster: DbCluster, region: str) -> Result:
    return Result.verdict(
        cluster.copy_tags_to_snapshot,
        cluster.arn,
        region,
        passed="the cluster copies its tags to snapshots",
        failed="the cluster does not copy its tags to snapshots",
    )
