"""CIS AWS Foundations v3.0 4.2, AWS FSBP CloudWatch.3: a metric filter and an alarm for console sign-
ins without MFA."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture import cloudwatch_filters as cf
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Result, Severity

CONTROL = cf.Control(
    what="console sign-ins without MFA",
    records=(
        cf.event(
            eventSource="signin.amazonaws.com",
            eventName="ConsoleLogin",
            eventType="AwsConsoleSignIn",
            additionalEventData={"MFAUsed": "No"},
            responseElements={"ConsoleLogin": "Success"},
        ),
    ),
    example=(
        '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && '
        '($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }'
    ),
)

METADATA = CheckMetadata(
    id="cloudwatch_alarm_console_sign_in_without_mfa",
    title="A metric filter and alarm exist for console sign-ins without MFA",
    service="cloudwatch",
    severity=Severity.MEDIUM,
    resource_type=cf.RESOURCE_TYPE,
    risk=(
        "A console sign-in with a password alone bypasses the second factor the account relies on; an "
        "alarm reveals users without MFA and sign-ins with a stolen password."
    ),
    remediation=cf.remediation(CONTROL, "ConsoleSignInWithoutMFA"),
    reads=cf.READS,
    prowler_id="cloudwatch_log_metric_filter_sign_in_without_mfa",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return cf.judge(inventory, CONTROL)
