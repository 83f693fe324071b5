from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.awslambda import Function, public_grants
from cloudwarden.posture.inventory import Inventory, judge_each
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="lambda_function_not_publicly_invocable",
    title="Lambda function policies do not let anyone invoke the function",
    service="lambda",
    severity=Severity.CRITICAL,
    resource_type="AWS::Lambda::Function",
    risk="A function any AWS principal may invoke runs attacker-chosen input with its role's "
    "permissions and bills every call to the account.",
    remediation=Remediation(
        summary="Remove the statement granting Principal '*' and grant the calling service or "
        "account instead, with aws:SourceAccount and aws:SourceArn conditions.",
        cli="aws lambda remove-permission --function-name <FUNCTION> --statement-id <SID> && "
        "aws lambda add-permission --function-name <FUNCTION> --statement-id <NEW_SID> "
        "--action lambda:InvokeFunction --principal s3.amazonaws.com --source-account <ACCOUNT_ID> "
        "--source-arn arn:aws:s3:::<BUCKET>",
        cloudformation="AWS::Lambda::Permission Principal: s3.amazonaws.com (never '*'), "
        "SourceAccount: !Ref AWS::AccountId, SourceArn: <CALLER_ARN>",
        terraform='resource "aws_lambda_permission" "this" {\n  action         = "lambda:InvokeFunction"\n'
        '  function_name  = aws_lambda_function.this.function_name\n  principal      = "s3.amazonaws.com"\n'
        "  source_account = data.aws_caller_identity.current.account_id\n"
        "  source_arn     = aws_s3_bucket.this.arn\n}",
    ),
    reads=("lambda",),
    prowler_id="awslambda_function_not_publicly_accessible",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_each(inventory, "lambda", lambda d: d.functions, _judge, "no Lambda functions")


def _judge(function: Function, region: str) -> Result:
    if isinstance(function.policy, Unknown):
        return Result.error(function.arn, region, function.policy)
    if function.policy is None:
        return Result.passed(function.arn, region, "the function has no resource-based policy")
    grants = public_grants(function.policy)
    return Result.verdict(
        not grants,
        function.arn,
        region,
        passed="the function policy grants no public access",
        failed="the function policy is public: " + "; ".join(grants),
    )
