from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.rds import IAM_AUTH_INSTANCE_ENGINES, DbInstance, judge_instances
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="rds_instance_iam_authentication_enabled",
    title="RDS DB instances have IAM database authentication enabled",
    service="rds",
    severity=Severity.MEDIUM,
    resource_type="AWS::RDS::DBInstance",
    risk="Without IAM authentication every client holds a long-lived database password, which is shared, "
    "rarely rotated and not revoked when a person or service loses access in IAM.",
    remediation=Remediation(
        summary="Enable IAM database authentication and have applications request short-lived tokens "
        "(rds generate-db-auth-token) for database users granted the rds_iam role.",
        cli="aws rds modify-db-instance --db-instance-identifier <DB> --enable-iam-database-authentication "
        "--apply-immediately",
        cloudformation="AWS::RDS::DBInstance EnableIAMDatabaseAuthentication: true",
        terraform='resource "aws_db_instance" "this" {\n  iam_database_authentication_enabled = true\n}',
    ),
    reads=("rds",),
    prowler_id="rds_instance_iam_authentication_enabled",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_instances(inventory, _judge, "no MySQL, MariaDB or PostgreSQL DB instances outside clusters")


def _judge(instance: DbInstance, region: str) -> Result | None:
    # An Aurora instance takes the setting from its cluster (rds_cluster_iam_authentication_enabled);
    # other engines do not support IAM authentication.
    if instance.cluster or instance.engine not in IAM_AUTH_INSTANCE_ENGINES:
        return None
    return Result.verdict(
        instance.iam_auth,
        instance.arn,
        region,
        passed="IAM database authentication is enabled",
        failed="IAM database authentication is disabled: clients sign in with passwords only",
    )
