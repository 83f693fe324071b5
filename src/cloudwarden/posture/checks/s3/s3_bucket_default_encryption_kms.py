from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.s3 import Bucket, S3Data, judge_buckets
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")

METADATA = CheckMetadata(
    id="s3_bucket_default_encryption_kms",
    title="S3 buckets encrypt new objects with AWS KMS keys by default",
    service="s3",
    severity=Severity.MEDIUM,
    resource_type="AWS::S3::Bucket",
    risk="With S3-managed keys (SSE-S3) anyone allowed to read an object reads it decrypted; a KMS "
    "key adds a second, separately granted and logged permission (kms:Decrypt) in front of the data.",
    remediation=Remediation(
        summary="Set the bucket's default encryption to SSE-KMS with a customer managed key and "
        "enable S3 Bucket Keys to keep KMS request costs low.",
        cli="aws s3api put-bucket-encryption --bucket <BUCKET> --server-side-encryption-configuration "
        '\'{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms",'
        '"KMSMasterKeyID":"<KEY_ARN>"},"BucketKeyEnabled":true}]}\'',
        cloudformation="AWS::S3::Bucket BucketEncryption: {ServerSideEncryptionConfiguration: "
        "[{ServerSideEncryptionByDefault: {SSEAlgorithm: 'aws:kms', KMSMasterKeyID: <KEY_ARN>}, "
        "BucketKeyEnabled: true}]}",
        terraform='resource "aws_s3_bucket_server_side_encryption_configuration" "this" {\n'
        "  bucket = aws_s3_bucket.this.id\n  rule {\n    apply_server_side_encryption_by_default {\n"
        '      sse_algorithm     = "aws:kms"\n      kms_master_key_id = aws_kms_key.this.arn\n    }\n'
        "    bucket_key_enabled = true\n  }\n}",
    ),
    reads=("s3",),
    prowler_id="s3_bucket_kms_encryption",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_buckets(inventory, _judge)


def _judge(bucket: Bucket, s3: S3Data, arn: str) -> Result:
    encryption = bucket.encryption
    if isinstance(encryption, Unknown):
        return Result.error(arn, bucket.region, encryption)
    if encryption is None:
        return Result.failed(arn, bucket.region, "the bucket has no default encryption configuration")
    return Result.verdict(
        encryption.algorithm in KMS_ALGORITHMS,
        arn,
        bucket.region,
        passed=f"new objects are encrypted with {encryption.algorithm} by default",
        failed=f"new objects are encrypted with {encryption.algorithm}, not an AWS KMS key",
    )
