"""New code deployed to a service or function, and that resource's own errors began after it, or
its new tasks never started (an image that cannot be pulled, tasks that cannot be placed)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from cloudwarden.diagnosis.context import Context
from cloudwarden.diagnosis.rulekit import (
    Finding,
    change_finding,
    failed_task_starts,
    is_new_revision,
    is_same_images,
    own_new_errors,
    target_group_errors,
)
from cloudwarden.diagnosis.spec import FaultSpec, Sign, metric
from cloudwarden.evidence.model import Change

CHANGES = ("Deployment", "UpdateService", "CreateService", "RegisterTaskDefinition", "UpdateFunctionCode")


# CloudTrail's UpdateService and RegisterTaskDefinition and ECS's own deployment record of the
# same rollout land within this much of each other.
SAME_ROLLOUT = timedelta(minutes=5)


def is_new_code(change: Change, config_only: Sequence[datetime] = ()) -> bool:
    """A deployment of different code, not a scale-out, a no-op or a configuration-only change
    (`config_only`: when ECS recorded deployments of a new revision with the same images; the
    CloudTrail calls of those rollouts are not new code either)."""
    if change.name == "Deployment":
        return is_new_revision(change) and not is_same_images(change)
    if any(abs(change.time - t) <= SAME_ROLLOUT for t in config_only):
        return False
    if change.name == "UpdateService":
        p = change.parameters
        return bool(p.get("taskDefinition") or p.get("forceNewDeployment"))
    return True


def rule(ctx: Context, key: str) -> list[Finding]:
    suspects = ctx.suspect_changes(key, CHANGES)
    config_only = [
        c.time for c in suspects if c.name == "Deployment" and is_new_revision(c) and is_same_images(c)
    ]
    deploys = [c for c in suspects if is_new_code(c, config_only)]
    if not deploys:
        return []
    since = min(c.time for c in deploys)
    # A container that never starts logs nothing: the service's failed task starts after the
    # deployment are its own errors then.
    own = own_new_errors(ctx, key, since) + failed_task_starts(ctx, key, since)
    # Its target group's 5xx add to its own new errors; alone they are a symptom anything causes.
    return change_finding(key, deploys[0], own + target_group_errors(ctx, key) if own else [])


SPEC = FaultSpec(
    name="bad_deploy",
    label="a bad deploy",
    kinds=("ecs_service", "lambda_function"),
    requires=(
        Sign("ecs", "a deployment of a new task definition revision with other images"),
        Sign("cloudtrail", "a code change (UpdateService with a new revision, UpdateFunctionCode)"),
    ),
    supports=(
        Sign("logs", "new errors in the resource's own logs after the deployment, naming no dependency"),
        Sign(
            "ecs",
            "the service's tasks failing to start after the deployment (CannotPullContainerError, "
            "unable to place a task), running below desired",
        ),
        metric("target_group", "HTTPCode_Target_5XX_Count", 1, "its target group's 5xx rose"),
    ),
    claims=r"\bbad[\s_-]+(?:deploy(?:ment)?s?|releases?|rollouts?)\b"
    r"|\b(?:faulty|broken)\s+(?:deploy(?:ment)?|release|rollout)s?\b",
    next_steps=(
        "Roll the service back to the previous task definition revision.",
        "Compare the new revision's image and environment with the previous one.",
        "If its tasks never started, check that the image tag exists in the registry and that the "
        "execution role can pull it, or that the cluster has capacity for the new revision.",
        "Look at the commits between the two images for the code path in the new exceptions.",
    ),
    rule=rule,
    changes=CHANGES,
)
