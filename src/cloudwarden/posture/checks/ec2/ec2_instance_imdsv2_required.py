from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.ec2 import Instance, arn
from cloudwarden.posture.inventory import Inventory, judge_each
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="ec2_instance_imdsv2_required",
    title="EC2 instances require IMDSv2 (session tokens) for instance metadata",
    service="ec2",
    severity=Severity.HIGH,
    resource_type="AWS::EC2::Instance",
    risk="With IMDSv1 allowed, one server-side request forgery or open proxy on the instance is "
    "enough to read its role's temporary credentials from the metadata service.",
    remediation=Remediation(
        summary="Set the instance's metadata options to HttpTokens=required (after checking its "
        "software uses an SDK that speaks IMDSv2), and make it the region's default.",
        cli="aws ec2 modify-instance-metadata-options --instance-id <INSTANCE> --http-tokens required "
        "--http-endpoint enabled && aws ec2 modify-instance-metadata-defaults --http-tokens required",
        cloudformation="AWS::EC2::LaunchTemplate LaunchTemplateData.MetadataOptions.HttpTokens: required "
        "(referenced by the instance's LaunchTemplate)",
        terraform='resource "aws_instance" "this" {\n  metadata_options {\n    http_tokens = "required"\n  }\n}',
    ),
    reads=("ec2",),
    prowler_id="ec2_instance_imdsv2_enabled",
)


def run(inventory: Inventory) -> Iterator[Result]:
    def judge(instance: Instance, region: str) -> Result:
        resource = arn(inventory, region, f"instance/{instance.instance_id}")
        if instance.http_endpoint == "disabled":
            return Result.passed(resource, region, "the instance metadata service is disabled")
        return Result.verdict(
            instance.http_tokens == "required",
            resource,
            region,
            passed="the instance requires IMDSv2 (HttpTokens required)",
            failed=f"the instance allows IMDSv1 (HttpTokens {instance.http_tokens})",
        )

    return judge_each(inventory, "ec2", lambda d: d.instances, judge, "no EC2 instances")
