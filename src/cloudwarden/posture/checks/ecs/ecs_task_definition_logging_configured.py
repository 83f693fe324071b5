from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.ecs import TaskDefinition, judge_task_definitions
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="ecs_task_definition_logging_configured",
    title="Every container of an ECS task definition has a logging configuration",
    service="ecs",
    severity=Severity.HIGH,
    resource_type="AWS::ECS::TaskDefinition",
    risk="A container without a log driver keeps its output nowhere once the task stops: neither "
    "an incident nor an intrusion can be reconstructed from it.",
    remediation=Remediation(
        summary="Give every container a logConfiguration (awslogs to CloudWatch Logs, or a "
        "FireLens router) in a new revision, then update the services to it.",
        cli="aws ecs register-task-definition --cli-input-json file://taskdef.json  # with logConfiguration",
        cloudformation="ContainerDefinitions: - LogConfiguration: {LogDriver: awslogs, Options: {...}}",
        terraform='container_definitions = jsonencode([{ logConfiguration = { logDriver = "awslogs" } }])',
    ),
    reads=("ecs",),
    prowler_id="ecs_task_definitions_logging_enabled",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_task_definitions(inventory, _judge)


def _judge(definition: TaskDefinition, region: str) -> Result:
    silent = [c.name for c in definition.containers if c.log_driver is None]
    return Result.verdict(
        not silent,
        definition.arn,
        region,
        passed="every container has a log driver",
        failed=f"containers without a log driver: {', '.join(silent)}",
    )
