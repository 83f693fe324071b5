"""AWS FSBP CloudWatch.17: metric alarms have their actions enabled."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.cloudwatch import MetricAlarm
from cloudwarden.posture.inventory import Inventory, judge_each
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="cloudwatch_alarm_actions_enabled",
    title="CloudWatch metric alarms have their actions enabled",
    service="cloudwatch",
    severity=Severity.HIGH,
    resource_type="AWS::CloudWatch::Alarm",
    risk="An alarm whose actions are disabled still changes state but notifies nobody and triggers "
    "no automation, so the condition it watches goes unanswered.",
    remediation=Remediation(
        summary="Enable the alarm's actions (or delete the alarm if it is no longer wanted).",
        cli="aws cloudwatch enable-alarm-actions --alarm-names <ALARM_NAME>",
        cloudformation="AWS::CloudWatch::Alarm ActionsEnabled: true",
        terraform="aws_cloudwatch_metric_alarm actions_enabled = true",
    ),
    reads=("cloudwatch",),
    prowler_id="cloudwatch_alarm_actions_enabled",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_each(inventory, "cloudwatch", lambda data: data.alarms, _judge, "no metric alarms")


def _judge(alarm: MetricAlarm, region: str) -> Result:
    return Result.verdict(
        alarm.actions_enabled,
        alarm.arn,
        region,
        passed=f"alarm {alarm.name} has its actions enabled",
        failed=f"alarm {alarm.name} has its actions disabled",
    )
