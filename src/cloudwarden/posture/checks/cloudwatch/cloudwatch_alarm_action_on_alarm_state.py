"""AWS FSBP CloudWatch.15: metric alarms act when they enter the ALARM state."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.cloudwatch import MetricAlarm
from cloudwarden.posture.inventory import Inventory, judge_each
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="cloudwatch_alarm_action_on_alarm_state",
    title="CloudWatch metric alarms have an action for the ALARM state",
    service="cloudwatch",
    severity=Severity.HIGH,
    resource_type="AWS::CloudWatch::Alarm",
    risk="An alarm without an ALARM action only records that something went wrong: no one is "
    "notified and no automated response runs.",
    remediation=Remediation(
        summary="Give the alarm at least one ALARM action, such as an SNS topic that reaches the team.",
        cli="aws cloudwatch put-metric-alarm --alarm-name <ALARM_NAME> <...its current settings...> "
        "--alarm-actions <SNS_TOPIC_ARN>",
        cloudformation="AWS::CloudWatch::Alarm AlarmActions: [<SNS topic ARN>]",
        terraform="aws_cloudwatch_metric_alarm alarm_actions = [aws_sns_topic.alerts.arn]",
    ),
    reads=("cloudwatch",),
    prowler_id="cloudwatch_alarm_actions_alarm_state_configured",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_each(inventory, "cloudwatch", lambda data: data.alarms, _judge, "no metric alarms")


def _judge(alarm: MetricAlarm, region: str) -> Result:
    count = len(alarm.alarm_actions)
    return Result.verdict(
        count > 0,
        alarm.arn,
        region,
        passed=f"alarm {alarm.name} has {count} ALARM action(s)",
        failed=f"alarm {alarm.name} has no action for the ALARM state",
    )
