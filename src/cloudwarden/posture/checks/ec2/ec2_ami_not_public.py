from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.ec2 import Image, arn
from cloudwarden.posture.inventory import Inventory, judge_each
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="ec2_ami_not_public",
    title="AMIs owned by the account are not public",
    service="ec2",
    severity=Severity.HIGH,
    resource_type="AWS::EC2::Image",
    risk="Anyone can launch a public AMI and read its disks: application code, configuration and "
    "any secret baked into the image.",
    remediation=Remediation(
        summary="Remove the 'all' group from the AMI's launch permissions and block public sharing "
        "of AMIs in the region.",
        cli='aws ec2 modify-image-attribute --image-id <AMI> --launch-permission "Remove=[{Group=all}]" '
        "&& aws ec2 enable-image-block-public-access --image-block-public-access-state block-new-sharing",
        cloudformation="CloudFormation does not manage AMI launch permissions; remove the public grant "
        "with the CLI.",
        terraform='# delete any aws_ami_launch_permission with group = "all", and:\n'
        'resource "aws_ec2_image_block_public_access" "this" {\n  state = "block-new-sharing"\n}',
    ),
    reads=("ec2",),
    prowler_id="ec2_ami_public",
)


def run(inventory: Inventory) -> Iterator[Result]:
    def judge(image: Image, region: str) -> Result:
        return Result.verdict(
            not image.public,
            arn(inventory, region, f"image/{image.image_id}", account=False),
            region,
            passed=f"the AMI {image.name or image.image_id} is private",
            failed=f"the AMI {image.name or image.image_id} is public: anyone can launch it",
        )

    return judge_each(inventory, "ec2", lambda d: d.images, judge, "no AMIs owned by the account")
