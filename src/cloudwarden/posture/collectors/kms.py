"""KMS, read in every region: each key's manager, state and spec, and the rotation of the keys
that can rotate automatically (enabled, customer managed, symmetric, key material made by KMS).

ListKeys has no details, so each key is described on its own (KMS has no batch form).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from cloudwarden.aws import permissions
from cloudwarden.posture.collectors import Clients
from cloudwarden.posture.inventory import Inventory, paginate, read
from cloudwarden.posture.model import Result, Unknown

SERVICE = "kms"
SCOPE: Literal["global", "regional"] = "regional"
PERMISSIONS = permissions.declare(
    "posture.kms",
    ("kms:ListKeys", "kms:DescribeKey", "kms:GetKeyRotationStatus"),
    purpose="posture: KMS keys' state, deletion schedule and automatic rotation",
)
PENDING_DELETION_STATES = ("PendingDeletion", "PendingReplicaDeletion")


@dataclass(frozen=True)
class KeyDetails:
    manager: str  # CUSTOMER or AWS
    state: str  # Enabled, Disabled, PendingDeletion, PendingImport, ...
    spec: str  # SYMMETRIC_DEFAULT, RSA_2048, HMAC_256, ...
    origin: str  # AWS_KMS, EXTERNAL, AWS_CLOUDHSM, EXTERNAL_KEY_STORE
    deletion_date: datetime | None

    @property
    def customer_managed(self) -> bool:
        return self.manager == "CUSTOMER"

    @property
    def rotatable(self) -> bool:
        """KMS rotates only customer managed symmetric keys whose key material it made itself."""
        return self.customer_managed and self.spec == "SYMMETRIC_DEFAULT" and self.origin == "AWS_KMS"


@dataclass(frozen=True)
class Key:
    arn: str
    key_id: str
    details: KeyDetails | Unknown
    rotation_enabled: bool | Unknown | None  # None: not read (the key is not enabled and rotatable)


@dataclass(frozen=True)
class KmsData:
    keys: tuple[Key, ...]


def collect(clients: Clients, region: str, account_id: str) -> KmsData:
    kms = clients("kms")
    keys = [_key(kms, listed) for listed in paginate(kms, "list_keys", "Keys")]
    return KmsData(keys=tuple(keys))


def _key(kms: Any, listed: dict[str, Any]) -> Key:
    key_id = str(listed["KeyId"])
    details = read(kms, lambda: _details(kms.describe_key(KeyId=key_id)["KeyMetadata"]))
    rotation: bool | Unknown | None = None
    if isinstance(details, KeyDetails) and details.rotatable and details.state == "Enabled":
        rotation = read(kms, lambda: bool(kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"]))
    return Key(arn=str(listed["KeyArn"]), key_id=key_id, details=details, rotation_enabled=rotation)


def _details(metadata: dict[str, Any]) -> KeyDetails:
    return KeyDetails(
        manager=str(metadata.get("KeyManager", "")),
        state=str(metadata.get("KeyState", "")),
        spec=str(metadata.get("KeySpec") or metadata.get("CustomerMasterKeySpec") or ""),
        origin=str(metadata.get("Origin", "")),
        deletion_date=metadata.get("DeletionDate"),
    )


# ---- helpers for the checks -------------------------------------------------------------------

KeyJudge = Callable[[Key, KeyDetails, str], Result | None]


def judge_keys(inventory: Inventory, judge: KeyJudge, nothing: str) -> Iterator[Result]:
    """judge(key, its details, region) for every key, per region; None leaves a key unjudged.

    A region without a judged key is NOT_APPLICABLE with `nothing` (e.g. "no customer managed keys").
    A key whose details could not be read is an ERROR: it might have been one to judge.
    """
    for region, kms in inventory.each(SERVICE):
        where = inventory.region_arn(SERVICE, region)
        if isinstance(kms, Unknown):
            yield Result.error(where, region, kms)
            continue
        results: list[Result] = []
        for key in kms.keys:
            if isinstance(key.details, Unknown):
                results.append(Result.error(key.arn, region, key.details))
                continue
            result = judge(key, key.details, region)
            if result is not None:
                results.append(result)
        yield from results or [Result.not_applicable(where, region, f"{nothing} in {region}")]
