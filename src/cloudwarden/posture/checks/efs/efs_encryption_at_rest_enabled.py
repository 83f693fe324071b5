from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="efs_encryption_at_rest_enabled",
    title="EFS file systems are encrypted at rest",
    service="efs",
    severity=Severity.MEDIUM,
    resource_type="AWS::EFS::FileSystem",
    risk="Files on an unencrypted file system are readable from the underlying storage and its "
    "backups; encryption at rest can only be chosen when the file system is created.",
    remediation=Remediation(
        summary="Create an encrypted file system (optionally with your KMS key), copy the data "
        "across with AWS DataSync, and switch the mount targets over.",
        cli="aws efs create-file-system --encrypted --kms-key-id <KEY_ARN> --creation-token <TOKEN>",
        cloudformation="AWS::EFS::FileSystem Encrypted: true (KmsKeyId: <KEY_ARN>)",
        terraform='resource "aws_efs_file_system" "this" {\n  encrypted = true\n}',
    ),
    reads=("efs",),
    prowler_id="efs_encryption_at_rest_enabled",
)


def run(inventory: Inventory) -> Iterator[Result]:
    for region, efs in inventory.each("efs"):
        if isinstance(efs, Unknown):
            yield Result.error(inventory.region_arn("elasticfilesystem", region), region, efs)
            continue
        if not efs.file_systems:
            yield Result.not_applicable(
                inventory.region_arn("elasticfilesystem", region), region, f"no EFS file systems in {region}"
            )
        for fs in efs.file_systems:
            yield Result.verdict(
                fs.encrypted,
                fs.arn,
                region,
                passed=f"{fs.file_system_id} is encrypted at rest",
                failed=f"{fs.file_system_id} is not encrypted at rest",
            )
