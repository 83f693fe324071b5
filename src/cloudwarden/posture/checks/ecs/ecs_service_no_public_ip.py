from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.ecs import Cluster, judge_clusters
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="ecs_service_no_public_ip",
    title="ECS services do not assign public IP addresses to their tasks",
    service="ecs",
    severity=Severity.HIGH,
    resource_type="AWS::ECS::Service",
    risk="Tasks with public addresses are reachable from the internet on every port their security "
    "groups allow, bypassing the load balancer meant to front them.",
    remediation=Remediation(
        summary="Run the service's tasks in private subnets with assignPublicIp DISABLED, reaching "
        "the internet through a NAT gateway or VPC endpoints.",
        cli="aws ecs update-service --cluster <CLUSTER> --service <SERVICE> --network-configuration "
        '"awsvpcConfiguration={subnets=[<SUBNET>],securityGroups=[<SG>],assignPublicIp=DISABLED}"',
        cloudformation="AWS::ECS::Service NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp: DISABLED",
        terraform='resource "aws_ecs_service" "this" {\n  network_configuration {\n'
        "    subnets          = [aws_subnet.private.id]\n    assign_public_ip = false\n  }\n}",
    ),
    reads=("ecs",),
    prowler_id="ecs_service_no_assign_public_ip",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_clusters(inventory, _judge, "no ECS services")


def _judge(cluster: Cluster, region: str) -> Iterator[Result]:
    if isinstance(cluster.services, Unknown):
        yield Result.error(cluster.arn, region, cluster.services)
        return
    for service in cluster.services:
        yield Result.verdict(
            not service.assign_public_ip,
            service.arn,
            region,
            passed=f"the service in {cluster.name} does not assign public IPs",
            failed=f"the service in {cluster.name} assigns public IPs to its tasks",
        )
