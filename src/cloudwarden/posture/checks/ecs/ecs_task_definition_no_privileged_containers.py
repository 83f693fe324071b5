from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.ecs import TaskDefinition, judge_task_definitions
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="ecs_task_definition_no_privileged_containers",
    title="ECS task definitions run no privileged containers",
    service="ecs",
    severity=Severity.HIGH,
    resource_type="AWS::ECS::TaskDefinition",
    risk="A privileged container has root on the host: a compromise of the application inside it "
    "is a compromise of the instance and of every other task running there.",
    remediation=Remediation(
        summary="Register a new revision with privileged false (or absent) in every container "
        "definition, granting specific Linux capabilities only where needed, and deploy it.",
        cli="aws ecs register-task-definition --cli-input-json file://taskdef.json  "
        '# every containerDefinitions entry with "privileged": false; then aws ecs update-service '
        "--cluster <CLUSTER> --service <SERVICE> --task-definition <FAMILY>",
        cloudformation="AWS::ECS::TaskDefinition ContainerDefinitions[].Privileged: false",
        terraform='resource "aws_ecs_task_definition" "this" {\n'
        '  container_definitions = jsonencode([{ name = "app", image = var.image, privileged = false }])\n}',
    ),
    reads=("ecs",),
    prowler_id="ecs_task_definitions_no_privileged_containers",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_task_definitions(inventory, _judge)


def _judge(definition: TaskDefinition, region: str) -> Result:
    privileged = [c.name for c in definition.containers if c.privileged]
    return Result.verdict(
        not privileged,
        definition.arn,
        region,
        passed="no container of the task definition is privileged",
        failed=f"privileged container(s): {', '.join(privileged)}",
    )
