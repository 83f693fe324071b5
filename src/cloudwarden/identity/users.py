"""People: create one (password policy, unique email), find one, change a password.

Never commits: the boundary does.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloudwarden.alerts.channels.configs import normalize_phone_number
from cloudwarden.audit import service as audit
from cloudwarden.auth.passwords import check_password, hash_password, verify_password
from cloudwarden.errors import NotFound, UsageError
from cloudwarden.identity.config import IdentityConfig
from cloudwarden.store.tenancy import EMAIL_LENGTH, RefreshFamily, User

# Deliberately loose (RFC 5322 is not a regular language): one @, no spaces, a dot in the domain.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")
NAME_MAX = 255


class Conflict(UsageError):
    """The thing exists already (an email that is taken, a slug in use)."""

    code = "conflict"


def normalize_email(email: str) -> str:
    """The email as stored: trimmed, lower case; UsageError when it is not an address."""
    value = email.strip().lower()
    if len(value) > EMAIL_LENGTH or not _EMAIL.match(value):
        raise UsageError("the email is not a valid address, e.g. ana@example.com")
    return value


def check_display_name(name: str) -> str:
    value = " ".join(name.split())
    if not value or len(value) > NAME_MAX or any(ord(ch) < 32 for ch in value):
        raise UsageError(f"the name must be 1 to {NAME_MAX} printable characters")
    return value


def find_by_email(db: Session, email: str) -> User | None:
    return db.scalars(select(User).where(User.email == email, User.deleted_at.is_(None))).first()


def get(db: Session, user_id: str) -> User:
    user = db.get(User, user_id)
    if user is None or user.deleted_at is not None:
        raise NotFound("no such user")
    return user


def create(db: Session, *, config: IdentityConfig, email: str, password: str, display_name: str) -> User:
    """A new person; the password must pass the policy (which also refuses their own name or email)."""
    address = normalize_email(email)
    name = check_display_name(display_name)
    check_password(password, user_inputs=(address, address.split("@")[0], name))
    if find_by_email(db, address) is not None:
        raise Conflict(f"{address} already has an account", hint="sign in, or use another email")
    user = User(
        email=address, display_name=name, password_hash=hash_password(password, parameters=config.passwords)
    )
    db.add(user)
    db.flush()
    return user


def change_password(
    db: Session, *, config: IdentityConfig, user: User, current: str, new: str, source_ip: str | None = None
) -> None:
    """Check the current password, store the new one and end every session of the user."""
    if not verify_password(user.password_hash, current, parameters=config.passwords).ok:
        raise UsageError("the current password is wrong")
    check_password(new, user_inputs=(user.email, user.email.split("@")[0], user.display_name))
    user.password_hash = hash_password(new, parameters=config.passwords)
    revoke_sessions(db, user_id=user.id, reason="password_changed")
    audit_person(db, user=user, action="user.password_change", source_ip=source_ip)


def set_phone(db: Session, *, user: User, phone: str | None, source_ip: str | None = None) -> None:
    """Set (or clear, with None or "") the number WhatsApp replies act as this person from (approvals)."""
    try:
        user.phone = normalize_phone_number(phone) if phone else None
    except ValueError as exc:
        raise UsageError(f"phone: {exc}") from None
    audit_person(
        db, user=user, action="user.phone", source_ip=source_ip, details={"set": user.phone is not None}
    )


def audit_person(
    db: Session,
    *,
    user: User,
    action: str,
    source_ip: str | None,
    target_type: str = "user",
    target_id: str | None = None,
    outcome: audit.Outcome = "success",
    details: dict[str, object] | None = None,
) -> None:
    """An entry in the service's own chain (a person belongs to no one workspace) about them."""
    audit.record(
        db,
        workspace_id=None,
        action=action,
        actor=user.email,
        actor_id=user.id,
        source_ip=source_ip,
        target_type=target_type,
        target_id=target_id or user.id,
        outcome=outcome,
        details=dict(details or {}),
    )


def revoke_sessions(db: Session, *, user_id: str, reason: str, keep: str | None = None) -> int:
    """Revoke every live refresh family of the user but `keep`; how many were revoked."""
    now = datetime.now(UTC)
    families = db.scalars(
        select(RefreshFamily).where(RefreshFamily.user_id == user_id, RefreshFamily.revoked_at.is_(None))
    ).all()
    revoked = 0
    for family in families:
        if family.id != keep:
            family.revoked_at, family.revoked_reason = now, reason
            revoked += 1
    db.flush()
    return revoked
