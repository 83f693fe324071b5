"""CIS 1.6, AWS FSBP IAM.6: the root user's MFA is a hardware device, not a virtual one."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.checks.iam import root_row, summary_value
from cloudwarden.posture.inventory import GLOBAL, Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="iam_root_hardware_mfa_enabled",
    title="The root user's MFA is a hardware device",
    service="iam",
    severity=Severity.CRITICAL,
    resource_type="AWS::IAM::User",
    risk="A virtual MFA lives on a phone or laptop that is lost, backed up, shared and attacked "
    "like any other app; for the root user a dedicated hardware key (FIDO or TOTP token) kept "
    "under control is the only factor that cannot be copied.",
    remediation=Remediation(
        summary="Sign in as root, register a hardware MFA device (FIDO security key or hardware "
        "TOTP token) under Security credentials, then remove the virtual device.",
        cli="aws iam list-virtual-mfa-devices --assignment-status Assigned  # find the root's "
        "virtual device; replace it in the console signed in as root",
        cloudformation="Root MFA cannot be managed by CloudFormation; assign it in the console.",
        terraform="Root MFA cannot be managed by Terraform; assign it in the console.",
    ),
    reads=("iam",),
    prowler_id="iam_root_hardware_mfa_enabled",
)
ROOT_VIRTUAL_SERIAL = ":mfa/root-account-mfa-device"


def run(inventory: Inventory) -> Iterator[Result]:
    found = root_row(inventory)
    if isinstance(found, Result):
        yield found
        return
    data, row = found
    if not row.mfa_active or summary_value(data, "AccountMFAEnabled") == 0:
        yield Result.failed(row.arn, GLOBAL, "the root user has no MFA device at all")
        return
    devices = data.virtual_mfa_devices
    if isinstance(devices, Unknown):
        yield Result.error(row.arn, GLOBAL, devices)
        return
    virtual = [d for d in devices if d.user_arn == row.arn or d.serial.endswith(ROOT_VIRTUAL_SERIAL)]
    if virtual:
        yield Result.failed(row.arn, GLOBAL, f"the root user's MFA is the virtual device {virtual[0].serial}")
    else:
        yield Result.passed(row.arn, GLOBAL, "the root user's MFA device is not a virtual one")
