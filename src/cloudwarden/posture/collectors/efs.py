"""EFS, read in every region: each file system and whether it is encrypted at rest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cloudwarden.aws import permissions
from cloudwarden.posture.collectors import Clients
from cloudwarden.posture.inventory import paginate

SERVICE = "efs"
SCOPE: Literal["global", "regional"] = "regional"
PERMISSIONS = permissions.declare(
    "posture.efs",
    ("elasticfilesystem:DescribeFileSystems",),
    purpose="posture: EFS file systems' encryption at rest",
)


@dataclass(frozen=True)
class FileSystem:
    arn: str
    file_system_id: str
    encrypted: bool


@dataclass(frozen=True)
class EfsData:
    file_systems: tuple[FileSystem, ...]


def collect(clients: Clients, region: str, account_id: str) -> EfsData:
    efs = clients("efs")
    return EfsData(
        file_systems=tuple(
            FileSystem(
                arn=str(fs.get("FileSystemArn")
                        or f"arn:aws:elasticfilesystem:{region}:{account_id}:file-system/{fs['FileSystemId']}"),
                file_system_id=str(fs["FileSystemId"]),
                encrypted=bool(fs.get("Encrypted")),
            )
            for fs in paginate(efs, "describe_file_systems", "FileSystems")
        )
    )  # fmt: skip
