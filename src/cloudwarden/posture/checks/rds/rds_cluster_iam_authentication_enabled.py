from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.rds import DbCluster, judge_clusters
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="rds_cluster_iam_authentication_enabled",
    title="RDS DB clusters have IAM database authentication enabled",
    service="rds",
    severity=Severity.MEDIUM,
    resource_type="AWS::RDS::DBCluster",
    risk="Without IAM authentication every client holds a long-lived database password, which is shared, "
    "rarely rotated and not revoked when a person or service loses access in IAM.",
    remediation=Remediation(
        summary="Enable IAM database authentication on the cluster and have applications request "
        "short-lived tokens for database users granted IAM authentication.",
        cli="aws rds modify-db-cluster --db-cluster-identifier <CLUSTER> --enable-iam-database-authentication "
        "--apply-immediately",
        cloudformation="AWS::RDS::DBCluster EnableIAMDatabaseAuthentication: true",
        terraform='resource "aws_rds_cluster" "this" {\n  iam_database_authentication_enabled = true\n}',
    ),
    reads=("rds",),
    prowler_id="rds_cluster_iam_authentication_enabled",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_clusters(inventory, _judge)


def _judge(cluster: DbCluster, region: str) -> Result:
    return Result.verdict(
        cluster.iam_auth,
        cluster.arn,
        region,
        passed="IAM database authentication is enabled on the cluster",
        failed="IAM database authentication is disabled on the cluster: clients sign in with passwords only",
    )
