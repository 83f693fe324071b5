from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.awslambda import Function
from cloudwarden.posture.inventory import Inventory, judge_each
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

MINIMUM_ZONES = 2  # AWS Config's lambda-vpc-multi-az-check, without its optional zone list

METADATA = CheckMetadata(
    id="lambda_function_vpc_multi_az",
    title="VPC-connected Lambda functions run in at least two Availability Zones",
    service="lambda",
    severity=Severity.MEDIUM,
    resource_type="AWS::Lambda::Function",
    risk="A function whose subnets all sit in one Availability Zone stops running when that zone "
    "fails: Lambda can only place it where its subnets are.",
    remediation=Remediation(
        summary="Give the function subnets in two or more Availability Zones of its VPC.",
        cli="aws lambda update-function-configuration --function-name <FUNCTION> "
        "--vpc-config SubnetIds=<SUBNET_IN_AZ_A>,<SUBNET_IN_AZ_B>,SecurityGroupIds=<SG>",
        cloudformation="AWS::Lambda::Function VpcConfig.SubnetIds: subnets in at least two "
        "Availability Zones",
        terraform='resource "aws_lambda_function" "this" {\n  vpc_config {\n'
        "    subnet_ids         = [aws_subnet.az_a.id, aws_subnet.az_b.id]\n"
        "    security_group_ids = [aws_security_group.lambda.id]\n  }\n}",
    ),
    reads=("lambda", "ec2"),
    prowler_id="awslambda_function_vpc_multi_az",
)


def run(inventory: Inventory) -> Iterator[Result]:
    """One result per VPC-connected function (FSBP Lambda.5): the zones are those of its subnets,
    read from the EC2 inventory of the function's region (DescribeSubnets)."""

    def judge(function: Function, region: str) -> Result | None:
        if not function.subnets:  # not connected to a VPC: Lambda runs it across zones itself
            return None
        ec2 = inventory.get("ec2", region)
        subnets = ec2 if isinstance(ec2, Unknown) else ec2.subnets
        if isinstance(subnets, Unknown):
            return Result.error(function.arn, region, subnets)
        zones_of = {s.subnet_id: s.availability_zone for s in subnets}
        zones = sorted({zones_of[s] for s in function.subnets if s in zones_of})
        missing = [s for s in function.subnets if s not in zones_of]
        shown = ", ".join(zones)
        if len(zones) < MINIMUM_ZONES and missing:
            return Result.error(
                function.arn,
                region,
                f"the function's subnet(s) {', '.join(missing)} are not in DescribeSubnets",
            )
        return Result.verdict(
            len(zones) >= MINIMUM_ZONES,
            function.arn,
            region,
            passed=f"the function's subnets span {len(zones)} Availability Zones ({shown})",
            failed=f"the function's subnets are all in one Availability Zone ({shown}); at least "
            f"{MINIMUM_ZONES} are needed",
        )

    return judge_each(inventory, "lambda", lambda d: d.functions, judge, "no VPC-connected Lambda functions")
