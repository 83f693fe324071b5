"""AWS FSBP KMS.5: KMS keys are not publicly accessible (AWS Config's
kms-key-policy-no-public-access): no key policy statement lets anyone use a customer managed key."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.checks.kms import public_statements
from cloudwarden.posture.collectors.kms import Key, KeyDetails, judge_keys
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="kms_key_not_public",
    title="Customer managed KMS key policies do not let anyone use the key",
    service="kms",
    severity=Severity.CRITICAL,
    resource_type="AWS::KMS::Key",
    risk='A key policy that allows Principal "*" without a condition on the caller\'s account or '
    "organization lets any AWS account decrypt what the key protects, or encrypt with it and "
    "schedule its deletion, according to the actions it grants.",
    remediation=Remediation(
        summary='Name the accounts, roles or services the key serves instead of "*", or narrow the '
        "statement with a condition such as kms:CallerAccount, aws:PrincipalOrgID or "
        "aws:SourceAccount.",
        cli="aws kms put-key-policy --key-id <KEY_ID> --policy-name default --policy file://key-policy.json",
        cloudformation='AWS::KMS::Key KeyPolicy: statements name principals (no "*" without a '
        "kms:CallerAccount or aws:PrincipalOrgID condition)",
        terraform='resource "aws_kms_key" "this" {\n'
        "  policy = data.aws_iam_policy_document.key.json # named principals, or a narrowing condition\n"
        "}",
    ),
    reads=("kms",),
    # Prowler judges enabled keys only; this judges every customer managed key, as AWS Config does.
    prowler_id="kms_key_not_publicly_accessible",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_keys(inventory, _judge, "no customer managed keys")


def _judge(key: Key, details: KeyDetails, region: str) -> Result | None:
    if not details.customer_managed:
        return None
    if isinstance(key.policy, Unknown):
        return Result.error(key.arn, region, key.policy)
    if key.policy is None:
        return Result.error(key.arn, region, "the key policy was not read")
    public = public_statements(key.policy)
    return Result.verdict(
        not public,
        key.arn,
        region,
        passed="the key policy lets no one outside the principals it names use the key",
        failed=f"the key policy is public: {'; '.join(public)}",
    )
