"""AWS FSBP RDS.20: an event subscription sends the critical events of DB instances.

Read as RDS.19 (rds_cluster_critical_event_subscription) is: a region with DB instances and no
enabled subscription to all instances' maintenance, configuration change and failure events
fails.
"""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors._rds_events import judge_subscriptions
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="rds_instance_critical_event_subscription",
    title="An RDS event subscription sends DB instances' maintenance, configuration and failure events",
    service="rds",
    severity=Severity.LOW,
    resource_type="AWS::RDS::EventSubscription",
    risk="Without a subscription, an instance that fails, is reconfigured or is restarted for maintenance "
    "is noticed only when its clients break.",
    remediation=Remediation(
        summary="Create an enabled RDS event subscription for all DB instances with the maintenance, "
        "configuration change and failure categories, sending to a watched SNS topic.",
        cli="aws rds create-event-subscription --subscription-name rds-instance-critical --sns-topic-arn "
        '<TOPIC_ARN> --source-type db-instance --event-categories maintenance "configuration change" '
        "failure --enabled",
        cloudformation="AWS::RDS::EventSubscription SourceType: db-instance, EventCategories: [maintenance, "
        "configuration change, failure], SnsTopicArn: <TOPIC_ARN>, Enabled: true",
        terraform='resource "aws_db_event_subscription" "instance" {\n  sns_topic   = aws_sns_topic.ops.arn\n'
        '  source_type = "db-instance"\n'
        '  event_categories = ["maintenance", "configuration change", "failure"]\n}',
    ),
    reads=("rds",),
    prowler_id="rds_instance_critical_event_subscription",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_subscriptions(
        inventory,
        "db-instance",
        ("maintenance", "configuration change", "failure"),
        lambda rds: rds.instances,
        "no DB instances",
    )
