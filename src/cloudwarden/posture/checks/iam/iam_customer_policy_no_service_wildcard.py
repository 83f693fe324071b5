"""AWS FSBP IAM.21: customer managed policies do not allow every action of a service ("s3:*")."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.checks.iam import judge_customer_policies, service_wildcards
from cloudwarden.posture.collectors.iam import ManagedPolicy
from cloudwarden.posture.inventory import GLOBAL, Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="iam_customer_policy_no_service_wildcard",
    title='Customer managed policies allow no wildcard service actions ("service:*")',
    service="iam",
    severity=Severity.LOW,
    resource_type="AWS::IAM::ManagedPolicy",
    risk='"s3:*" or "iam:*" grants every current and future action of the service, including '
    "deleting data, changing policies and disabling logging, when the holder usually needs a few "
    "read or write actions.",
    remediation=Remediation(
        summary="List the actions the holders need instead of the service wildcard (IAM Access "
        "Analyzer can generate a policy from CloudTrail activity).",
        cli="aws iam create-policy-version --policy-arn <POLICY_ARN> --policy-document "
        "file://least-privilege.json --set-as-default",
        cloudformation='AWS::IAM::ManagedPolicy PolicyDocument: Action lists named actions, no "service:*".',
        terraform='aws_iam_policy policy: actions lists named actions, no "service:*".',
    ),
    reads=("iam",),
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_customer_policies(inventory, _judge)


def _judge(policy: ManagedPolicy) -> Result:
    wildcards = service_wildcards(policy)
    return Result.verdict(
        not wildcards,
        policy.arn,
        GLOBAL,
        passed=f"policy {policy.name} allows no service-wide wildcard action",
        failed=f"policy {policy.name} allows {', '.join(wildcards)}",
    )
