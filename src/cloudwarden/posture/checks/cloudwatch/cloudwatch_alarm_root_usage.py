"""CIS AWS Foundations v3.0 4.3, AWS FSBP CloudWatch.1: a metric filter and an alarm for use of the
root user."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture import cloudwatch_filters as cf
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Result, Severity

CONTROL = cf.Control(
    what="use of the root user",
    records=(
        cf.event(
            userIdentity={"type": "Root", "principalId": "111122223333"},
            eventSource="iam.amazonaws.com",
            eventName="CreateUser",
        ),
        cf.event(
            userIdentity={"type": "Root", "principalId": "111122223333"},
            eventSource="signin.amazonaws.com",
            eventName="ConsoleLogin",
            eventType="AwsConsoleSignIn",
            responseElements={"ConsoleLogin": "Success"},
        ),
    ),
    example=(
        '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != '
        '"AwsServiceEvent" }'
    ),
)

METADATA = CheckMetadata(
    id="cloudwatch_alarm_root_usage",
    title="A metric filter and alarm exist for use of the root user",
    service="cloudwatch",
    severity=Severity.MEDIUM,
    resource_type=cf.RESOURCE_TYPE,
    risk=(
        "The root user can do anything in the account and cannot be restricted by IAM; any use of it "
        "should be rare, deliberate and seen at once."
    ),
    remediation=cf.remediation(CONTROL, "RootAccountUsage"),
    reads=cf.READS,
    prowler_id="cloudwatch_log_metric_filter_root_usage",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return cf.judge(inventory, CONTROL)
