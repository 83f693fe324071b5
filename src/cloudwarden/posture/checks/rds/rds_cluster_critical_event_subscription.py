"""AWS FSBP RDS.19: an event subscription sends the critical events of DB clusters.

Security Hub's rule evaluates the account's subscriptions; an account without any is read here
as failing (the control's purpose: someone hears of a failover or a maintenance), as Prowler
reads it. A subscription counts when it is enabled, can deliver, names no specific clusters
(AWS's remediation picks "All clusters") and subscribes to maintenance and failure (or to every
category).
"""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors._rds_events import judge_subscriptions
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="rds_cluster_critical_event_subscription",
    title="An RDS event subscription sends DB clusters' maintenance and failure events",
    service="rds",
    severity=Severity.LOW,
    resource_type="AWS::RDS::EventSubscription",
    risk="Without a subscription, a cluster failover, a failure or a maintenance that restarts it is "
    "seen only in the console's event list; nobody is told while it happens.",
    remediation=Remediation(
        summary="Create an enabled RDS event subscription for all DB clusters with the maintenance and "
        "failure categories, sending to an SNS topic someone watches.",
        cli="aws rds create-event-subscription --subscription-name rds-cluster-critical --sns-topic-arn "
        "<TOPIC_ARN> --source-type db-cluster --event-categories maintenance failure --enabled",
        cloudformation="AWS::RDS::EventSubscription SourceType: db-cluster, EventCategories: [maintenance, "
        "failure], SnsTopicArn: <TOPIC_ARN>, Enabled: true",
        terraform='resource "aws_db_event_subscription" "cluster" {\n  sns_topic   = aws_sns_topic.ops.arn\n'
        '  source_type = "db-cluster"\n  event_categories = ["maintenance", "failure"]\n}',
    ),
    reads=("rds",),
    prowler_id="rds_cluster_critical_event_subscription",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_subscriptions(
        inventory, "db-cluster", ("maintenance", "failure"), lambda rds: rds.clusters, "no DB clusters"
    )
