from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from cloudwarden.posture.collectors.awslambda import Function
from cloudwarden.posture.inventory import Inventory, judge_each
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="lambda_function_supported_runtime",
    title="Lambda functions run on a runtime AWS still supports",
    service="lambda",
    severity=Severity.MEDIUM,
    resource_type="AWS::Lambda::Function",
    risk="A deprecated runtime gets no more security patches to its language or operating system, "
    "and AWS eventually blocks updating the function at all.",
    remediation=Remediation(
        summary="Move the function to a supported version of its language, test it, and update "
        "its runtime setting.",
        cli="aws lambda update-function-configuration --function-name <FUNCTION> --runtime python3.13",
        cloudformation="AWS::Lambda::Function Runtime: python3.13 (or another supported runtime)",
        terraform='resource "aws_lambda_function" "this" {\n  runtime = "python3.13"\n}',
    ),
    reads=("lambda",),
    prowler_id="awslambda_function_using_supported_runtimes",
)
# Runtimes past their AWS deprecation date (the date), as of DEPRECATED_RUNTIMES_AS_OF; review
# the list against the Lambda runtimes page when that date grows old.
DEPRECATED_RUNTIMES_AS_OF = date(2025, 12, 15)
DEPRECATED_RUNTIMES: dict[str, date] = {
    "nodejs": date(2016, 10, 31),
    "nodejs4.3": date(2020, 3, 5),
    "nodejs4.3-edge": date(2019, 4, 30),
    "nodejs6.10": date(2019, 8, 12),
    "nodejs8.10": date(2020, 3, 6),
    "nodejs10.x": date(2021, 7, 30),
    "nodejs12.x": date(2023, 3, 31),
    "nodejs14.x": date(2023, 12, 4),
    "nodejs16.x": date(2024, 6, 12),
    "nodejs18.x": date(2025, 9, 1),
    "python2.7": date(2021, 7, 15),
    "python3.6": date(2022, 7, 18),
    "python3.7": date(2023, 12, 4),
    "python3.8": date(2024, 10, 14),
    "python3.9": date(2025, 12, 15),
    "ruby2.5": date(2021, 7, 30),
    "ruby2.7": date(2023, 12, 7),
    "java8": date(2024, 1, 8),
    "go1.x": date(2024, 1, 8),
    "provided": date(2024, 1, 8),
    "dotnetcore1.0": date(2019, 7, 30),
    "dotnetcore2.0": date(2019, 5, 30),
    "dotnetcore2.1": date(2022, 1, 5),
    "dotnetcore3.1": date(2023, 4, 3),
    "dotnet5.0": date(2022, 5, 10),
    "dotnet6": date(2024, 12, 20),
    "dotnet7": date(2024, 5, 14),
}


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_each(inventory, "lambda", lambda d: d.functions, _judge, "no Lambda functions")


def _judge(function: Function, region: str) -> Result:
    if function.runtime is None:
        return Result.not_applicable(
            function.arn,
            region,
            f"the function is a {function.package_type} package: its image sets the runtime",
        )
    deprecated = DEPRECATED_RUNTIMES.get(function.runtime)
    return Result.verdict(
        deprecated is None,
        function.arn,
        region,
        passed=f"the function runs on {function.runtime}, not a deprecated runtime",
        failed=f"the function runs on {function.runtime}, deprecated since {deprecated}",
    )
