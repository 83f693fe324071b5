"""AWS FSBP KMS.1: IAM customer managed policies do not allow decryption actions on all KMS keys
(AWS Config's iam-customer-policy-blocked-kms-actions: blockedActionsPatterns kms:Decrypt and
kms:ReEncryptFrom, excludePermissionBoundaryPolicy true). Attached and unattached policies alike."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.checks.iam import judge_customer_policies
from cloudwarden.posture.checks.kms import decrypt_on_every_key
from cloudwarden.posture.collectors.iam import ManagedPolicy
from cloudwarden.posture.inventory import GLOBAL, Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="kms_customer_policy_no_decrypt_all_keys",
    title="IAM customer managed policies do not allow KMS decryption on all keys",
    service="kms",
    severity=Severity.MEDIUM,
    resource_type="AWS::IAM::ManagedPolicy",
    risk='kms:Decrypt or kms:ReEncryptFrom on Resource "*" lets every holder of the policy decrypt '
    "data under any key whose key policy defers to IAM, including keys of data they have no "
    "business reading.",
    remediation=Remediation(
        summary="Grant the decryption actions only on the ARNs of the keys the holders need.",
        cli="aws iam create-policy-version --policy-arn <POLICY_ARN> --policy-document "
        "file://decrypt-named-keys.json --set-as-default",
        cloudformation="AWS::IAM::ManagedPolicy PolicyDocument: kms:Decrypt with Resource: [<key ARNs>], "
        'not "*"',
        terraform='data "aws_iam_policy_document" "this" {\n'
        "  statement {\n"
        '    actions   = ["kms:Decrypt"]\n'
        "    resources = [aws_kms_key.app.arn]\n"
        "  }\n"
        "}",
    ),
    reads=("iam",),
    # Prowler's iam_policy_no_full_access_to_kms fails "kms:*" on any resource: another reading.
    prowler_id=None,
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_customer_policies(inventory, _judge)


def _judge(policy: ManagedPolicy) -> Result:
    if isinstance(policy.document, Unknown):  # judge_customer_policies reports it first
        return Result.error(policy.arn, GLOBAL, policy.document)
    actions = decrypt_on_every_key(policy.document)
    return Result.verdict(
        not actions,
        policy.arn,
        GLOBAL,
        passed=f"policy {policy.name} allows no decryption action on all KMS keys",
        failed=f"policy {policy.name} allows {', '.join(actions)} on all KMS keys",
    )
