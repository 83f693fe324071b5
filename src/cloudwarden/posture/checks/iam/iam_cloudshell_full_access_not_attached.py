"""CIS 1.22: the AWSCloudShellFullAccess policy is attached to no user, group or role."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.checks.iam import authorization, managed_policy_arn
from cloudwarden.posture.inventory import GLOBAL, Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

POLICY = "AWSCloudShellFullAccess"
METADATA = CheckMetadata(
    id="iam_cloudshell_full_access_not_attached",
    title="The AWSCloudShellFullAccess policy is not attached to anyone",
    service="iam",
    severity=Severity.MEDIUM,
    resource_type="AWS::IAM::ManagedPolicy",
    risk="Full CloudShell access includes uploading and downloading files and a shell with internet "
    "access, an easy channel to move data out of the account past other controls.",
    remediation=Remediation(
        summary="Detach AWSCloudShellFullAccess and grant a policy allowing only the CloudShell "
        "actions needed (deny cloudshell:GetFileUploadUrls and cloudshell:GetFileDownloadUrls).",
        cli="aws iam detach-role-policy --role-name <ROLE> --policy-arn "
        "arn:aws:iam::aws:policy/AWSCloudShellFullAccess",
        cloudformation="Remove arn:aws:iam::aws:policy/AWSCloudShellFullAccess from ManagedPolicyArns "
        "of the AWS::IAM::Role, User or Group.",
        terraform="Remove the aws_iam_*_policy_attachment whose policy_arn is "
        "arn:aws:iam::aws:policy/AWSCloudShellFullAccess.",
    ),
    reads=("iam",),
    prowler_id="iam_policy_cloudshell_admin_not_attached",
)


def run(inventory: Inventory) -> Iterator[Result]:
    found = authorization(inventory)
    arn = managed_policy_arn(inventory, POLICY)
    if isinstance(found, Result):
        yield found
        return
    holders = [f"{p.kind} {p.name}" for p in found.attached_to(arn)]
    yield Result.verdict(
        not holders,
        arn,
        GLOBAL,
        passed=f"{POLICY} is not attached",
        failed=f"{POLICY} is attached to {', '.join(holders)}",
    )
