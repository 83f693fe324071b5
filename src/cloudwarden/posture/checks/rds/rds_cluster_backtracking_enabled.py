from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.rds import DbCluster, judge_clusters
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="rds_cluster_backtracking_enabled",
    title="Aurora MySQL DB clusters have backtracking enabled",
    service="rds",
    severity=Severity.MEDIUM,
    resource_type="AWS::RDS::DBCluster",
    risk="Without backtracking, undoing a bad write or a dropped table means restoring a new cluster from "
    "a backup, which takes hours; backtracking rewinds the cluster in place in minutes.",
    remediation=Remediation(
        summary="Set a backtrack window (up to 72 hours) on the Aurora MySQL cluster. It can only be set "
        "when the cluster is created or restored: restore a copy with it and switch over.",
        cli="aws rds restore-db-cluster-to-point-in-time --source-db-cluster-identifier <CLUSTER> "
        "--db-cluster-identifier <CLUSTER>-bt --use-latest-restorable-time --backtrack-window 86400",
        cloudformation="AWS::RDS::DBCluster BacktrackWindow: 86400 (seconds, Aurora MySQL)",
        terraform='resource "aws_rds_cluster" "this" {\n  engine           = "aurora-mysql"\n  backtrack_window = 86400\n}',
    ),
    reads=("rds",),
    prowler_id="rds_cluster_backtrack_enabled",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_clusters(inventory, _judge, "no Aurora MySQL DB clusters")


def _judge(cluster: DbCluster, region: str) -> Result | None:
    if cluster.engine not in ("aurora", "aurora-mysql"):  # only Aurora MySQL can backtrack
        return None
    return Result.verdict(
        cluster.backtrack_window > 0,
        cluster.arn,
        region,
        passed=f"backtracking is enabled ({cluster.backtrack_window // 3600} h window)",
        failed="backtracking is disabled",
    )
