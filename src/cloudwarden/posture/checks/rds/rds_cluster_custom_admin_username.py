from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.rds import DEFAULT_ADMIN_USERNAMES, DbCluster, judge_clusters
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="rds_cluster_custom_admin_username",
    title="RDS DB clusters use a custom administrator username",
    service="rds",
    severity=Severity.MEDIUM,
    resource_type="AWS::RDS::DBCluster",
    risk="With the engine's default administrator name (admin, postgres) an attacker who reaches "
    "the endpoint needs to guess only the password.",
    remediation=Remediation(
        summary="Create a new cluster (from a snapshot) with a custom master username; the master "
        "username cannot be changed on an existing cluster.",
        cli="aws rds restore-db-cluster-from-snapshot --db-cluster-identifier <NEW> "
        "--snapshot-identifier <SNAPSHOT> --engine <ENGINE>  # then create it with --master-username",
        cloudformation="AWS::RDS::DBCluster MasterUsername: <NOT admin OR postgres>",
        terraform='resource "aws_rds_cluster" "this" {\n  master_username = "<not admin or postgres>"\n}',
    ),
    reads=("rds",),
    prowler_id="rds_cluster_default_admin",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_clusters(inventory, _judge)


def _judge(cluster: DbCluster, region: str) -> Result:
    return Result.verdict(
        cluster.master_username not in DEFAULT_ADMIN_USERNAMES,
        cluster.arn,
        region,
        passed="the cluster's administrator username is not a default one",
        failed=f"the cluster's administrator username is the default {cluster.master_username!r}",
    )
