from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.rds import DbCluster, judge_clusters
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="rds_cluster_storage_encrypted",
    title="RDS DB clusters are encrypted at rest",
    service="rds",
    severity=Severity.MEDIUM,
    resource_type="AWS::RDS::DBCluster",
    risk="An unencrypted cluster's storage, its automated backups and its snapshots hold the data "
    "in the clear; encryption cannot be switched on later without a copy and a cut-over.",
    remediation=Remediation(
        summary="Snapshot the cluster, restore the snapshot into a cluster created with a KMS key, "
        "then move the applications to it (a cluster cannot be encrypted in place).",
        cli="aws rds restore-db-cluster-from-snapshot --db-cluster-identifier <NEW> "
        "--snapshot-identifier <SNAPSHOT> --engine <ENGINE> --kms-key-id <KEY>",
        cloudformation="AWS::RDS::DBCluster StorageEncrypted: true (KmsKeyId: <KEY>)",
        terraform='resource "aws_rds_cluster" "this" {\n  storage_encrypted = true\n  kms_key_id = <KEY>\n}',
    ),
    reads=("rds",),
    prowler_id="rds_cluster_storage_encrypted",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_clusters(inventory, _judge)


def _judge(cluster: DbCluster, region: str) -> Result:
    return Result.verdict(
        cluster.storage_encrypted,
        cluster.arn,
        region,
        passed="the cluster's storage is encrypted",
        failed="the cluster's storage is not encrypted",
    )
