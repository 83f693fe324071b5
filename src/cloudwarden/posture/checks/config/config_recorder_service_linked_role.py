"""AWS FSBP Config.1 (its role requirement): recorders use AWS Config's service-linked role."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="config_recorder_service_linked_role",
    title="AWS Config recorders use the AWSServiceRoleForConfig service-linked role",
    service="config",
    severity=Severity.LOW,
    resource_type="AWS::Config::ConfigurationRecorder",
    risk="A custom recorder role can be edited or deleted by account users, silently leaving the "
    "recorder unable to read some resources; the service-linked role is maintained by AWS and "
    "cannot be weakened.",
    remediation=Remediation(
        summary="Point the recorder at the service-linked role AWSServiceRoleForConfig.",
        cli="aws iam create-service-linked-role --aws-service-name config.amazonaws.com\n"
        "aws configservice put-configuration-recorder --configuration-recorder name=<RECORDER>,"
        "roleARN=arn:aws:iam::<ACCOUNT_ID>:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig",
        cloudformation="AWS::Config::ConfigurationRecorder RoleARN: "
        "!Sub arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws-service-role/config.amazonaws.com/"
        "AWSServiceRoleForConfig",
        terraform="aws_config_configuration_recorder role_arn = aws_iam_service_linked_role.config.arn",
    ),
    reads=("config",),
    prowler_id="config_recorder_using_aws_service_role",
)


def run(inventory: Inventory) -> Iterator[Result]:
    for region, data in inventory.each("config"):
        resource = inventory.region_arn("config", region)
        if isinstance(data, Unknown):
            yield Result.error(resource, region, data)
            continue
        if not data.recorders:
            yield Result.not_applicable(resource, region, "no configuration recorder")
            continue
        custom = [r.name for r in data.recorders if not r.uses_service_linked_role]
        yield Result.verdict(
            not custom,
            resource,
            region,
            passed="the recorder uses the service-linked role AWSServiceRoleForConfig",
            failed=f"recorder {', '.join(custom)} uses a custom IAM role",
        )
