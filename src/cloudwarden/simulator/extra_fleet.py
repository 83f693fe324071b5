"""More of the account: Lambda functions the web API calls, to vary the size of the topology.

Each extra function has its own execution role and log group and is named in the web API's
environment, as a team's helper functions are, so every one of them (and its role) is a candidate
the diagnosis has to rank for an alarm on the web API. They behave normally unless a distractor
spikes one of their metrics.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cloudwarden.simulator.scenario import MAX_EXTRA_FUNCTIONS, LogEffect

if TYPE_CHECKING:
    from cloudwarden.simulator.client import SimulatorClient
    from cloudwarden.simulator.workload import Workload

NAMES = (
    "thumbnail-renderer",
    "invoice-pdf",
    "email-sender",
    "search-indexer",
    "price-sync",
    "webhook-relay",
    "fraud-score",
    "tax-calculator",
    "coupon-validator",
    "geoip-lookup",
    "audit-export",
    "cart-reminder",
    "sitemap-builder",
    "review-moderator",
    "currency-rates",
)
assert len(NAMES) >= MAX_EXTRA_FUNCTIONS


def ref(index: int) -> str:
    return f"lambda_function:x{index}"


def env_name(name: str) -> str:
    return name.upper().replace("-", "_") + "_FUNCTION"


def deploy_functions(
    client: Callable[[str], Any], w: Workload, *, count: int, zip_file: bytes
) -> list[dict[str, str]]:
    """Create `count` functions; return the environment entries that name them for the web API."""
    if not 0 <= count <= MAX_EXTRA_FUNCTIONS:
        raise ValueError(f"extra_functions must be 0..{MAX_EXTRA_FUNCTIONS}, got {count}")
    iam, lam, logs = client("iam"), client("lambda"), client("logs")
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    environment = []
    for index, name in enumerate(NAMES[:count]):
        role = iam.create_role(RoleName=f"{name}-exec", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
        function = lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="handler.handler",
            Code={"ZipFile": zip_file},
            MemorySize=512,
            Timeout=15,
        )
        logs.create_log_group(logGroupName=f"/aws/lambda/{name}")
        _register(w, index, name, function["FunctionArn"], role)
        environment.append({"name": env_name(name), "value": name})
    return environment


def _register(w: Workload, index: int, name: str, function_arn: str, role_arn: str) -> None:
    w.refs[ref(index)] = function_arn
    w.refs[f"iam_role:{name}-exec"] = role_arn
    w.log_groups[ref(index)] = f"/aws/lambda/{name}"
    w.extras.append(ref(index))


def discover(sim: SimulatorClient, w: Workload) -> None:
    """Find the extra functions of an account deployed earlier."""
    arns = {
        f["FunctionName"]: f["FunctionArn"]
        for page in sim.client("lambda").get_paginator("list_functions").paginate()
        for f in page["Functions"]
    }
    for index, name in enumerate(NAMES):
        if name not in arns:
            break
        _register(w, index, name, arns[name], f"arn:aws:iam::{w.account_id}:role/{name}-exec")


def baseline_logs(w: Workload, start: int) -> list[LogEffect]:
    """What each extra function logs on an ordinary day: the Lambda runtime's own lines."""
    return [
        LogEffect(
            resource=logical,
            per_minute=2,
            start=start,
            lines=[
                "START RequestId: {rid} Version: $LATEST",
                "END RequestId: {rid}",
                "REPORT RequestId: {rid}\tDuration: {ms}.41 ms\tBilled Duration: {ms} ms\t"
                "Memory Size: 512 MB\tMax Memory Used: 88 MB",
            ],
        )
        for logical in w.extras
    ]
