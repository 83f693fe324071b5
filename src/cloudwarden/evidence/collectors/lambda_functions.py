"""Lambda: functions and their event sources; reserved concurrency where throttling shows."""

from __future__ import annotations

from itertools import islice
from typing import Any

from cloudwarden.aws.permissions import declare
from cloudwarden.evidence.collector import Probe
from cloudwarden.evidence.model import Edge, Resource

SOURCE = "lambda"
PERMISSIONS = declare(
    "evidence.lambda",
    ("lambda:ListFunctions", "lambda:GetFunctionConcurrency", "lambda:ListEventSourceMappings"),
    purpose="Read Lambda functions, reserved concurrency and event source mappings",
)
PROBES: tuple[Probe, ...] = (
    Probe("lambda", "lambda", "lambda:ListFunctions", lambda c: c.list_functions(MaxItems=1)),
)
# Pages read at most per listing: discovery is bounded whatever the account's size.
MAX_PAGES = 3


def get(client: Any) -> dict[str, Any]:
    functions: list[dict[str, Any]] = []
    for page in islice(client.get_paginator("list_functions").paginate(), MAX_PAGES):
        functions.extend(page.get("Functions", []))
    mappings: list[dict[str, Any]] = []
    for page in islice(client.get_paginator("list_event_source_mappings").paginate(), MAX_PAGES):
        mappings.extend(page.get("EventSourceMappings", []))
    return {"functions": functions, "mappings": mappings}


def get_concurrency(client: Any, function_names: list[str]) -> dict[str, int | None]:
    """Reserved concurrency of these functions (one call each: ask only where it matters)."""
    return {
        name: client.get_function_concurrency(FunctionName=name).get("ReservedConcurrentExecutions")
        for name in function_names
    }


def transform(raw: dict[str, Any]) -> tuple[list[Resource], list[Edge]]:
    # A mapping's changes (UpdateEventSourceMapping, DeleteEventSourceMapping) name only its UUID.
    mappings: dict[str, list[str]] = {}
    for m in raw["mappings"]:
        if m.get("FunctionArn") and m.get("UUID"):
            mappings.setdefault(m["FunctionArn"], []).append(m["UUID"])
    resources = []
    for function in raw["functions"]:
        arn = function["FunctionArn"]
        vpc = function.get("VpcConfig") or {}
        resources.append(
            Resource(
                key=arn,
                kind="lambda_function",
                name=function["FunctionName"],
                attributes={
                    "function_name": function["FunctionName"],
                    "role": function.get("Role"),
                    "runtime": function.get("Runtime"),
                    "environment": (function.get("Environment") or {}).get("Variables", {}),
                    "security_groups": list(vpc.get("SecurityGroupIds", [])),
                    "log_groups": [f"/aws/lambda/{function['FunctionName']}"],
                    "event_source_mappings": mappings.get(arn, []),
                },
            )
        )
    edges = [
        Edge(source=m["FunctionArn"], target=m["EventSourceArn"], relation="event-source")
        for m in raw["mappings"]
        if m.get("FunctionArn") and m.get("EventSourceArn")
    ]
    return resources, edges
