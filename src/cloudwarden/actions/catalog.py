"""The remediations CloudWarden may propose, with the write permissions each needs.

Only the declarations live here for now: they shape the optional actions role in the onboarding
template. Executing an action (behind single-use consent) is a later capability.
"""

from __future__ import annotations

from dataclasses import dataclass

from cloudwarden.aws.permissions import PermissionDeclaration, declare


@dataclass(frozen=True)
class Remediation:
    name: str
    title: str
    permission: PermissionDeclaration


RESTART_ECS_SERVICE = Remediation(
    "restart_ecs_service",
    "Restart the ECS service (force a new deployment)",
    declare(
        "action.restart_ecs_service",
        ("ecs:UpdateService",),
        kind="write",
        purpose="Force a new deployment of one ECS service",
    ),
)
REBOOT_RDS_INSTANCE = Remediation(
    "reboot_rds_instance",
    "Reboot the RDS instance",
    declare(
        "action.reboot_rds_instance",
        ("rds:RebootDBInstance",),
        kind="write",
        purpose="Reboot one RDS DB instance",
    ),
)
SET_LAMBDA_CONCURRENCY = Remediation(
    "set_lambda_concurrency",
    "Set the Lambda function's reserved concurrency",
    declare(
        "action.set_lambda_concurrency",
        ("lambda:PutFunctionConcurrency",),
        kind="write",
        purpose="Set reserved concurrency of one Lambda function",
    ),
)

REMEDIATIONS = {r.name: r for r in (RESTART_ECS_SERVICE, REBOOT_RDS_INSTANCE, SET_LAMBDA_CONCURRENCY)}
