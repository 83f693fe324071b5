"""KMS, read in every region: each key's manager, state and spec, the rotation of the keys
that can rotate automatically (enabled, customer managed, symmetric, key material made by KMS),
and the key policy of each customer managed key.

ListKeys has no details, so each key is described on its own (KMS has no batch form); the keys'
details are read several at a time, as the S3 collector reads its buckets'.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
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
    ("kms:ListKeys", "kms:DescribeKey", "kms:GetKeyRotationStatus", "kms:GetKeyPolicy"),
    purpose="posture: KMS keys' state, deletion schedule, automatic rotation and key policy",
)
DETAIL_WORKERS = 8  # keys whose details are read at the same time
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
    policy: dict[str, Any] | Unknown | None = None  # None: not read (not a customer managed key)


@dataclass(frozen=True)
class KmsData:
    keys: tuple[Key, ...]


def collect(clients: Clients, region: str, account_id: str) -> KmsData:
    kms = clients("kms")
    listed = paginate(kms, "list_keys", "Keys")
    with ThreadPoolExecutor(max_workers=DETAIL_WORKERS) as pool:
        keys = tuple(pool.map(lambda item: _key(kms, item), listed))
    return KmsData(keys=keys)


def _key(kms: Any, listed: dict[str, Any]) -> Key:
    key_id = str(listed["KeyId"])
    details = read(kms, lambda: _details(kms.describe_key(KeyId=key_id)["KeyMetadata"]))
    rotation: bool | Unknown | None = None
    if isinstance(details, KeyDetails) and details.rotatable and details.state == "Enabled":
        rotation = read(kms, lambda: bool(kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"]))
    policy: dict[str, Any] | Unknown | None = None
    if isinstance(details, KeyDetails) and details.customer_managed:
        policy = _policy(read(kms, lambda: kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]))
    return Key(
        arn=str(listed["KeyArn"]), key_id=key_id, details=details, rotation_enabled=rotation, policy=policy
    )


def _policy(raw: str | Unknown) -> dict[str, Any] | Unknown:
    if isinstance(raw, Unknown):
        return raw
    try:
        document = json.loads(raw)
    except ValueError:
        return Unknown("the key policy is not valid JSON")
    return document if isinstance(document, dict) else Unknown("the key policy is not a JSON object")


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
