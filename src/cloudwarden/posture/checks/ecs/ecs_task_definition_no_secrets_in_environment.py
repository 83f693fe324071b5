from __future__ import annotations

import re
from collections.abc import Iterator

from cloudwarden.posture.collectors.ecs import TaskDefinition, judge_task_definitions
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="ecs_task_definition_no_secrets_in_environment",
    title="ECS task definitions keep no secrets in plain environment variables",
    service="ecs",
    severity=Severity.HIGH,
    resource_type="AWS::ECS::TaskDefinition",
    risk="Plain environment values are stored in the task definition in clear: anyone allowed "
    "ecs:DescribeTaskDefinition, and every log or tool that prints the environment, sees them.",
    remediation=Remediation(
        summary="Store the value in Secrets Manager or SSM Parameter Store and reference it from "
        "the container's secrets list; rotate the exposed credential.",
        cli="aws secretsmanager create-secret --name <NAME> --secret-string '<VALUE>' && "
        "aws ecs register-task-definition --cli-input-json file://taskdef.json  "
        '# "secrets": [{"name": "DB_PASSWORD", "valueFrom": "<SECRET_ARN>"}] instead of "environment"',
        cloudformation="AWS::ECS::TaskDefinition ContainerDefinitions[].Secrets: "
        "[{Name: DB_PASSWORD, ValueFrom: <SECRET_ARN>}] (not Environment)",
        terraform='resource "aws_ecs_task_definition" "this" {\n  container_definitions = jsonencode([{\n'
        '    name = "app", image = var.image,\n'
        '    secrets = [{ name = "DB_PASSWORD", valueFrom = aws_secretsmanager_secret.db.arn }]\n  }])\n}',
    ),
    reads=("ecs",),
    prowler_id="ecs_task_definitions_no_environment_secrets",
)
# Variable names that announce a secret: a whole word KEY, TOKEN, PASSWORD... (API_KEY,
# GITHUB_TOKEN, AWS_SECRET_ACCESS_KEY), PASSWORD or SECRET anywhere, and the ECS agent's own.
SECRET_NAME = re.compile(
    r"(?:^|[_\-.])(?:API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|KEY|TOKEN|PASSWD|PWD|CREDENTIALS?|PASSPHRASE)(?:$|[_\-.])"
    r"|PASSWORD|SECRET|^ECS_ENGINE_AUTH_DATA$",
    re.IGNORECASE,
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_task_definitions(inventory, _judge)


def _judge(definition: TaskDefinition, region: str) -> Result:
    found = [
        f"{c.name}: {name}"
        for c in definition.containers
        for name in c.environment
        if SECRET_NAME.search(name)
    ]
    return Result.verdict(
        not found,
        definition.arn,
        region,
        passed="no environment variable is named like a secret",
        failed=f"secret-like plain environment variable(s): {', '.join(found)}",
    )
