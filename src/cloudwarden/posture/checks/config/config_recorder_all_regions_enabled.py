"""CIS AWS Foundations v3.0 3.3, AWS FSBP Config.1: AWS Config records every resource type in
every region (global resource types in at least one), with a delivery channel."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.config import ConfigData, Recorder
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="config_recorder_all_regions_enabled",
    title="AWS Config records all resource types in every region, with a delivery channel",
    service="config",
    severity=Severity.MEDIUM,
    resource_type="AWS::Config::ConfigurationRecorder",
    risk="Without a recorder in a region, changes to its resources leave no configuration "
    "history: drift, a resource created by an intruder or a setting changed before an incident "
    "cannot be reconstructed, and Config rules and Security Hub controls have nothing to evaluate.",
    remediation=Remediation(
        summary="In every region, record all supported resource types (global ones, such as IAM, in "
        "one region), add a delivery channel to an S3 bucket, and start the recorder.",
        cli="aws configservice put-configuration-recorder --configuration-recorder "
        "name=default,roleARN=<ROLE_ARN> --recording-group allSupported=true,includeGlobalResourceTypes=true\n"
        "aws configservice put-delivery-channel --delivery-channel name=default,s3BucketName=<BUCKET>\n"
        "aws configservice start-configuration-recorder --configuration-recorder-name default",
        cloudformation="AWS::Config::ConfigurationRecorder RecordingGroup: {AllSupported: true, "
        "IncludeGlobalResourceTypes: true} and AWS::Config::DeliveryChannel S3BucketName: <bucket>",
        terraform="aws_config_configuration_recorder recording_group { all_supported = true, "
        "include_global_resource_types = true }, aws_config_delivery_channel, and "
        "aws_config_configuration_recorder_status is_enabled = true",
    ),
    reads=("config",),
    prowler_id="config_recorder_all_regions_enabled",
)


def run(inventory: Inventory) -> Iterator[Result]:
    global_regions: list[str] = []
    unknown: list[str] = []
    for region, data in inventory.each("config"):
        resource = inventory.region_arn("config", region)
        if isinstance(data, Unknown):
            unknown.append(data.reason)
            yield Result.error(resource, region, data)
            continue
        verdict = _region(data)
        if isinstance(verdict, Unknown):
            unknown.append(verdict.reason)
            yield Result.error(resource, region, verdict)
        elif verdict:
            yield Result.failed(resource, region, verdict)
        else:
            names = ", ".join(r.name for r in _complete(data))
            yield Result.passed(resource, region, f"recorder {names} records all resource types")
            if any(r.include_global for r in _complete(data)):
                global_regions.append(region)
    if global_regions:
        reason = f"global resource types (IAM) are recorded in {', '.join(global_regions)}"
        yield Result.passed(inventory.account_arn, "global", reason)
    elif unknown:
        yield Result.error(inventory.account_arn, "global", unknown[0])
    else:
        yield Result.failed(inventory.account_arn, "global", "no region records global resource types (IAM)")


def _complete(data: ConfigData) -> list[Recorder]:
    return [r for r in data.recorders if r.all_supported and r.recording is True]


def _region(data: ConfigData) -> str | Unknown | None:
    """None when the region records everything and delivers it; else why not."""
    if not data.recorders:
        return "no configuration recorder"
    if isinstance(data.delivery_channels, Unknown):
        return data.delivery_channels
    for recorder in data.recorders:
        if isinstance(recorder.recording, Unknown):
            return recorder.recording
    if not _complete(data):
        partial = [r.name for r in data.recorders if r.recording is True]
        if partial:
            return f"recorder {', '.join(partial)} records only some resource types"
        return f"recorder {', '.join(r.name for r in data.recorders)} is not recording"
    if not data.delivery_channels:
        return "the recorder has no delivery channel"
    return None
