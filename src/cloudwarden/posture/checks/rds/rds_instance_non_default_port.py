from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.rds import DbInstance, default_port, judge_instances
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="rds_instance_non_default_port",
    title="RDS DB instances do not listen on their engine's default port",
    service="rds",
    severity=Severity.LOW,
    resource_type="AWS::RDS::DBInstance",
    risk="Automated scans and exploit kits try the engines' default ports first; a non-default port "
    "takes the database out of the cheapest sweeps (a small, not a sufficient, defence).",
    remediation=Remediation(
        summary="Move the instance to another port and update its security groups and clients.",
        cli="aws rds modify-db-instance --db-instance-identifier <DB> --db-port-number <PORT> --apply-immediately",
        cloudformation="AWS::RDS::DBInstance Port: <a port other than the engine's default>",
        terraform='resource "aws_db_instance" "this" {\n  port = 15432 # not the engine default (5432)\n}',
    ),
    reads=("rds",),
    prowler_id="rds_instance_non_default_port",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_instances(inventory, _judge)


def _judge(instance: DbInstance, region: str) -> Result | None:
    default = default_port(instance.engine)
    if default is None or instance.port is None:  # an unknown engine, or no endpoint yet
        return None
    return Result.verdict(
        instance.port != default,
        instance.arn,
        region,
        passed=f"the instance listens on port {instance.port}, not {instance.engine}'s default",
        failed=f"the instance listens on {instance.engine}'s default port {default}",
    )
