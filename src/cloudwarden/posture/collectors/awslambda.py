"""Lambda, read in every region: the functions and each one's resource-based policy.

(The module cannot be named lambda.py, a Python keyword; its inventory service is "lambda".)
ListFunctions is the main listing; GetPolicy has no batch form and is read per function: a
ResourceNotFoundException means the function has no policy (None), any other failure is an
Unknown for that function alone. Only the unqualified function's policy is read: aliases and
versions can carry policies of their own, which are not judged here.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any, Literal

from cloudwarden.aws import permissions
from cloudwarden.posture.collectors import Clients
from cloudwarden.posture.inventory import paginate, read
from cloudwarden.posture.model import Unknown

SERVICE = "lambda"
SCOPE: Literal["global", "regional"] = "regional"
PERMISSIONS = permissions.declare(
    "posture.lambda",
    ("lambda:ListFunctions", "lambda:GetPolicy"),
    purpose="posture: Lambda functions' runtimes, VPC placement and who may invoke them",
)
# Condition keys that tie a "*" principal to the account, organization, resource or network
# calling (compared in lower case, as IAM compares keys).
RESTRICTING_KEYS = frozenset(
    {
        "aws:sourceaccount",
        "aws:sourcearn",
        "aws:sourceowner",
        "aws:sourceorgid",
        "aws:sourceorgpaths",
        "aws:principalaccount",
        "aws:principalarn",
        "aws:principalorgid",
        "aws:principalorgpaths",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "lambda:eventsourcetoken",
    }
)


@dataclass(frozen=True)
class Function:
    name: str
    arn: str
    runtime: str | None  # None for container images
    package_type: str  # "Zip" or "Image"
    vpc_id: str | None
    subnets: tuple[str, ...]
    policy: dict[str, Any] | Unknown | None  # None: no resource-based policy


@dataclass(frozen=True)
class LambdaData:
    functions: tuple[Function, ...]


def collect(clients: Clients, region: str, account_id: str) -> LambdaData:
    lam = clients("lambda")
    return LambdaData(
        functions=tuple(_function(lam, raw) for raw in paginate(lam, "list_functions", "Functions"))
    )


def _function(lam: Any, raw: dict[str, Any]) -> Function:
    vpc = raw.get("VpcConfig") or {}
    subnets = tuple(str(s) for s in vpc.get("SubnetIds") or ())
    return Function(
        name=str(raw["FunctionName"]),
        arn=str(raw["FunctionArn"]),
        runtime=raw.get("Runtime") or None,
        package_type=str(raw.get("PackageType") or "Zip"),
        vpc_id=(vpc.get("VpcId") or None) if subnets else None,
        subnets=subnets,
        policy=read(
            lam,
            functools.partial(_policy, lam, str(raw["FunctionName"])),
            missing=("ResourceNotFoundException",),
        ),
    )


def _policy(lam: Any, name: str) -> dict[str, Any]:
    document = json.loads(lam.get_policy(FunctionName=name)["Policy"])
    return document if isinstance(document, dict) else {}


# ---- helpers for the checks ---------------------------------------------------------------------


def public_grants(policy: dict[str, Any]) -> list[str]:
    """What in a function policy lets anyone invoke or manage the function, one line a statement:
    an Allow to Principal "*" without a condition restricting the caller, or to Amazon S3 without
    aws:SourceAccount (bucket names are global: a bucket of any account could call it)."""
    found: list[str] = []
    statements = policy.get("Statement") or []
    for index, statement in enumerate(statements if isinstance(statements, list) else [statements]):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        sid = str(statement.get("Sid") or f"#{index + 1}")
        keys = _restricting_keys(statement.get("Condition") or {})
        anyone, services = _principals(statement.get("Principal"))
        if anyone and not keys:
            found.append(f"statement {sid} allows Principal '*' with no condition restricting the caller")
        elif "s3.amazonaws.com" in services and "aws:sourceaccount" not in keys:
            found.append(f"statement {sid} lets Amazon S3 invoke it without aws:SourceAccount")
    return found


def _principals(principal: Any) -> tuple[bool, set[str]]:
    """(anyone, service principals)."""
    if principal == "*":
        return True, set()
    if not isinstance(principal, dict):
        return False, set()

    def values(key: str) -> list[str]:
        value = principal.get(key) or []
        return [str(v) for v in (value if isinstance(value, list) else [value])]

    return "*" in values("AWS"), {v.lower() for v in values("Service")}


def _restricting_keys(condition: dict[str, Any]) -> set[str]:
    """Restricting keys the condition requires with a concrete value. Negated operators, IfExists
    (met when the key is absent), Null and ForAllValues (met by an empty set) restrict nothing."""
    keys: set[str] = set()
    for operator, clauses in condition.items():
        op = str(operator).lower()
        if "not" in op or op.endswith("ifexists") or op == "null" or op.startswith("forallvalues:"):
            continue
        if not isinstance(clauses, dict):
            continue
        for key, value in clauses.items():
            given = value if isinstance(value, list) else [value]
            if str(key).lower() in RESTRICTING_KEYS and given and all(str(v).strip("*?") for v in given):
                keys.add(str(key).lower())
    return keys
