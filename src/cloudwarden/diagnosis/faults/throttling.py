"""A Lambda function is throttled: its concurrency was capped, or demand outgrew it."""

from __future__ import annotations

from typing import Any

from cloudwarden.diagnosis.context import Context
from cloudwarden.diagnosis.rulekit import Finding, changes_found, log_finding, metric_finding, templates_about
from cloudwarden.diagnosis.spec import FaultSpec, Proposal, Sign, metric
from cloudwarden.evidence.model import Resource

CHANGES = ("PutFunctionConcurrency", "DeleteFunctionConcurrency", "PutProvisionedConcurrencyConfig")


def rule(ctx: Context, key: str) -> list[Finding]:
    findings = metric_finding(ctx, key, "Throttles", 2.5) + changes_found(ctx, key, CHANGES, 2.0)
    if not findings:
        return []
    findings += [
        log_finding(t, 1.0, key)
        for t in templates_about(ctx, "throttled", key, also_groups_of=ctx.graph.dependents(key))[:1]
    ]
    return findings


def restore_concurrency(resource: Resource, ctx: Context) -> dict[str, Any]:
    """The reserved concurrency set before the suspect change, or three times the usual peak."""
    peak = max(
        (
            a.baseline
            for a in ctx.anomalies.get(resource.key, [])
            if a.series.metric == "ConcurrentExecutions"
        ),
        default=0.0,
    )
    previous = _previous_concurrency(ctx, resource.key)
    # A guess stays within what the action accepts (0..1000); a value the customer had is kept.
    value = previous if previous is not None else min(1000, max(10, int(peak * 3)))
    return {"function_name": resource.attributes.get("function_name"), "reserved_concurrency": value}


def _previous_concurrency(ctx: Context, key: str) -> int | None:
    """The last reserved concurrency set before the suspect change, if CloudTrail shows it."""
    settings = [
        c
        for c in ctx.changes.get(key, [])
        if c.name == "PutFunctionConcurrency" and c.time < ctx.onset - (ctx.alarm_time - ctx.onset)
    ]
    for change in reversed(settings):
        value = change.parameters.get("reservedConcurrentExecutions") or change.parameters.get(
            "ReservedConcurrentExecutions"
        )
        if isinstance(value, int):
            return value
    return None


SPEC = FaultSpec(
    name="throttling",
    label="throttling",
    kinds=("lambda_function",),
    requires=(
        metric("lambda_function", "Throttles", 1, "the function's throttles rose"),
        Sign("cloudtrail", "its reserved or provisioned concurrency was changed"),
    ),
    supports=(Sign("logs", "throttling errors in its own or its callers' logs"),),
    claims=r"\bthrottl\w*",
    next_steps=(
        "Restore the function's reserved concurrency to its previous value.",
        "Check who changed it and why (the CloudTrail event is in the evidence).",
    ),
    rule=rule,
    changes=CHANGES,
    remediation=Proposal("set_lambda_concurrency", "lambda_function", restore_concurrency),
)
