"""The remediations CloudWarden may propose: name, title, the resource kind each acts on and the
IAM actions each needs.

The declarations generate the optional actions role of the onboarding template (EnableActions):
each remediation's write and the reads its preconditions and verification make, nothing else
(`tests/actions/test_remediation_specs.py` records every call an action makes: exactly these).
`specs.py` makes each one executable; the diagnosis proposes them by name (`diagnosis/advice.py`).
Nothing here imports boto3: the diagnosis reads these names and titles.
"""

from __future__ import annotations

from dataclasses import dataclass

from cloudwarden.aws.permissions import PermissionDeclaration, declare


@dataclass(frozen=True)
class Remediation:
    name: str
    title: str
    kind: str  # the resource kind it acts on (evidence/kinds)
    permission: PermissionDeclaration


RESTART_ECS_SERVICE = Remediation(
    name="restart_ecs_service",
    title="Restart the ECS service (force a new deployment)",
    kind="ecs_service",
    permission=declare(
        "action.restart_ecs_service",
        ("ecs:UpdateService", "ecs:DescribeServices"),
        kind="write",
        purpose="Force a new deployment of one ECS service; check its state before and its rollout after",
    ),
)
REBOOT_RDS_INSTANCE = Remediation(
    name="reboot_rds_instance",
    title="Reboot the RDS instance",
    kind="rds_instance",
    permission=declare(
        "action.reboot_rds_instance",
        ("rds:RebootDBInstance", "rds:DescribeDBInstances"),
        kind="write",
        purpose="Reboot one RDS DB instance; check it is available before and after",
    ),
)
SET_LAMBDA_CONCURRENCY = Remediation(
    name="set_lambda_concurrency",
    title="Set the Lambda function's reserved concurrency",
    kind="lambda_function",
    permission=declare(
        "action.set_lambda_concurrency",
        (
            "lambda:PutFunctionConcurrency",
            "lambda:GetFunctionConfiguration",
            "lambda:GetFunctionConcurrency",
        ),
        kind="write",
        purpose="Set the reserved concurrency of one Lambda function; read its state and value first",
    ),
)

REMEDIATIONS = {r.name: r for r in (RESTART_ECS_SERVICE, REBOOT_RDS_INSTANCE, SET_LAMBDA_CONCURRENCY)}
