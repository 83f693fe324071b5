"""SNS HTTP deliveries signed as AWS signs them.

moto signs the canonical string without the Subject even when a message has one; AWS includes
it. CloudWatch alarm notifications always carry a Subject, so without this patch every alarm
would fail CloudWarden's (correct) signature check. We re-sign with the same per-subscription
key moto generated, whose certificate moto already serves.
"""

from __future__ import annotations

import base64
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from cloudwarden.simulator.patches import Injector

INJECTORS: dict[str, Injector] = {}
_MARK = "_cloudwarden_signs_subject"


def canonical(post_data: dict[str, Any]) -> bytes:
    keys = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    return "".join(f"{k}\n{post_data[k]}\n" for k in keys if k in post_data).encode()


def apply() -> None:
    from moto.sns.models import Subscription

    original = Subscription.get_post_data
    if getattr(original, _MARK, False):
        return

    def get_post_data(self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        data: dict[str, Any] = original(self, *args, **kwargs)
        if data.get("Subject") is not None:
            signature = self.private_key().sign(canonical(data), padding.PKCS1v15(), hashes.SHA256())
            data["Signature"] = base64.b64encode(signature).decode()
        return data

    setattr(get_post_data, _MARK, True)
    Subscription.get_post_data = get_post_data  # type: ignore[method-assign]


def reset() -> None:
    return None
