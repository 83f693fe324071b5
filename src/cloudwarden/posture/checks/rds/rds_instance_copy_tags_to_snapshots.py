from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.rds import DbInstance, judge_instances
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="rds_instance_copy_tags_to_snapshots",
    title="RDS DB instances copy their tags to their snapshots",
    service="rds",
    severity=Severity.LOW,
    resource_type="AWS::RDS::DBInstance",
    risk="Snapshots without the instance's tags escape tag-based access policies, ownership and data "
    "classification, so they are harder to govern, protect and clean up.",
    remediation=Remediation(
        summary="Enable copying tags to snapshots on the instance.",
        cli="aws rds modify-db-instance --db-instance-identifier <DB> --copy-tags-to-snapshot --apply-immediately",
        cloudformation="AWS::RDS::DBInstance CopyTagsToSnapshot: true",
        terraform='resource "aws_db_instance" "this" {\n  copy_tags_to_snapshot = true\n}',
    ),
    reads=("rds",),
    prowler_id="rds_instance_copy_tags_to_snapshots",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_instances(inventory, _judge, "no DB instances outside clusters")


def _judge(instance: DbInstance, region: str) -> Result | None:
    if instance.cluster:  # snapshots of clustered instances are the cluster's
        return None
    return Result.verdict(
        instance.copy_tags_to_snapshot,
        instance.arn,
        region,
        passed="tags are copied to the instance's snapshots",
        failed="tags are not copied to the instance's snapshots",
    )
