"""AWS FSBP RDS.22: an event subscription sends DB security groups' configuration changes and
failures.

Judged where DB instances run, as Prowler does. (DB security groups are the EC2-Classic kind; the
control still asks for the subscription.)
"""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors._rds_events import judge_subscriptions
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="rds_security_group_event_subscription",
    title="An RDS event subscription sends DB security groups' configuration change and failure events",
    service="rds",
    severity=Severity.LOW,
    resource_type="AWS::RDS::EventSubscription",
    risk="A DB security group change decides who can reach the databases behind it; without a "
    "subscription a widened rule is not reported when it is made.",
    remediation=Remediation(
        summary="Create an enabled RDS event subscription for all DB security groups with the "
        "configuration change and failure categories, sending to a watched SNS topic.",
        cli="aws rds create-event-subscription --subscription-name rds-security-groups --sns-topic-arn "
        '<TOPIC_ARN> --source-type db-security-group --event-categories "configuration change" failure '
        "--enabled",
        cloudformation="AWS::RDS::EventSubscription SourceType: db-security-group, EventCategories: "
        "[configuration change, failure], SnsTopicArn: <TOPIC_ARN>, Enabled: true",
        terraform='resource "aws_db_event_subscription" "security_groups" {\n'
        "  sns_topic   = aws_sns_topic.ops.arn\n"
        '  source_type = "db-security-group"\n  event_categories = ["configuration change", "failure"]\n}',
    ),
    reads=("rds",),
    prowler_id="rds_instance_event_subscription_security_groups",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_subscriptions(
        inventory,
        "db-security-group",
        ("configuration change", "failure"),
        lambda rds: rds.instances,
        "no DB instances",
    )
