"""A Lambda function."""

from __future__ import annotations

from cloudwarden.evidence.kinds._spec import KindSpec, Metric, Relation

SPEC = KindSpec(
    name="lambda_function",
    label="Lambda function",
    # Its event source mappings' UUIDs: the only name a mapping's changes give.
    identifiers=("function_name", "event_source_mappings"),
    metrics=(
        Metric("AWS/Lambda", "Invocations", "Sum"),
        Metric("AWS/Lambda", "Errors", "Sum", harm=1),
        Metric("AWS/Lambda", "Throttles", "Sum", harm=1),
        Metric("AWS/Lambda", "Duration", "Average"),
        Metric("AWS/Lambda", "ConcurrentExecutions", "Maximum"),
    ),
    dimensions=lambda r: (("FunctionName", str(r.attributes.get("function_name"))),),
    identifying_dimension="FunctionName",
    relations=(
        Relation("role", "role", "iam_role", known_only=False),
        Relation("security_groups", "attached-security-group", "security_group", match="group_id"),
    ),
    references=("environment", "secrets"),
    referenced_as="env-reference",
    log_groups=lambda r: [str(g) for g in r.attributes.get("log_groups") or []],
)
