"""An environment or parameter change (the same code) followed by the changed resource's errors."""

from __future__ import annotations

from cloudwarden.diagnosis.context import Context
from cloudwarden.diagnosis.rulekit import (
    Finding,
    change_finding,
    is_new_revision,
    is_same_images,
    metric_finding,
    own_new_errors,
    param,
    target_group_errors,
)
from cloudwarden.diagnosis.spec import FaultSpec, Sign, metric
from cloudwarden.evidence.model import Change

CHANGES = (
    "UpdateFunctionConfiguration",
    "ModifyDBParameterGroup",
    "ResetDBParameterGroup",
    "ModifyDBInstance",
    "ModifyDBClusterParameterGroup",
    "Deployment",
)


def is_config(change: Change) -> bool:
    if change.name == "Deployment":
        return is_new_revision(change) and is_same_images(change)
    if change.name == "ModifyDBInstance":
        return bool(param(change, "dBParameterGroupName"))
    return True


def rule(ctx: Context, key: str) -> list[Finding]:
    changes = [c for c in ctx.suspect_changes(key, CHANGES) if is_config(c)]
    if not changes:
        return []
    first = min(c.time for c in changes)
    support = own_new_errors(ctx, key, first) + metric_finding(ctx, key, "Errors", 1.0)
    return change_finding(key, changes[0], support + target_group_errors(ctx, key))


SPEC = FaultSpec(
    name="config_change",
    label="a configuration change",
    kinds=("lambda_function", "ecs_service", "rds_instance"),
    requires=(
        Sign("cloudtrail", "a configuration or parameter group change to the resource"),
        Sign("ecs", "a deployment of a new revision with the same images (environment only)"),
    ),
    supports=(
        Sign("logs", "new errors in the resource's own logs after the change"),
        metric("lambda_function", "Errors", 1, "the function's errors rose"),
        metric("target_group", "HTTPCode_Target_5XX_Count", 1, "its target group's 5xx rose"),
    ),
    claims=r"\bconfig(?:uration)?[\s_-]+change\w*"
    r"|\b(?:changed|modified|bad|broken|wrong)\s+(?:the\s+|its\s+)?(?:config(?:uration)?|parameters?"
    r"|environment\s+variables?|settings?)\b",
    next_steps=(
        "Revert the configuration change (the previous value is in the CloudTrail event's history).",
        "Diff the environment or parameters before and after the change against what the code expects.",
    ),
    rule=rule,
    changes=CHANGES,
)
