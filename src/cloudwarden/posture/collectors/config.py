"""AWS Config, read in every region: configuration recorders, their status, delivery channels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from cloudwarden.aws import permissions
from cloudwarden.posture.collectors import Clients
from cloudwarden.posture.inventory import read
from cloudwarden.posture.model import Unknown

SERVICE = "config"
SCOPE: Literal["global", "regional"] = "regional"
PERMISSIONS = permissions.declare(
    "posture.config",
    (
        "config:DescribeConfigurationRecorders",
        "config:DescribeConfigurationRecorderStatus",
        "config:DescribeDeliveryChannels",
    ),
    purpose="posture: AWS Config recorders, whether they record, and their delivery channels",
)
SERVICE_LINKED_ROLE = "/aws-service-role/config.amazonaws.com/"


@dataclass(frozen=True)
class Recorder:
    name: str
    role_arn: str
    all_supported: bool  # records every supported resource type, current and future
    include_global: bool  # also records global resource types (IAM)
    recording: bool | Unknown
    last_status: str | None  # "SUCCESS", "PENDING", "FAILURE" or None

    @property
    def uses_service_linked_role(self) -> bool:
        return SERVICE_LINKED_ROLE in self.role_arn


@dataclass(frozen=True)
class DeliveryChannel:
    name: str
    s3_bucket: str | None


@dataclass(frozen=True)
class ConfigData:
    recorders: tuple[Recorder, ...]
    delivery_channels: tuple[DeliveryChannel, ...] | Unknown


def collect(clients: Clients, region: str, account_id: str) -> ConfigData:
    config = clients("config")
    listed = config.describe_configuration_recorders().get("ConfigurationRecorders", [])
    statuses = read(config, lambda: _statuses(config.describe_configuration_recorder_status()))
    channels = read(
        config,
        lambda: tuple(
            DeliveryChannel(name=c.get("name", ""), s3_bucket=c.get("s3BucketName") or None)
            for c in config.describe_delivery_channels().get("DeliveryChannels", [])
        ),
    )
    return ConfigData(
        recorders=tuple(_recorder(item, statuses) for item in listed),
        delivery_channels=channels,
    )


def _statuses(response: dict[str, Any]) -> dict[str, tuple[bool, str | None]]:
    return {
        s.get("name", ""): (bool(s.get("recording")), s.get("lastStatus") or None)
        for s in response.get("ConfigurationRecordersStatus", [])
    }


def _recorder(item: dict[str, Any], statuses: dict[str, tuple[bool, str | None]] | Unknown) -> Recorder:
    group = item.get("recordingGroup") or {}
    strategy = (group.get("recordingStrategy") or {}).get("useOnly")
    all_supported = bool(group.get("allSupported")) and strategy in (None, "ALL_SUPPORTED_RESOURCE_TYPES")
    name = item.get("name", "")
    recording: bool | Unknown
    last_status: str | None = None
    if isinstance(statuses, Unknown):
        recording = statuses
    else:
        recording, last_status = statuses.get(name, (False, None))
    return Recorder(
        name=name,
        role_arn=item.get("roleARN", ""),
        all_supported=all_supported,
        include_global=bool(group.get("includeGlobalResourceTypes")),
        recording=recording,
        last_status=last_status,
    )
