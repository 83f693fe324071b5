"""IAM Access Analyzer, read in every region: its analyzers, their type and status."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cloudwarden.aws import permissions
from cloudwarden.posture.collectors import Clients
from cloudwarden.posture.inventory import paginate

SERVICE = "accessanalyzer"
SCOPE: Literal["global", "regional"] = "regional"
PERMISSIONS = permissions.declare(
    "posture.accessanalyzer",
    ("access-analyzer:ListAnalyzers",),
    purpose="posture: IAM Access Analyzer analyzers in each region, their type and status",
)
# The analyzers that report access from outside the account or organization (the others report
# unused or internal access).
EXTERNAL_ACCESS_TYPES = frozenset({"ACCOUNT", "ORGANIZATION"})


@dataclass(frozen=True)
class Analyzer:
    name: str
    arn: str
    type: str  # ACCOUNT, ORGANIZATION, ACCOUNT_UNUSED_ACCESS, ...
    status: str  # ACTIVE, CREATING, DISABLED, FAILED

    @property
    def external_access(self) -> bool:
        return self.type in EXTERNAL_ACCESS_TYPES


@dataclass(frozen=True)
class AccessAnalyzerData:
    analyzers: tuple[Analyzer, ...]


def collect(clients: Clients, region: str, account_id: str) -> AccessAnalyzerData:
    analyzer = clients("accessanalyzer")
    return AccessAnalyzerData(
        analyzers=tuple(
            Analyzer(
                name=str(a["name"]), arn=str(a["arn"]), type=str(a["type"]), status=str(a.get("status", ""))
            )
            for a in paginate(analyzer, "list_analyzers", "analyzers")
        )
    )
