from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.s3 import (
    Bucket,
    S3Data,
    judge_buckets,
    matches_action,
    narrowed_by_condition,
    principal_accounts,
    principal_is_everyone,
    statements,
)
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

# The actions AWS Security Hub (S3.6) forbids granting to other accounts: they change who can
# read the bucket or how it is protected.
SENSITIVE_ACTIONS = (
    "s3:DeleteBucketPolicy",
    "s3:PutBucketAcl",
    "s3:PutBucketPolicy",
    "s3:PutEncryptionConfiguration",
    "s3:PutObjectAcl",
)

METADATA = CheckMetadata(
    id="s3_bucket_cross_account_sensitive_actions",
    title="S3 bucket policies do not let other accounts change the bucket's access or encryption",
    service="s3",
    severity=Severity.HIGH,
    resource_type="AWS::S3::Bucket",
    risk="Another account allowed to rewrite the bucket policy, its ACLs or its encryption can grant "
    "itself or the public any access, or lock the owner out of its own data.",
    remediation=Remediation(
        summary="Remove s3:DeleteBucketPolicy, s3:PutBucketAcl, s3:PutBucketPolicy, "
        "s3:PutEncryptionConfiguration and s3:PutObjectAcl from statements granted to other accounts.",
        cli="aws s3api get-bucket-policy --bucket <BUCKET> --query Policy --output text > policy.json  "
        "# edit, then: aws s3api put-bucket-policy --bucket <BUCKET> --policy file://policy.json",
        cloudformation="AWS::S3::BucketPolicy PolicyDocument: grant other accounts' principals only "
        "object or listing actions, none of the five sensitive ones",
        terraform="aws_s3_bucket_policy policy: no statement granting another account's principals "
        "s3:PutBucketPolicy, s3:DeleteBucketPolicy, s3:PutBucketAcl, s3:PutObjectAcl or "
        "s3:PutEncryptionConfiguration",
    ),
    reads=("s3",),
    prowler_id="s3_bucket_cross_account_access",
)


def run(inventory: Inventory) -> Iterator[Result]:
    own = inventory.account_id
    return judge_buckets(inventory, lambda bucket, s3, arn: _judge(bucket, s3, arn, own))


def _judge(bucket: Bucket, s3: S3Data, arn: str, own: str) -> Result:
    policy = bucket.policy
    if isinstance(policy, Unknown):
        return Result.error(arn, bucket.region, policy)
    if policy is None:
        return Result.passed(arn, bucket.region, "the bucket has no policy granting other accounts anything")
    granted: dict[str, set[str]] = {}
    for statement in statements(policy):
        if statement.get("Effect") != "Allow":
            continue
        if principal_is_everyone(statement):
            if narrowed_by_condition(statement):
                continue
            others = {"everyone"}
        else:
            others = principal_accounts(statement) - {own}
        for action in SENSITIVE_ACTIONS:
            if others and matches_action(statement, action):
                granted.setdefault(action, set()).update(others)
    detail = "; ".join(f"{action} to {', '.join(sorted(who))}" for action, who in sorted(granted.items()))
    return Result.verdict(
        not granted,
        arn,
        bucket.region,
        passed="the bucket policy grants no other account a sensitive bucket action",
        failed=f"the bucket policy grants other accounts: {detail}",
    )
