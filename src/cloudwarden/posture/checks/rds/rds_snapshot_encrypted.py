from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.rds import Snapshot, judge_snapshots
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="rds_snapshot_encrypted",
    title="RDS snapshots and cluster snapshots are encrypted at rest",
    service="rds",
    severity=Severity.MEDIUM,
    resource_type="AWS::RDS::DBSnapshot",
    risk="An unencrypted snapshot is a full copy of the database that anyone it is shared with, or "
    "who can copy it, can restore and read without any key permission.",
    remediation=Remediation(
        summary="Copy the snapshot with a KMS key, delete the unencrypted original, and encrypt the "
        "source instance or cluster so later snapshots are encrypted.",
        cli="aws rds copy-db-snapshot --source-db-snapshot-identifier <SNAPSHOT> "
        "--target-db-snapshot-identifier <SNAPSHOT>-encrypted --kms-key-id <KEY_ID> && "
        "aws rds delete-db-snapshot --db-snapshot-identifier <SNAPSHOT>",
        cloudformation="AWS::RDS::DBInstance StorageEncrypted: true (AWS::RDS::DBCluster StorageEncrypted: "
        "true) so its snapshots are encrypted",
        terraform='resource "aws_db_snapshot_copy" "this" {\n  source_db_snapshot_identifier = "<SNAPSHOT_ARN>"\n'
        '  target_db_snapshot_identifier = "<SNAPSHOT>-encrypted"\n  kms_key_id = aws_kms_key.this.arn\n}',
    ),
    reads=("rds",),
    prowler_id="rds_snapshots_encrypted",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_snapshots(inventory, _judge)


def _judge(snapshot: Snapshot, region: str) -> Result:
    return Result.verdict(
        snapshot.encrypted,
        snapshot.arn,
        region,
        passed=f"the {snapshot.kind} is encrypted",
        failed=f"the {snapshot.kind} is not encrypted",
    )
