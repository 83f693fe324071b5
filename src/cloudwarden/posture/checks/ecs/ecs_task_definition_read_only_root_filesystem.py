from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.ecs import TaskDefinition, judge_task_definitions
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="ecs_task_definition_read_only_root_filesystem",
    title="ECS containers have read-only root filesystems",
    service="ecs",
    severity=Severity.HIGH,
    resource_type="AWS::ECS::TaskDefinition",
    risk="A writable root filesystem lets an intruder drop tools, alter binaries or plant "
    "persistence inside the container; a read-only one confines writes to declared volumes.",
    remediation=Remediation(
        summary="Set readonlyRootFilesystem true in every container definition, mount volumes "
        "for the paths the application must write, and deploy the new revision.",
        cli="aws ecs register-task-definition --cli-input-json file://taskdef.json  "
        '# every containerDefinitions entry with "readonlyRootFilesystem": true',
        cloudformation="AWS::ECS::TaskDefinition ContainerDefinitions[].ReadonlyRootFilesystem: true",
        terraform='resource "aws_ecs_task_definition" "this" {\n  container_definitions = jsonencode([{\n'
        '    name = "app", image = var.image, readonlyRootFilesystem = true\n  }])\n}',
    ),
    reads=("ecs",),
    prowler_id="ecs_task_definitions_containers_readonly_access",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_task_definitions(inventory, _judge)


def _judge(definition: TaskDefinition, region: str) -> Result:
    writable = [c.name for c in definition.containers if not c.read_only_root]
    return Result.verdict(
        not writable,
        definition.arn,
        region,
        passed="every container has a read-only root filesystem",
        failed=f"container(s) with a writable root filesystem: {', '.join(writable)}",
    )
