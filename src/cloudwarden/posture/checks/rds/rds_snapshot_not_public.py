from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.rds import Snapshot, judge_snapshots
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="rds_snapshot_not_public",
    title="RDS snapshots and cluster snapshots are not public",
    service="rds",
    severity=Severity.CRITICAL,
    resource_type="AWS::RDS::DBSnapshot",
    risk="Any AWS account in the world can restore a public snapshot into a database of its own and "
    "read every row it contains.",
    remediation=Remediation(
        summary="Remove the 'all' value from the snapshot's restore attribute; share with named "
        "accounts only when needed.",
        cli="aws rds modify-db-snapshot-attribute --db-snapshot-identifier <SNAPSHOT> --attribute-name restore "
        "--values-to-remove all  # cluster snapshots: aws rds modify-db-cluster-snapshot-attribute "
        "--db-cluster-snapshot-identifier <SNAPSHOT> --attribute-name restore --values-to-remove all",
        cloudformation="CloudFormation does not manage snapshot sharing; remove it with the CLI.",
        terraform='resource "aws_db_snapshot" "this" {\n  shared_accounts = [] # never "all"\n}',
    ),
    reads=("rds",),
    prowler_id="rds_snapshots_public_access",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_snapshots(inventory, _judge)


def _judge(snapshot: Snapshot, region: str) -> Result:
    shared = snapshot.restorable_by
    if isinstance(shared, Unknown):
        return Result.error(snapshot.arn, region, shared)
    return Result.verdict(
        "all" not in shared,
        snapshot.arn,
        region,
        passed=f"the {snapshot.kind} is not public",
        failed=f"the {snapshot.kind} is public: any AWS account can restore it",
    )
