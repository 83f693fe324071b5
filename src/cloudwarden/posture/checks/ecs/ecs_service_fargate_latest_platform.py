"""AWS FSBP ECS.10: ECS Fargate services run the latest Fargate platform version.

The AWS Config rule's defaults: latestLinuxVersion 1.4.0, latestWindowsVersion 1.0.0; a service
on LATEST always runs the newest. Services of other launch types are not judged.
"""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.ecs import Cluster, judge_clusters
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

LATEST_LINUX = "1.4.0"
LATEST_WINDOWS = "1.0.0"

METADATA = CheckMetadata(
    id="ecs_service_fargate_latest_platform",
    title="ECS Fargate services run the latest Fargate platform version",
    service="ecs",
    severity=Severity.MEDIUM,
    resource_type="AWS::ECS::Service",
    risk="An older Fargate platform version lacks the kernel, runtime and agent security fixes of the "
    "current one, and the features (such as task ephemeral storage encryption) that came with it.",
    remediation=Remediation(
        summary="Set the service's platform version to LATEST (or the current version) and deploy it.",
        cli="aws ecs update-service --cluster <CLUSTER> --service <SERVICE> --platform-version LATEST "
        "--force-new-deployment",
        cloudformation="AWS::ECS::Service PlatformVersion: LATEST",
        terraform='resource "aws_ecs_service" "this" {\n  launch_type      = "FARGATE"\n'
        '  platform_version = "LATEST"\n}',
    ),
    reads=("ecs",),
    prowler_id="ecs_service_fargate_latest_platform_version",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_clusters(inventory, _judge, "no ECS Fargate services")


def _judge(cluster: Cluster, region: str) -> Iterator[Result]:
    if isinstance(cluster.services, Unknown):
        yield Result.error(cluster.arn, region, cluster.services)
        return
    for service in cluster.services:
        if not service.fargate:
            continue
        windows = service.platform_family.upper().startswith("WINDOWS")
        latest = LATEST_WINDOWS if windows else LATEST_LINUX
        version = service.platform_version
        yield Result.verdict(
            version in ("LATEST", latest),
            service.arn,
            region,
            passed=f"the service runs Fargate platform version {version}",
            failed=f"the service runs Fargate platform version {version}, not the latest ({latest})",
        )
