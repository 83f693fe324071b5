from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.s3 import Bucket, S3Data, judge_buckets
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="s3_bucket_mfa_delete_enabled",
    title="S3 buckets require MFA to delete object versions or suspend versioning",
    service="s3",
    severity=Severity.MEDIUM,
    resource_type="AWS::S3::Bucket",
    risk="Without MFA Delete, anyone holding credentials with delete rights can permanently erase "
    "object versions or switch versioning off, so stolen keys are enough to destroy the data.",
    remediation=Remediation(
        summary="As the root user with its MFA device, enable versioning with MFA Delete on the "
        "bucket (only the CLI or API can set it).",
        cli="aws s3api put-bucket-versioning --bucket <BUCKET> "
        "--versioning-configuration Status=Enabled,MFADelete=Enabled "
        '--mfa "arn:aws:iam::<ACCOUNT_ID>:mfa/<ROOT_MFA_DEVICE> <CODE>"  # with root credentials',
        cloudformation="CloudFormation cannot set MFA Delete; the root user sets it with the CLI "
        "(AWS::S3::Bucket VersioningConfiguration: {Status: Enabled} keeps versioning on).",
        terraform='resource "aws_s3_bucket_versioning" "this" {\n  bucket = aws_s3_bucket.this.id\n'
        '  mfa    = "<ROOT_MFA_SERIAL> <CODE>"\n  versioning_configuration {\n    status     = "Enabled"\n'
        '    mfa_delete = "Enabled"\n  }\n}',
    ),
    reads=("s3",),
    prowler_id="s3_bucket_no_mfa_delete",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_buckets(inventory, _judge)


def _judge(bucket: Bucket, s3: S3Data, arn: str) -> Result:
    versioning = bucket.versioning
    if isinstance(versioning, Unknown):
        return Result.error(arn, bucket.region, versioning)
    return Result.verdict(
        versioning.mfa_delete,
        arn,
        bucket.region,
        passed="MFA Delete is enabled on the bucket",
        failed="MFA Delete is not enabled on the bucket",
    )
