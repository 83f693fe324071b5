"""After AssumeRole: which evidence sources can this role actually read?

One cheap read per source. A denied call names the exact IAM action; a "not found" answer
proves the permission exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cloudwarden.aws.session import AssumedSession, CallLog

DENIED_CODES = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthorizationError",
    "Forbidden",
}
ALLOWED_ERRORS = {"ResourceNotFoundException"}


@dataclass(frozen=True)
class ProbeResult:
    source: str
    action: str
    usable: bool
    detail: str


def _checks() -> list[tuple[str, str, str, Any]]:
    now = datetime.now(UTC)
    return [
        ("alarms", "cloudwatch", "cloudwatch:DescribeAlarms", lambda c: c.describe_alarms(MaxRecords=1)),
        (
            "alarm-history",
            "cloudwatch",
            "cloudwatch:DescribeAlarmHistory",
            lambda c: c.describe_alarm_history(HistoryItemType="StateUpdate", MaxRecords=1),
        ),
        (
            "metrics",
            "cloudwatch",
            "cloudwatch:GetMetricData",
            lambda c: c.get_metric_data(
                MetricDataQueries=[
                    {
                        "Id": "probe",
                        "MetricStat": {
                            "Metric": {"Namespace": "AWS/EC2", "MetricName": "CPUUtilization"},
                            "Period": 300,
                            "Stat": "Average",
                        },
                    }
                ],
                StartTime=now - timedelta(minutes=10),
                EndTime=now,
            ),
        ),
        (
            "logs",
            "logs",
            "logs:FilterLogEvents",
            lambda c: c.filter_log_events(logGroupName="/cloudwarden/permission-probe", limit=1),
        ),
        ("cloudtrail", "cloudtrail", "cloudtrail:LookupEvents", lambda c: c.lookup_events(MaxResults=1)),
        ("ecs", "ecs", "ecs:ListClusters", lambda c: c.list_clusters(maxResults=1)),
        ("rds", "rds", "rds:DescribeDBInstances", lambda c: c.describe_db_instances(MaxRecords=20)),
        ("ec2", "ec2", "ec2:DescribeSecurityGroups", lambda c: c.describe_security_groups(MaxResults=5)),
        (
            "ec2-status",
            "ec2",
            "ec2:DescribeInstanceStatus",
            lambda c: c.describe_instance_status(MaxResults=5),
        ),
        (
            "elbv2",
            "elbv2",
            "elasticloadbalancing:DescribeTargetGroups",
            lambda c: c.describe_target_groups(PageSize=1),
        ),
        ("lambda", "lambda", "lambda:ListFunctions", lambda c: c.list_functions(MaxItems=1)),
        ("findings", "guardduty", "guardduty:ListDetectors", lambda c: c.list_detectors(MaxResults=1)),
        (
            "autoscaling",
            "application-autoscaling",
            "application-autoscaling:DescribeScalableTargets",
            lambda c: c.describe_scalable_targets(ServiceNamespace="ecs", MaxResults=1),
        ),
    ]


def probe(session: AssumedSession, call_log: CallLog | None = None) -> list[ProbeResult]:
    results = []
    clients: dict[str, Any] = {}
    for source, service, action, call in _checks():
        client = clients.setdefault(service, session.client(service, call_log=call_log))
        try:
            call(client)
            results.append(ProbeResult(source, action, True, "ok"))
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in ALLOWED_ERRORS:
                results.append(ProbeResult(source, action, True, "ok"))
            elif code in DENIED_CODES:
                results.append(ProbeResult(source, action, False, f"denied: {action}"))
            else:
                results.append(ProbeResult(source, action, False, f"{code or 'error'} calling {action}"))
        except BotoCoreError as exc:
            results.append(ProbeResult(source, action, False, f"{type(exc).__name__} calling {action}"))
    return results
