from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.ec2 import Volume, arn
from cloudwarden.posture.inventory import Inventory, judge_each
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="ec2_ebs_attached_volume_encrypted",
    title="EBS volumes attached to instances are encrypted",
    service="ec2",
    severity=Severity.MEDIUM,
    resource_type="AWS::EC2::Volume",
    risk="An unencrypted volume keeps its data, and every snapshot taken of it, in clear at rest; "
    "a shared or leaked snapshot is readable by whoever restores it.",
    remediation=Remediation(
        summary="Encryption cannot be switched on for an existing volume: snapshot it, copy the "
        "snapshot with encryption, create a volume from the copy and swap it in.",
        cli="aws ec2 create-snapshot --volume-id <VOLUME> && aws ec2 copy-snapshot --source-region <REGION> "
        "--source-snapshot-id <SNAPSHOT> --encrypted && aws ec2 create-volume --snapshot-id <COPY> "
        "--availability-zone <AZ> --encrypted",
        cloudformation="AWS::EC2::Volume Encrypted: true (and BlockDeviceMappings[].Ebs.Encrypted: true "
        "on AWS::EC2::Instance)",
        terraform='resource "aws_ebs_volume" "this" {\n  encrypted = true\n}',
    ),
    reads=("ec2",),
    prowler_id="ec2_ebs_volume_encryption",
)


def run(inventory: Inventory) -> Iterator[Result]:
    def judge(volume: Volume, region: str) -> Result | None:
        if not volume.attached_to:
            return None  # the control covers volumes in use
        return Result.verdict(
            volume.encrypted,
            arn(inventory, region, f"volume/{volume.volume_id}"),
            region,
            passed=f"the volume attached to {', '.join(volume.attached_to)} is encrypted",
            failed=f"the volume attached to {', '.join(volume.attached_to)} is not encrypted",
        )

    return judge_each(inventory, "ec2", lambda d: d.volumes, judge, "no attached EBS volumes")
