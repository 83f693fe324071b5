from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.kms import PENDING_DELETION_STATES, Key, KeyDetails, judge_keys
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="kms_cmk_not_pending_deletion",
    title="Customer managed KMS keys are not scheduled for deletion",
    service="kms",
    severity=Severity.HIGH,
    resource_type="AWS::KMS::Key",
    risk="When the waiting period ends the key is destroyed for good, and every snapshot, object, "
    "secret or volume encrypted under it can never be decrypted again.",
    remediation=Remediation(
        summary="If the deletion was not intended, cancel it during the waiting period and re-enable "
        "the key; confirm nothing still uses a key before scheduling its deletion.",
        cli="aws kms cancel-key-deletion --key-id <KEY_ID> && aws kms enable-key --key-id <KEY_ID>",
        cloudformation="Keep the AWS::KMS::Key in its stack with DeletionPolicy: Retain and "
        "PendingWindowInDays: 30, so removing it from a template does not schedule its deletion.",
        terraform='resource "aws_kms_key" "this" {\n  deletion_window_in_days = 30\n'
        "  lifecycle {\n    prevent_destroy = true\n  }\n}",
    ),
    reads=("kms",),
    prowler_id="kms_cmk_not_deleted_unintentionally",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_keys(inventory, _judge, "no customer managed keys")


def _judge(key: Key, details: KeyDetails, region: str) -> Result | None:
    if not details.customer_managed:
        return None
    when = f" on {details.deletion_date:%Y-%m-%d}" if details.deletion_date else ""
    return Result.verdict(
        details.state not in PENDING_DELETION_STATES,
        key.arn,
        region,
        passed=f"the key is not scheduled for deletion (state {details.state})",
        failed=f"the key is scheduled for deletion{when} (state {details.state})",
    )
