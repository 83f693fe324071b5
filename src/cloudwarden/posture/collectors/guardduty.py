"""GuardDuty, read in every region: the detectors and, for each, its status and protections."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from cloudwarden.aws import permissions
from cloudwarden.posture.collectors import Clients
from cloudwarden.posture.inventory import Inventory, paginate, read
from cloudwarden.posture.model import Result, Unknown

SERVICE = "guardduty"
SCOPE: Literal["global", "regional"] = "regional"
PERMISSIONS = permissions.declare(
    "posture.guardduty",
    ("guardduty:ListDetectors", "guardduty:GetDetector"),
    purpose="posture: GuardDuty detectors, whether they are enabled, and their protections",
)


@dataclass(frozen=True)
class DetectorDetail:
    enabled: bool
    features: dict[str, bool]  # feature name (S3_DATA_EVENTS, RDS_LOGIN_EVENTS, ...) -> enabled
    s3_protection: bool  # S3_DATA_EVENTS, or the older dataSources.s3Logs


@dataclass(frozen=True)
class Detector:
    id: str
    arn: str
    detail: DetectorDetail | Unknown


@dataclass(frozen=True)
class GuardDutyData:
    detectors: tuple[Detector, ...]


def collect(clients: Clients, region: str, account_id: str) -> GuardDutyData:
    guardduty = clients("guardduty")
    partition = guardduty.meta.partition
    detectors = []
    for detector_id in paginate(guardduty, "list_detectors", "DetectorIds"):
        detail = read(guardduty, functools.partial(_detail, guardduty, detector_id))
        arn = f"arn:{partition}:guardduty:{region}:{account_id}:detector/{detector_id}"
        detectors.append(Detector(id=detector_id, arn=arn, detail=detail))
    return GuardDutyData(detectors=tuple(detectors))


def _detail(guardduty: Any, detector_id: str) -> DetectorDetail:
    response = guardduty.get_detector(DetectorId=detector_id)
    features = {str(f.get("Name")): f.get("Status") == "ENABLED" for f in response.get("Features") or []}
    s3_logs = ((response.get("DataSources") or {}).get("S3Logs") or {}).get("Status") == "ENABLED"
    return DetectorDetail(
        enabled=response.get("Status") == "ENABLED",
        features=features,
        s3_protection=features.get("S3_DATA_EVENTS", s3_logs),
    )


# ---- helpers for the checks ---------------------------------------------------------------------


def judge_enabled_detectors(
    inventory: Inventory, judge: Callable[[Detector, DetectorDetail, str], Result]
) -> Iterator[Result]:
    """judge(detector, its detail, region) for every enabled detector, per region; an unread
    detector is an ERROR, a region without an enabled detector NOT_APPLICABLE."""
    for region, data in inventory.each(SERVICE):
        where = inventory.region_arn(SERVICE, region)
        if isinstance(data, Unknown):
            yield Result.error(where, region, data)
            continue
        results = [
            Result.error(d.arn, region, d.detail)
            if isinstance(d.detail, Unknown)
            else judge(d, d.detail, region)
            for d in data.detectors
            if isinstance(d.detail, Unknown) or d.detail.enabled
        ]
        yield from results or [
            Result.not_applicable(where, region, "GuardDuty is not enabled in this region")
        ]
