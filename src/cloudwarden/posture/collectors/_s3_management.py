"""The S3 collector's reads of how each bucket is managed: object ownership (whether ACLs still
apply), lifecycle rules, event notifications and Object Lock (FSBP S3.10, S3.11, S3.12, S3.13,
S3.15). One call per setting and bucket, as for the other settings; a refusal of one leaves that
field Unknown and the bucket's other settings judged. Apart from `s3.py` so each module stays
small (a leading underscore: a part of a collector, not one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cloudwarden.posture.inventory import read
from cloudwarden.posture.model import Unknown

NOT_READ = Unknown("not read")  # a bucket built without these reads (tests, older inventories)


@dataclass(frozen=True)
class BucketManagement:
    # BucketOwnerEnforced (ACLs disabled), BucketOwnerPreferred or ObjectWriter; None: no
    # ownership controls at all, so ACLs apply (a bucket made before April 2023, or by an old API).
    ownership: str | Unknown | None = field(default=NOT_READ)
    lifecycle_rules: int | Unknown = field(default=NOT_READ)  # enabled rules
    notifications: tuple[str, ...] | Unknown = field(default=NOT_READ)  # the kinds of destination
    object_lock: bool | Unknown = field(default=NOT_READ)


def read_management(s3: Any, name: str) -> BucketManagement:
    return BucketManagement(
        ownership=read(
            s3,
            lambda: _ownership(s3.get_bucket_ownership_controls(Bucket=name)),
            missing=("OwnershipControlsNotFoundError",),
        ),
        lifecycle_rules=read(
            s3,
            lambda: _enabled_rules(s3.get_bucket_lifecycle_configuration(Bucket=name)),
            missing=("NoSuchLifecycleConfiguration",),
            absent=0,
        ),
        notifications=read(s3, lambda: _destinations(s3.get_bucket_notification_configuration(Bucket=name))),
        object_lock=read(
            s3,
            lambda: _locked(s3.get_object_lock_configuration(Bucket=name)),
            missing=("ObjectLockConfigurationNotFoundError",),
            absent=False,
        ),
    )


def _ownership(response: dict[str, Any]) -> str | None:
    rules = response.get("OwnershipControls", {}).get("Rules") or []
    return str(rules[0]["ObjectOwnership"]) if rules else None


def _enabled_rules(response: dict[str, Any]) -> int:
    return sum(1 for rule in response.get("Rules") or () if rule.get("Status") == "Enabled")


def _destinations(response: dict[str, Any]) -> tuple[str, ...]:
    kinds = {
        "TopicConfigurations": "SNS",
        "QueueConfigurations": "SQS",
        "LambdaFunctionConfigurations": "Lambda",
    }
    found = [kind for key, kind in kinds.items() if response.get(key)]
    if "EventBridgeConfiguration" in response:  # an empty object when EventBridge is on
        found.append("EventBridge")
    return tuple(found)


def _locked(response: dict[str, Any]) -> bool:
    return bool(response.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") == "Enabled")
