from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.awslambda import Function
from cloudwarden.posture.inventory import Inventory, judge_each
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="lambda_function_in_vpc",
    title="Lambda functions are connected to a VPC",
    service="lambda",
    severity=Severity.LOW,
    resource_type="AWS::Lambda::Function",
    risk="A function outside any VPC reaches the internet directly: its outbound traffic escapes "
    "the security groups, network ACLs and flow logs that govern the rest of the workload.",
    remediation=Remediation(
        summary="Attach the function to private subnets (in two or more Availability Zones) and a "
        "security group, with NAT or VPC endpoints for what it must reach.",
        cli="aws lambda update-function-configuration --function-name <FUNCTION> "
        "--vpc-config SubnetIds=<SUBNET_A>,<SUBNET_B>,SecurityGroupIds=<SG>",
        cloudformation="AWS::Lambda::Function VpcConfig: {SubnetIds: [<SUBNET_A>, <SUBNET_B>], "
        "SecurityGroupIds: [<SG>]}",
        terraform='resource "aws_lambda_function" "this" {\n  vpc_config {\n'
        "    subnet_ids         = [aws_subnet.a.id, aws_subnet.b.id]\n"
        "    security_group_ids = [aws_security_group.lambda.id]\n  }\n}",
    ),
    reads=("lambda",),
    prowler_id="awslambda_function_inside_vpc",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_each(inventory, "lambda", lambda d: d.functions, _judge, "no Lambda functions")


def _judge(function: Function, region: str) -> Result:
    return Result.verdict(
        bool(function.subnets),
        function.arn,
        region,
        passed=f"the function runs in {function.vpc_id or 'a VPC'} ({len(function.subnets)} subnet(s))",
        failed="the function is not connected to a VPC",
    )
