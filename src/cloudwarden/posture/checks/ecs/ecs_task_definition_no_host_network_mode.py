from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.ecs import TaskDefinition, judge_task_definitions
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="ecs_task_definition_no_host_network_mode",
    title="ECS task definitions do not use the host network mode",
    service="ecs",
    severity=Severity.MEDIUM,
    resource_type="AWS::ECS::TaskDefinition",
    risk="In host mode the containers share the instance's network stack: they bind its ports, see "
    "its traffic and can reach the instance metadata service directly, with no isolation.",
    remediation=Remediation(
        summary="Register a new revision with the awsvpc (or bridge) network mode and deploy it.",
        cli="aws ecs register-task-definition --cli-input-json file://taskdef.json  "
        '# with "networkMode": "awsvpc"',
        cloudformation="AWS::ECS::TaskDefinition NetworkMode: awsvpc",
        terraform='resource "aws_ecs_task_definition" "this" {\n  network_mode = "awsvpc"\n}',
    ),
    reads=("ecs",),
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_task_definitions(inventory, _judge)


def _judge(definition: TaskDefinition, region: str) -> Result:
    return Result.verdict(
        definition.network_mode != "host",
        definition.arn,
        region,
        passed=f"the task definition uses the {definition.network_mode} network mode",
        failed="the task definition uses the host network mode",
    )
