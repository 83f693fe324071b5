"""CIS AWS Foundations v3.0 4.7, AWS FSBP CloudWatch.7: a metric filter and an alarm for disabled or
scheduled deletion of customer managed KMS keys."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture import cloudwatch_filters as cf
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Result, Severity

CALLS = (
    "DisableKey",
    "ScheduleKeyDeletion",
)
CONTROL = cf.calls_control(
    "disabled or scheduled deletion of customer managed KMS keys", "kms.amazonaws.com", CALLS
)

METADATA = CheckMetadata(
    id="cloudwatch_alarm_kms_key_disable_or_deletion",
    title="A metric filter and alarm exist for disabled or scheduled deletion of customer managed KMS keys",
    service="cloudwatch",
    severity=Severity.MEDIUM,
    resource_type=cf.RESOURCE_TYPE,
    risk=(
        "Data encrypted under a disabled or deleted KMS key can no longer be decrypted; an alarm leaves "
        "time to cancel a deletion before the data is lost for good."
    ),
    remediation=cf.remediation(CONTROL, "DisableOrDeleteCMK"),
    reads=cf.READS,
    prowler_id="cloudwatch_log_metric_filter_disable_or_scheduled_deletion_of_kms_cmk",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return cf.judge(inventory, CONTROL)
