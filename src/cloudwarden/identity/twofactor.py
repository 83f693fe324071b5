"""TOTP two-factor authentication of a person: enrol, confirm, check a code, turn off.

The secret is sealed with the service's data key (vault/), bound to the user's row; backup
codes are stored as peppered HMACs and each works once. Never commits: the boundary does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from cloudwarden.auth import totp
from cloudwarden.auth.passwords import verify_password
from cloudwarden.errors import UsageError
from cloudwarden.identity import users
from cloudwarden.identity.config import IdentityConfig
from cloudwarden.store.tenancy import User
from cloudwarden.vault import service as vault

FIELD = "users.totp_secret"


@dataclass(frozen=True)
class Enrolment:
    secret: str  # for typing into the app by hand
    provisioning_uri: str  # for the QR code


def start(db: Session, *, config: IdentityConfig, user: User, source_ip: str | None = None) -> Enrolment:
    """A new secret, stored sealed but not enabled until a code from it is confirmed."""
    if user.totp_enabled_at is not None:
        raise UsageError(
            "two-factor authentication is already on", hint="turn it off first to enrol another device"
        )
    enrolment = totp.new_enrolment(account_label=user.email)
    user.totp_secret = vault.seal(
        db, provider=config.keys, workspace_id=None, field=FIELD, row=user.id, value=enrolment.secret
    )
    user.totp_last_step = None
    db.flush()
    users.audit_person(db, user=user, action="2fa.enrolment_start", source_ip=source_ip)
    return Enrolment(secret=enrolment.secret, provisioning_uri=enrolment.provisioning_uri)


def pending(db: Session, *, config: IdentityConfig, user: User) -> Enrolment | None:
    """The enrolment started but not yet confirmed, to show again (its QR code), or None."""
    if user.totp_enabled_at is not None or user.totp_secret is None:
        return None
    enrolment = totp.enrolment_of(_secret(db, config, user), account_label=user.email)
    return Enrolment(secret=enrolment.secret, provisioning_uri=enrolment.provisioning_uri)


def confirm(
    db: Session,
    *,
    config: IdentityConfig,
    user: User,
    code: str,
    session_id: str | None,
    source_ip: str | None = None,
) -> tuple[str, ...]:
    """Turn 2FA on with a first code; the backup codes (shown once). Other sessions are ended."""
    if user.totp_enabled_at is not None:
        raise UsageError("two-factor authentication is already on")
    if user.totp_secret is None:
        raise UsageError("no enrolment is in progress", hint="start one with POST /api/v1/me/2fa/enrolment")
    step = totp.verify_totp(_secret(db, config, user), code, last_used_step=None)
    if step is None:
        raise UsageError("the code is wrong or has expired", hint="type the code the app shows now")
    codes = totp.generate_backup_codes(pepper=config.pepper, subject=user.id)
    user.totp_last_step = step
    user.totp_enabled_at = datetime.now(UTC)
    user.backup_code_hashes = list(codes.hashes)
    users.revoke_sessions(db, user_id=user.id, reason="two_factor_changed", keep=session_id)
    users.audit_person(db, user=user, action="2fa.enable", source_ip=source_ip)
    return codes.codes


def check_code(db: Session, *, config: IdentityConfig, user: User, code: str) -> bool:
    """Whether `code` (a TOTP code or an unused backup code) is right; spends it if so.

    The caller holds the user's row lock, so a code cannot be spent twice concurrently.
    """
    compact = code.replace(" ", "")
    if compact.isdigit():
        step = totp.verify_totp(_secret(db, config, user), compact, last_used_step=user.totp_last_step)
        if step is None:
            return False
        user.totp_last_step = step
        return True
    used = totp.use_backup_code(code, user.backup_code_hashes or [], pepper=config.pepper, subject=user.id)
    if used is None:
        return False
    user.backup_code_hashes = list(used.remaining)
    return True


def disable(
    db: Session, *, config: IdentityConfig, user: User, password: str, code: str, source_ip: str | None = None
) -> None:
    """Turn 2FA off: the password and a current code (or a backup code) are both required."""
    if user.totp_enabled_at is None:
        raise UsageError("two-factor authentication is not on")
    if not verify_password(user.password_hash, password, parameters=config.passwords).ok or not check_code(
        db, config=config, user=user, code=code
    ):
        raise UsageError("the password or the code is wrong")
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    user.backup_code_hashes = []
    users.audit_person(db, user=user, action="2fa.disable", source_ip=source_ip)


def remaining_backup_codes(user: User) -> int:
    return len(user.backup_code_hashes or [])


def _secret(db: Session, config: IdentityConfig, user: User) -> str:
    assert user.totp_secret is not None
    return vault.unseal(
        db, provider=config.keys, workspace_id=None, field=FIELD, row=user.id, token=user.totp_secret
    )
