"""S3 access points, read in every region (an access point belongs to one region, as its bucket
does): each one's Block Public Access settings, fixed when it was created.

ListAccessPoints (S3 Control) names them without their settings, so each is read with
GetAccessPoint, several at a time as the S3 collector reads its buckets. Only the access points of
the listing's own region are kept (their ARN names it): moto keeps them account-wide.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

from cloudwarden.aws import permissions
from cloudwarden.posture.collectors import Clients
from cloudwarden.posture.collectors.s3 import PublicAccessBlock
from cloudwarden.posture.inventory import read
from cloudwarden.posture.model import Unknown

SERVICE = "s3_access_points"
SCOPE: Literal["global", "regional"] = "regional"
PERMISSIONS = permissions.declare(
    "posture.s3_access_points",
    ("s3:ListAccessPoints", "s3:GetAccessPoint"),
    purpose="posture: S3 access points and their Block Public Access settings",
)
DETAIL_WORKERS = 8


@dataclass(frozen=True)
class AccessPoint:
    name: str
    arn: str
    bucket: str
    network_origin: str  # Internet or VPC
    public_access_block: PublicAccessBlock | Unknown


@dataclass(frozen=True)
class AccessPointData:
    access_points: tuple[AccessPoint, ...]


def collect(clients: Clients, region: str, account_id: str) -> AccessPointData:
    s3control = clients("s3control")
    listed = [item for item in _list(s3control, account_id) if _region(item) in (region, None)]
    with ThreadPoolExecutor(max_workers=DETAIL_WORKERS) as pool:
        points = tuple(pool.map(lambda item: _access_point(s3control, account_id, item), listed))
    return AccessPointData(access_points=points)


def _list(s3control: Any, account_id: str) -> list[dict[str, Any]]:
    """Every access point ListAccessPoints names (it has no botocore paginator)."""
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"AccountId": account_id}
    while True:
        page = s3control.list_access_points(**kwargs)
        items += page.get("AccessPointList") or []
        if not page.get("NextToken"):
            return items
        kwargs["NextToken"] = page["NextToken"]


def _region(item: dict[str, Any]) -> str | None:
    parts = str(item.get("AccessPointArn", "")).split(":")
    return parts[3] if len(parts) > 3 and parts[3] else None


def _access_point(s3control: Any, account_id: str, item: dict[str, Any]) -> AccessPoint:
    name = str(item["Name"])
    block = read(
        s3control,
        lambda: PublicAccessBlock.parse(
            s3control.get_access_point(AccountId=account_id, Name=name).get("PublicAccessBlockConfiguration")
            or {}
        ),
    )
    return AccessPoint(
        name=name,
        arn=str(item.get("AccessPointArn") or name),
        bucket=str(item.get("Bucket", "")),
        network_origin=str(item.get("NetworkOrigin", "")),
        public_access_block=block,
    )
