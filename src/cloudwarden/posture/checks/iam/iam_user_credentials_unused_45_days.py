"""CIS 1.12, AWS FSBP IAM.22: IAM user credentials unused for 45 days or more are disabled."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.checks.iam import judge_stale_users
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

UNUSED_DAYS = 45
METADATA = CheckMetadata(
    id="iam_user_credentials_unused_45_days",
    title="IAM users have no password or active access key unused for 45 days",
    service="iam",
    severity=Severity.MEDIUM,
    resource_type="AWS::IAM::User",
    risk="A password or access key nobody has used for weeks belongs to someone who left or to a "
    "forgotten script; it is still valid, nobody would notice it being used, and it is what "
    "attackers find in old laptops, repositories and backups.",
    remediation=Remediation(
        summary="Deactivate (then delete) access keys and remove console passwords that have not "
        "been used for 45 days; give them back only when asked.",
        cli="aws iam update-access-key --user-name <USER> --access-key-id <KEY_ID> --status Inactive "
        "&& aws iam delete-login-profile --user-name <USER>",
        cloudformation="Set Status: Inactive on the AWS::IAM::AccessKey, and remove LoginProfile from "
        "the AWS::IAM::User.",
        terraform='aws_iam_access_key status = "Inactive"; remove the aws_iam_user_login_profile.',
    ),
    reads=("iam",),
    prowler_id="iam_user_accesskey_unused",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_stale_users(inventory, UNUSED_DAYS)
