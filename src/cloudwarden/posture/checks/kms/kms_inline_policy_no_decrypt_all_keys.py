"""AWS FSBP KMS.2: IAM principals' inline policies do not allow decryption actions on all KMS
keys (AWS Config's iam-inline-policy-blocked-kms-actions: kms:Decrypt and kms:ReEncryptFrom)."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.checks.iam import authorization
from cloudwarden.posture.checks.kms import decrypt_on_every_key
from cloudwarden.posture.collectors.iam import Principal
from cloudwarden.posture.inventory import GLOBAL, Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="kms_inline_policy_no_decrypt_all_keys",
    title="IAM users, groups and roles have no inline policy allowing KMS decryption on all keys",
    service="kms",
    severity=Severity.MEDIUM,
    resource_type="AWS::IAM::Policy",  # the inline policies of users, groups and roles
    risk='kms:Decrypt or kms:ReEncryptFrom on Resource "*" in an inline policy lets the user, the '
    "group's members or whoever assumes the role decrypt data under any key whose key policy "
    "defers to IAM; inline policies are also the least reviewed.",
    remediation=Remediation(
        summary="Grant the decryption actions only on the ARNs of the keys needed, preferably in a "
        "customer managed policy that can be reviewed and reused.",
        cli="aws iam put-role-policy --role-name <ROLE> --policy-name <POLICY> --policy-document "
        "file://decrypt-named-keys.json",
        cloudformation='AWS::IAM::Role Policies: kms:Decrypt with Resource: [<key ARNs>], not "*"',
        terraform='resource "aws_iam_role_policy" "this" {\n'
        "  role   = aws_iam_role.app.id\n"
        "  policy = data.aws_iam_policy_document.decrypt_named_keys.json\n"
        "}",
    ),
    reads=("iam",),
    # Prowler's iam_inline_policy_no_full_access_to_kms fails "kms:*" on any resource: another reading.
    prowler_id=None,
)


def run(inventory: Inventory) -> Iterator[Result]:
    found = authorization(inventory)
    if isinstance(found, Result):
        yield found
        return
    holders = [p for p in (*found.users, *found.groups, *found.roles) if p.inline_policies]
    if not holders:
        yield Result.not_applicable(
            inventory.account_arn, GLOBAL, "no IAM user, group or role has inline policies"
        )
        return
    for principal in holders:
        yield _judge(principal)


def _judge(principal: Principal) -> Result:
    documents = dict(principal.inline_documents)
    broad: list[str] = []
    unknown: Unknown | None = None
    for name in principal.inline_policies:
        document = documents.get(name, Unknown(f"inline policy {name}: its document was not read"))
        if isinstance(document, Unknown):
            unknown = document if unknown is None else unknown
            continue
        actions = decrypt_on_every_key(document)
        if actions:
            broad.append(f"inline policy {name} allows {', '.join(actions)}")
    who = f"{principal.kind} {principal.name}"
    if not broad and unknown is not None:
        return Result.error(principal.arn, GLOBAL, unknown)
    return Result.verdict(
        not broad,
        principal.arn,
        GLOBAL,
        passed=f"{who}: no inline policy allows decryption on all KMS keys",
        failed=f"{who}: {'; '.join(broad)} on all KMS keys",
    )
