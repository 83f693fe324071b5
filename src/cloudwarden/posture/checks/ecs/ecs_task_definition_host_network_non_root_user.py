from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.ecs import TaskDefinition, judge_task_definitions
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="ecs_task_definition_host_network_non_root_user",
    title="ECS containers in the host network mode run as a non-root user",
    service="ecs",
    severity=Severity.HIGH,
    resource_type="AWS::ECS::TaskDefinition",
    risk="A root process sharing the instance's network stack can bind privileged ports, sniff "
    "and spoof the host's traffic; running as an unprivileged user removes those powers.",
    remediation=Remediation(
        summary="Set a non-root user (a UID other than 0) for every container of host-mode task "
        "definitions, or leave the host network mode.",
        cli="aws ecs register-task-definition --cli-input-json file://taskdef.json  "
        '# every containerDefinitions entry with "user": "1000"',
        cloudformation="AWS::ECS::TaskDefinition ContainerDefinitions[].User: '1000'",
        terraform='resource "aws_ecs_task_definition" "this" {\n  container_definitions = jsonencode([{\n'
        '    name = "app", image = var.image, user = "1000"\n  }])\n}',
    ),
    reads=("ecs",),
    prowler_id="ecs_task_definitions_host_networking_mode_users",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_task_definitions(inventory, _judge)


def _judge(definition: TaskDefinition, region: str) -> Result:
    if definition.network_mode != "host":
        return Result.passed(
            definition.arn, region, f"the task definition uses the {definition.network_mode} network mode"
        )
    as_root = [c.name for c in definition.containers if _root(c.user)]
    return Result.verdict(
        not as_root,
        definition.arn,
        region,
        passed="every container of the host-mode task definition runs as a non-root user",
        failed=f"host-mode container(s) running as root (no user, or root/0): {', '.join(as_root)}",
    )


def _root(user: str | None) -> bool:
    return user is None or user.split(":", 1)[0] in ("", "root", "0")
