from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.ec2 import Snapshot, arn
from cloudwarden.posture.inventory import Inventory, judge_each
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="ec2_ebs_snapshot_not_public",
    title="EBS snapshots are not public",
    service="ec2",
    severity=Severity.CRITICAL,
    resource_type="AWS::EC2::Snapshot",
    risk="Any AWS account can create a volume from a public snapshot and read the disk it copies: "
    "files, databases, keys and credentials included.",
    remediation=Remediation(
        summary="Remove the 'all' group from the snapshot's createVolumePermission and share with "
        "named accounts only; block public sharing for the region.",
        cli="aws ec2 modify-snapshot-attribute --snapshot-id <SNAPSHOT> --attribute createVolumePermission "
        "--operation-type remove --group-names all && aws ec2 enable-snapshot-block-public-access "
        "--state block-all-sharing",
        cloudformation="CloudFormation does not manage snapshot sharing; remove the public grant with the CLI.",
        terraform='resource "aws_ebs_snapshot_block_public_access" "this" {\n  state = "block-all-sharing"\n}',
    ),
    reads=("ec2",),
    prowler_id="ec2_ebs_public_snapshot",
)


def run(inventory: Inventory) -> Iterator[Result]:
    def judge(snapshot: Snapshot, region: str) -> Result:
        resource = arn(inventory, region, f"snapshot/{snapshot.snapshot_id}", account=False)
        if isinstance(snapshot.public, Unknown):
            return Result.error(resource, region, snapshot.public)
        return Result.verdict(
            not snapshot.public,
            resource,
            region,
            passed="the snapshot is not public",
            failed="the snapshot is public: any AWS account can create a volume from it",
        )

    return judge_each(inventory, "ec2", lambda d: d.snapshots, judge, "no EBS snapshots owned by the account")
