"""CIS AWS Foundations v3.0 4.6, AWS FSBP CloudWatch.6: a metric filter and an alarm for failed console
sign-ins."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture import cloudwatch_filters as cf
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Result, Severity

CONTROL = cf.Control(
    what="failed console sign-ins",
    records=(
        cf.event(
            eventSource="signin.amazonaws.com",
            eventName="ConsoleLogin",
            eventType="AwsConsoleSignIn",
            errorMessage="Failed authentication",
            responseElements={"ConsoleLogin": "Failure"},
        ),
    ),
    example='{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }',
)

METADATA = CheckMetadata(
    id="cloudwatch_alarm_console_auth_failures",
    title="A metric filter and alarm exist for failed console sign-ins",
    service="cloudwatch",
    severity=Severity.LOW,
    resource_type=cf.RESOURCE_TYPE,
    risk=(
        "Repeated failed console sign-ins point to password guessing against the account's users; an "
        "alarm gives time to lock the target down."
    ),
    remediation=cf.remediation(CONTROL, "ConsoleSigninFailures"),
    reads=cf.READS,
    prowler_id="cloudwatch_log_metric_filter_authentication_failures",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return cf.judge(inventory, CONTROL)
