"""CIS AWS Foundations v3.0 4.1, AWS FSBP CloudWatch.2: a metric filter and an alarm for unauthorized
API calls."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture import cloudwatch_filters as cf
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Result, Severity

CONTROL = cf.Control(
    what="unauthorized API calls",
    records=(
        cf.event(
            eventSource="ec2.amazonaws.com",
            eventName="RunInstances",
            errorCode="Client.UnauthorizedOperation",
        ),
        cf.event(eventSource="s3.amazonaws.com", eventName="GetObject", errorCode="AccessDenied"),
        cf.event(eventSource="kms.amazonaws.com", eventName="Decrypt", errorCode="AccessDeniedException"),
    ),
    example=(
        '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") && '
        '($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }'
    ),
)

METADATA = CheckMetadata(
    id="cloudwatch_alarm_unauthorized_api_calls",
    title="A metric filter and alarm exist for unauthorized API calls",
    service="cloudwatch",
    severity=Severity.MEDIUM,
    resource_type=cf.RESOURCE_TYPE,
    risk=(
        "A burst of denied API calls is often the first sign of a stolen credential probing what it can "
        "do, or of a misconfigured application; without an alarm nobody notices it."
    ),
    remediation=cf.remediation(CONTROL, "UnauthorizedAPICalls"),
    reads=cf.READS,
    prowler_id="cloudwatch_log_metric_filter_unauthorized_api_calls",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return cf.judge(inventory, CONTROL)
