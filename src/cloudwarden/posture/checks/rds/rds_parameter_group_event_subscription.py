"""AWS FSBP RDS.21: an event subscription sends DB parameter groups' configuration changes.

Judged where DB instances run (the parameter groups that matter are theirs), as Prowler does.
"""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors._rds_events import judge_subscriptions
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="rds_parameter_group_event_subscription",
    title="An RDS event subscription sends DB parameter groups' configuration change events",
    service="rds",
    severity=Severity.LOW,
    resource_type="AWS::RDS::EventSubscription",
    risk="A parameter group change can turn off TLS enforcement or auditing on every instance using the "
    "group; without a subscription it goes unnoticed until the next audit.",
    remediation=Remediation(
        summary="Create an enabled RDS event subscription for all DB parameter groups with the "
        "configuration change category, sending to a watched SNS topic.",
        cli="aws rds create-event-subscription --subscription-name rds-parameter-groups --sns-topic-arn "
        '<TOPIC_ARN> --source-type db-parameter-group --event-categories "configuration change" --enabled',
        cloudformation="AWS::RDS::EventSubscription SourceType: db-parameter-group, EventCategories: "
        "[configuration change], SnsTopicArn: <TOPIC_ARN>, Enabled: true",
        terraform='resource "aws_db_event_subscription" "parameter_groups" {\n'
        "  sns_topic   = aws_sns_topic.ops.arn\n"
        '  source_type = "db-parameter-group"\n  event_categories = ["configuration change"]\n}',
    ),
    reads=("rds",),
    prowler_id="rds_instance_event_subscription_parameter_groups",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_subscriptions(
        inventory,
        "db-parameter-group",
        ("configuration change",),
        lambda rds: rds.instances,
        "no DB instances",
    )
