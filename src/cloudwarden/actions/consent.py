"""Single-use, 90-second consents, bound to workspace, approver, action, resource and parameters.

    issued = issue(db=db, proposal=p, approver_id=user.id, approver=user.email, via="api")
    issued.token                    # cw_consent_<id>_<secret>: shown once, only its digest is kept
    consent = redeem(db=db, workspace_id=ws, token=t, user_id=user.id, action=a, resource=r, params=p)

`redeem` refuses, with the reason, a consent that is unknown or another workspace's (the same
answer for both), whose secret does not match, that was used already, that expired, that was
issued to someone else, or that is presented with another action, resource or parameters. It
marks the consent used under the row's lock, so two concurrent uses cannot both pass.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloudwarden.errors import UsageError
from cloudwarden.store.alerting import ActionProposal, Consent
from cloudwarden.store.types import utcnow

TTL = timedelta(seconds=90)
PREFIX = "cw_consent_"
Reason = Literal["unknown", "invalid", "used", "expired", "not_approver", "altered"]


class ConsentRefused(UsageError):
    """A consent that cannot authorise this execution; `reason` says which rule it broke."""

    code = "consent_refused"

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Issued:
    consent: Consent
    token: str


def params_digest(params: dict[str, Any]) -> str:
    """A canonical digest: the same parameters in any key order give the same digest."""
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue(
    *,
    db: Session,
    proposal: ActionProposal,
    approver_id: str,
    approver: str,
    via: Literal["api", "console", "whatsapp"],
    now: datetime | None = None,
) -> Issued:
    now = now or utcnow()
    secret = secrets.token_urlsafe(32)
    consent = Consent(
        workspace_id=proposal.workspace_id,
        proposal_id=proposal.id,
        approver_id=approver_id,
        approver=approver,
        via=via,
        action=proposal.action,
        resource=proposal.resource,
        params_digest=params_digest(proposal.params),
        secret_digest=_digest(secret),
        issued_at=now,
        expires_at=now + TTL,
    )
    db.add(consent)
    db.flush()
    return Issued(consent=consent, token=f"{PREFIX}{consent.id}_{secret}")


def redeem(
    *,
    db: Session,
    workspace_id: str,
    token: str,
    user_id: str,
    action: str,
    resource: str,
    params: dict[str, Any],
    now: datetime | None = None,
) -> Consent:
    now = now or utcnow()
    consent_id, secret = _split(token)
    consent = (
        db.scalars(select(Consent).where(Consent.id == consent_id).with_for_update()).first()
        if consent_id
        else None
    )
    # Same work and the same answer for a missing consent and another workspace's.
    presented = _digest(secret)
    stored = consent.secret_digest if consent is not None else _digest("")
    matches = hmac.compare_digest(presented, stored)
    if consent is None or consent.workspace_id != workspace_id:
        raise ConsentRefused("unknown", "no such consent in this workspace")
    if not matches:
        raise ConsentRefused("invalid", "the consent's secret does not match")
    if consent.used_at is not None:
        raise ConsentRefused("used", f"this consent was used at {consent.used_at.isoformat()}; approve again")
    if now >= consent.expires_at:
        raise ConsentRefused(
            "expired",
            f"this consent expired at {consent.expires_at.isoformat()} (a consent is valid "
            f"{int(TTL.total_seconds())} s); approve again",
        )
    if consent.approver_id != user_id:
        raise ConsentRefused("not_approver", "this consent was issued to another person")
    altered = [
        name
        for name, given, bound in (
            ("action", action, consent.action),
            ("resource", resource, consent.resource),
            ("params", params_digest(params), consent.params_digest),
        )
        if given != bound
    ]
    if altered:
        raise ConsentRefused(
            "altered",
            f"the consent was given for other {' and '.join(altered)}: it covers {consent.action} on "
            f"{consent.resource} with the proposed parameters only",
        )
    consent.used_at = now
    db.flush()
    return consent


def _split(token: str) -> tuple[str | None, str]:
    if not token.startswith(PREFIX):
        return None, ""
    consent_id, _, secret = token.removeprefix(PREFIX).partition("_")
    if len(consent_id) != 36 or not secret:
        return None, ""
    return consent_id, secret
