"""Security Hub, read in every region: whether the hub is enabled, and its enabled standards.

DescribeHub answers InvalidAccessException ("not subscribed to AWS Security Hub") where the
hub is not enabled: that is a value (disabled), not an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from botocore.exceptions import ClientError

from cloudwarden.aws import permissions
from cloudwarden.posture.collectors import Clients
from cloudwarden.posture.inventory import paginate, read
from cloudwarden.posture.model import Unknown

SERVICE = "securityhub"
SCOPE: Literal["global", "regional"] = "regional"
PERMISSIONS = permissions.declare(
    "posture.securityhub",
    ("securityhub:DescribeHub", "securityhub:GetEnabledStandards"),
    purpose="posture: whether Security Hub is enabled, and which standards it runs",
)
NOT_ENABLED = "InvalidAccessException"


@dataclass(frozen=True)
class Standard:
    arn: str  # the standard's ARN
    subscription_arn: str
    status: str  # READY, PENDING, INCOMPLETE, DELETING, FAILED


@dataclass(frozen=True)
class SecurityHubData:
    hub_arn: str | None  # None: Security Hub is not enabled in the region
    standards: tuple[Standard, ...] | Unknown  # () when not enabled

    @property
    def enabled(self) -> bool:
        return self.hub_arn is not None


def collect(clients: Clients, region: str, account_id: str) -> SecurityHubData:
    hub = clients("securityhub")
    try:
        arn = (
            hub.describe_hub().get("HubArn")
            or f"arn:{hub.meta.partition}:securityhub:{region}:{account_id}:hub/default"
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == NOT_ENABLED:
            return SecurityHubData(hub_arn=None, standards=())
        raise
    standards = read(
        hub,
        lambda: tuple(_standard(s) for s in paginate(hub, "get_enabled_standards", "StandardsSubscriptions")),
    )
    return SecurityHubData(hub_arn=str(arn), standards=standards)


def _standard(item: dict[str, Any]) -> Standard:
    return Standard(
        arn=str(item.get("StandardsArn", "")),
        subscription_arn=str(item.get("StandardsSubscriptionArn", "")),
        status=str(item.get("StandardsStatus", "")),
    )
