"""Log groups are encrypted with a customer managed KMS key."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.logs import LogGroup
from cloudwarden.posture.inventory import Inventory, judge_each
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="logs_log_group_kms_encrypted",
    title="CloudWatch Logs log groups are encrypted with a KMS key",
    service="logs",
    severity=Severity.LOW,
    resource_type="AWS::Logs::LogGroup",
    risk="Logs often carry request data, identifiers and occasionally secrets; with the default "
    "encryption anyone allowed to read logs reads them, while a KMS key adds a separate, audited "
    "grant to decrypt them.",
    remediation=Remediation(
        summary="Associate a customer managed KMS key, whose policy allows the CloudWatch Logs "
        "service principal, with the log group.",
        cli="aws logs associate-kms-key --log-group-name <LOG_GROUP> --kms-key-id <KMS_KEY_ARN>",
        cloudformation="AWS::Logs::LogGroup KmsKeyId: <KMS key ARN>",
        terraform="aws_cloudwatch_log_group kms_key_id = aws_kms_key.logs.arn",
    ),
    reads=("logs",),
    prowler_id="cloudwatch_log_group_kms_encryption_enabled",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_each(inventory, "logs", lambda data: data.log_groups, _judge, "no log groups")


def _judge(group: LogGroup, region: str) -> Result:
    return Result.verdict(
        group.kms_key_id is not None,
        group.arn,
        region,
        passed=f"log group {group.name} is encrypted with KMS key {group.kms_key_id}",
        failed=f"log group {group.name} is not encrypted with a KMS key",
    )
