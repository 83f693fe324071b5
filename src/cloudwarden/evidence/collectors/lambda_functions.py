"""Lambda: functions, their reserved concurrency and event sources."""

from __future__ import annotations

from typing import Any

from cloudwarden.aws.permissions import declare
from cloudwarden.evidence.model import Edge, Resource

SOURCE = "lambda"
PERMISSIONS = declare(
    "evidence.lambda",
    ("lambda:ListFunctions", "lambda:GetFunctionConcurrency", "lambda:ListEventSourceMappings"),
    purpose="Read Lambda functions, reserved concurrency and event source mappings",
)
MAX_FUNCTIONS = 30


def get(client: Any) -> dict[str, Any]:
    functions: list[dict[str, Any]] = []
    for page in client.get_paginator("list_functions").paginate():
        functions.extend(page.get("Functions", []))
    concurrency = {}
    for function in functions[:MAX_FUNCTIONS]:
        reserved = client.get_function_concurrency(FunctionName=function["FunctionName"])
        concurrency[function["FunctionArn"]] = reserved.get("ReservedConcurrentExecutions")
    mappings: list[dict[str, Any]] = []
    for page in client.get_paginator("list_event_source_mappings").paginate():
        mappings.extend(page.get("EventSourceMappings", []))
    return {"functions": functions, "concurrency": concurrency, "mappings": mappings}


def transform(raw: dict[str, Any]) -> tuple[list[Resource], list[Edge]]:
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
                    "reserved_concurrency": raw["concurrency"].get(arn),
                    "log_groups": [f"/aws/lambda/{function['FunctionName']}"],
                },
            )
        )
    edges = [
        Edge(source=m["FunctionArn"], target=m["EventSourceArn"], relation="event-source")
        for m in raw["mappings"]
        if m.get("FunctionArn") and m.get("EventSourceArn")
    ]
    return resources, edges
