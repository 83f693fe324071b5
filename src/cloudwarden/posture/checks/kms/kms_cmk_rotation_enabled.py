from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.kms import Key, KeyDetails, judge_keys
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="kms_cmk_rotation_enabled",
    title="Customer managed symmetric KMS keys rotate their key material automatically",
    service="kms",
    severity=Severity.MEDIUM,
    resource_type="AWS::KMS::Key",
    risk="Key material that never changes protects ever more data for ever longer; if it is ever "
    "exposed, everything it encrypted since its creation is readable.",
    remediation=Remediation(
        summary="Enable automatic rotation on the key (yearly by default; KMS keeps old material so "
        "existing ciphertext still decrypts).",
        cli="aws kms enable-key-rotation --key-id <KEY_ID>",
        cloudformation="AWS::KMS::Key EnableKeyRotation: true",
        terraform='resource "aws_kms_key" "this" {\n  enable_key_rotation = true\n}',
    ),
    reads=("kms",),
    prowler_id="kms_cmk_rotation_enabled",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_keys(inventory, _judge, "no enabled customer managed symmetric keys")


def _judge(key: Key, details: KeyDetails, region: str) -> Result | None:
    if not details.rotatable or details.state != "Enabled":
        return None
    rotation = key.rotation_enabled
    if isinstance(rotation, Unknown):
        return Result.error(key.arn, region, rotation)
    if rotation is None:
        return Result.error(key.arn, region, "the key's rotation status was not read")
    return Result.verdict(
        rotation,
        key.arn,
        region,
        passed="automatic key rotation is enabled",
        failed="automatic key rotation is disabled",
    )
