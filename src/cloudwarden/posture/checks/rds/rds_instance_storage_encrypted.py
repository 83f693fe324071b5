from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.rds import DbInstance, judge_instances
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="rds_instance_storage_encrypted",
    title="RDS DB instances encrypt their storage at rest",
    service="rds",
    severity=Severity.HIGH,
    resource_type="AWS::RDS::DBInstance",
    risk="Unencrypted storage leaves the database files, its automated backups, snapshots and read "
    "replicas readable by anyone who obtains a copy of the underlying storage or a snapshot.",
    remediation=Remediation(
        summary="Encryption cannot be switched on in place: snapshot the instance, copy the snapshot "
        "with a KMS key, restore a new instance from the copy and move clients to it.",
        cli="aws rds create-db-snapshot --db-instance-identifier <DB> --db-snapshot-identifier <DB>-plain && "
        "aws rds copy-db-snapshot --source-db-snapshot-identifier <DB>-plain "
        "--target-db-snapshot-identifier <DB>-encrypted --kms-key-id <KEY_ID> && "
        "aws rds restore-db-instance-from-db-snapshot --db-instance-identifier <DB>-new "
        "--db-snapshot-identifier <DB>-encrypted",
        cloudformation="AWS::RDS::DBInstance StorageEncrypted: true (and KmsKeyId: <KEY_ARN>)",
        terraform='resource "aws_db_instance" "this" {\n  storage_encrypted = true\n'
        "  kms_key_id        = aws_kms_key.this.arn\n}",
    ),
    reads=("rds",),
    prowler_id="rds_instance_storage_encrypted",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_instances(inventory, _judge)


def _judge(instance: DbInstance, region: str) -> Result:
    return Result.verdict(
        instance.storage_encrypted,
        instance.arn,
        region,
        passed="the DB instance's storage is encrypted",
        failed="the DB instance's storage is not encrypted",
    )
