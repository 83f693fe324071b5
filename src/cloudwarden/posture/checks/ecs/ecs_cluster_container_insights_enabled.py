from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.ecs import Cluster, judge_clusters
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="ecs_cluster_container_insights_enabled",
    title="ECS clusters have Container Insights enabled",
    service="ecs",
    severity=Severity.MEDIUM,
    resource_type="AWS::ECS::Cluster",
    risk="Without Container Insights there are no per-task CPU, memory and restart metrics: "
    "crash loops, resource abuse such as cryptomining and failing deployments go unnoticed.",
    remediation=Remediation(
        summary="Turn on Container Insights (enhanced or enabled) for the cluster, and as the "
        "account default for new clusters.",
        cli="aws ecs update-cluster-settings --cluster <CLUSTER> --settings name=containerInsights,value=enhanced",
        cloudformation="AWS::ECS::Cluster ClusterSettings: [{Name: containerInsights, Value: enhanced}]",
        terraform='resource "aws_ecs_cluster" "this" {\n  setting {\n    name  = "containerInsights"\n'
        '    value = "enhanced"\n  }\n}',
    ),
    reads=("ecs",),
    prowler_id="ecs_cluster_container_insights_enabled",
)
ON = ("enabled", "enhanced")


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_clusters(inventory, _judge, "no ECS clusters")


def _judge(cluster: Cluster, region: str) -> Iterator[Result]:
    insights = cluster.container_insights
    if isinstance(insights, Unknown):
        yield Result.error(cluster.arn, region, insights)
        return
    yield Result.verdict(
        insights in ON,
        cluster.arn,
        region,
        passed=f"Container Insights is {insights} for the cluster",
        failed=f"Container Insights is {insights} for the cluster",
    )
