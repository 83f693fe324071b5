from __future__ import annotations

from collections.abc import Iterator
from fnmatch import fnmatchcase
from typing import Any

from cloudwarden.posture.collectors.s3 import (
    Bucket,
    S3Data,
    as_list,
    judge_buckets,
    matches_action,
    principal_is_everyone,
    statements,
)
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="s3_bucket_secure_transport_policy",
    title="S3 bucket policies deny requests that do not use HTTPS",
    service="s3",
    severity=Severity.MEDIUM,
    resource_type="AWS::S3::Bucket",
    risk="S3 accepts plain HTTP unless the bucket policy refuses it; objects and credentials-signed "
    "requests sent in clear text can be read or altered on the network path.",
    remediation=Remediation(
        summary="Add a bucket policy statement that denies every S3 action on the bucket and its "
        "objects to every principal when aws:SecureTransport is false.",
        cli='aws s3api put-bucket-policy --bucket <BUCKET> --policy \'{"Version":"2012-10-17",'
        '"Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*",'
        '"Resource":["arn:aws:s3:::<BUCKET>","arn:aws:s3:::<BUCKET>/*"],'
        '"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}\'  # merge into any existing policy',
        cloudformation="AWS::S3::BucketPolicy PolicyDocument statement: {Effect: Deny, Principal: '*', "
        "Action: 's3:*', Resource: [bucket ARN, bucket ARN/*], Condition: {Bool: "
        "{'aws:SecureTransport': 'false'}}}",
        terraform='aws_s3_bucket_policy with a statement: Effect = "Deny", Principal = "*", Action = '
        '"s3:*", Resource = [arn, "${arn}/*"], Condition = { Bool = { "aws:SecureTransport" = "false" } }',
    ),
    reads=("s3",),
    prowler_id="s3_bucket_secure_transport_policy",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_buckets(inventory, _judge)


def _judge(bucket: Bucket, s3: S3Data, arn: str) -> Result:
    policy = bucket.policy
    if isinstance(policy, Unknown):
        return Result.error(arn, bucket.region, policy)
    if policy is None:
        return Result.failed(
            arn, bucket.region, "the bucket has no policy, so plain HTTP requests are accepted"
        )
    ok = any(_denies_http(statement, arn) for statement in statements(policy))
    return Result.verdict(
        ok,
        arn,
        bucket.region,
        passed="the bucket policy denies every request made without HTTPS",
        failed="the bucket policy has no Deny of s3:* for everyone when aws:SecureTransport is false",
    )


def _denies_http(statement: dict[str, Any], arn: str) -> bool:
    if (
        statement.get("Effect") != "Deny"
        or "NotPrincipal" in statement
        or not principal_is_everyone(statement)
    ):
        return False
    if "NotAction" in statement or not matches_action(statement, "s3:anyaction"):  # s3:* or *
        return False
    resources = as_list(statement.get("Resource"))
    if not any(fnmatchcase(f"{arn}/object", str(r)) for r in resources):
        return False
    condition = statement.get("Condition")
    if not isinstance(condition, dict):
        return False
    for operator in ("Bool", "BoolIfExists"):
        block = condition.get(operator)
        if isinstance(block, dict):
            for key, values in block.items():
                if key.lower() == "aws:securetransport" and any(
                    str(v).lower() == "false" for v in as_list(values)
                ):
                    return True
    return False
