from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.ecs import TaskDefinition, judge_task_definitions
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="ecs_task_definition_no_host_pid_mode",
    title="ECS task definitions do not share the host's process namespace",
    service="ecs",
    severity=Severity.HIGH,
    resource_type="AWS::ECS::TaskDefinition",
    risk="With pidMode host a container sees every process on the instance and can signal or "
    "inspect them; a compromised container reaches the host and its other tasks.",
    remediation=Remediation(
        summary="Register a new revision without pidMode host (use task, or leave it unset), then "
        "update the services to it.",
        cli="aws ecs register-task-definition --cli-input-json file://taskdef.json  # without pidMode host",
        cloudformation="AWS::ECS::TaskDefinition PidMode: task (or omit it)",
        terraform='resource "aws_ecs_task_definition" "this" {\n  pid_mode = "task"\n}',
    ),
    reads=("ecs",),
    prowler_id="ecs_task_definitions_host_namespace_not_shared",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_task_definitions(inventory, _judge)


def _judge(definition: TaskDefinition, region: str) -> Result:
    return Result.verdict(
        definition.pid_mode != "host",
        definition.arn,
        region,
        passed="the task definition does not share the host's process namespace",
        failed="the task definition shares the host's process namespace (pidMode host)",
    )
