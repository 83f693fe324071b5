"""Signing in and out, rotating refresh tokens, and who a bearer credential is.

A refusal that must outlive the request (a counted failed sign-in, a family revoked because a
rotated refresh token came back) is returned, not raised: the boundary commits, then answers
with `outcome.refusal`. Never commits itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloudwarden.audit import service as audit
from cloudwarden.auth import api_tokens, refresh
from cloudwarden.auth.errors import InvalidToken
from cloudwarden.auth.passwords import dummy_verify, verify_password
from cloudwarden.auth.tokens import AccessToken, decode_access, issue_access_token
from cloudwarden.errors import CloudWardenError, UsageError
from cloudwarden.identity import twofactor, users
from cloudwarden.identity.access import Principal
from cloudwarden.identity.config import IdentityConfig
from cloudwarden.store import rls
from cloudwarden.store.tenancy import ApiToken, RefreshFamily, RefreshToken, User


class InvalidCredentials(UsageError):
    """Email, password or second factor refused; the message never says which."""

    code = "invalid_credentials"


class CodeRequired(UsageError):
    """The password was right and the account has 2FA: send the code (or a backup code) too."""

    code = "two_factor_code_required"


@dataclass(frozen=True)
class Tokens:
    access: AccessToken
    refresh_token: str
    refresh_expires_at: datetime
    session_id: str


@dataclass(frozen=True)
class Outcome:
    user: User | None = None
    tokens: Tokens | None = None
    refusal: CloudWardenError | None = None


_WRONG = "the email, password or code is wrong"


def sign_in(
    db: Session,
    *,
    config: IdentityConfig,
    email: str,
    password: str,
    code: str | None = None,
    source_ip: str | None = None,
) -> Outcome:
    now = datetime.now(UTC)
    try:
        address = users.normalize_email(email)
    except UsageError:
        address = None
    user = (
        db.scalars(
            select(User).where(User.email == address, User.deleted_at.is_(None)).with_for_update()
        ).first()
        if address
        else None
    )

    refuse = _refuser(db, address=address, user=user, source_ip=source_ip)
    if user is None:
        dummy_verify(parameters=config.passwords)  # the same time as for a real account
        return refuse("unknown_email")
    if user.locked_until is not None and user.locked_until > now:
        dummy_verify(parameters=config.passwords)
        return refuse("locked")
    checked = verify_password(user.password_hash, password, parameters=config.passwords)
    if not checked.ok:
        _count_failure(user, config=config, now=now)
        return refuse("wrong_password")
    if user.totp_enabled_at is not None:
        if not code:
            return refuse(
                "code_missing",
                CodeRequired(
                    "this account has two-factor authentication: send the code from the app",
                    hint='repeat the request with "code" (or a backup code)',
                ),
            )
        if not twofactor.check_code(db, config=config, user=user, code=code):
            _count_failure(user, config=config, now=now)
            return refuse("wrong_code")
    if checked.new_hash:
        user.password_hash = checked.new_hash
    return _admit(db, config=config, user=user, now=now, source_ip=source_ip)


def complete_two_factor(
    db: Session, *, config: IdentityConfig, user_id: str, code: str, source_ip: str | None = None
) -> Outcome:
    """The second step of a sign-in whose password was already accepted (the console's code page).

    The caller proves the first step (a short-lived challenge it signed); this checks the code
    exactly as `sign_in` does: counted failures, lockout and the audit entry are the same.
    """
    now = datetime.now(UTC)
    user = db.scalars(
        select(User).where(User.id == user_id, User.deleted_at.is_(None)).with_for_update()
    ).first()
    refuse = _refuser(db, address=user.email if user else None, user=user, source_ip=source_ip)
    if user is None or user.totp_enabled_at is None:
        return refuse("unknown_challenge")
    if user.locked_until is not None and user.locked_until > now:
        return refuse("locked")
    if not twofactor.check_code(db, config=config, user=user, code=code):
        _count_failure(user, config=config, now=now)
        return refuse("wrong_code")
    return _admit(db, config=config, user=user, now=now, source_ip=source_ip)


def _refuser(
    db: Session, *, address: str | None, user: User | None, source_ip: str | None
) -> Callable[..., Outcome]:
    def refuse(reason: str, error: CloudWardenError | None = None) -> Outcome:
        audit.record(
            db,
            workspace_id=None,
            action="auth.sign_in",
            actor=address or "(not an email)",
            actor_id=user.id if user else None,
            source_ip=source_ip,
            outcome="failure" if error is None else "denied",
            details={"reason": reason},
        )
        return Outcome(user=user, refusal=error or InvalidCredentials(_WRONG))

    return refuse


def _admit(
    db: Session, *, config: IdentityConfig, user: User, now: datetime, source_ip: str | None
) -> Outcome:
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    tokens = start_session(db, config=config, user=user, now=now)
    users.audit_person(
        db,
        user=user,
        action="auth.sign_in",
        source_ip=source_ip,
        target_type="session",
        target_id=tokens.session_id,
    )
    return Outcome(user=user, tokens=tokens)


def start_session(db: Session, *, config: IdentityConfig, user: User, now: datetime) -> Tokens:
    new = refresh.start_family(subject=user.id, now=now, policy=config.refresh)
    db.add(RefreshFamily(id=new.family.id, user_id=user.id, created_at=now, expires_at=new.family.expires_at))
    db.flush()
    _store_token(db, new.issued.record)
    return _tokens(config, user, new.family.id, new.issued)


def rotate(db: Session, *, config: IdentityConfig, token: str, source_ip: str | None = None) -> Outcome:
    """New tokens for a refresh token, or the refusal (a reuse revokes the whole family)."""
    now = datetime.now(UTC)
    row = db.get(RefreshToken, refresh.hash_refresh_token(token)) if token else None
    family_row = (
        db.scalars(select(RefreshFamily).where(RefreshFamily.id == row.family_id).with_for_update()).first()
        if row is not None
        else None
    )
    user = db.get(User, family_row.user_id) if family_row is not None else None
    if row is None or family_row is None or user is None or user.deleted_at is not None:
        return Outcome(
            refusal=InvalidToken("unknown", "the refresh token is not valid", hint="sign in again")
        )
    db.refresh(row)  # read after the family's lock: a concurrent rotation is seen as a reuse
    outcome = refresh.use_refresh_token(
        family=_family(family_row), record=_record(row), now=now, policy=config.refresh
    )
    if outcome.family.revoked_at is not None and family_row.revoked_at is None:
        family_row.revoked_at, family_row.revoked_reason = (
            outcome.family.revoked_at,
            outcome.family.revoked_reason,
        )
        users.audit_person(
            db,
            user=user,
            action="auth.refresh_reused",
            source_ip=source_ip,
            target_type="session",
            target_id=family_row.id,
            outcome="denied",
            details={"effect": "every token of the session revoked"},
        )
    if not outcome.ok or outcome.issued is None or outcome.used is None:
        messages = {
            "reused": "the refresh token was already used: the session is ended for safety",
            "revoked": "the session has ended",
            "expired": "the session has expired",
        }
        reason = outcome.refused or "revoked"
        return Outcome(
            user=user,
            refusal=InvalidToken(
                "revoked" if reason != "expired" else "expired", messages[reason], hint="sign in again"
            ),
        )
    row.rotated_at = outcome.used.rotated_at
    _store_token(db, outcome.issued.record)
    return Outcome(user=user, tokens=_tokens(config, user, family_row.id, outcome.issued))


def sign_out(db: Session, *, principal: Principal) -> None:
    if principal.session_id is None:
        raise UsageError("an API token does not sign out: revoke it instead")
    family = db.get(RefreshFamily, principal.session_id)
    if family is not None and family.revoked_at is None:
        family.revoked_at, family.revoked_reason = datetime.now(UTC), "logout"
    audit.record(
        db,
        workspace_id=None,
        action="auth.sign_out",
        actor=principal.email,
        actor_id=principal.user_id,
        source_ip=principal.source_ip,
        target_type="session",
        target_id=principal.session_id,
    )


def authenticate(
    db: Session, *, config: IdentityConfig, bearer: str, source_ip: str | None = None
) -> Principal:
    """The principal of an access token or API token; InvalidToken (with its reason) otherwise."""
    now = datetime.now(UTC)
    if bearer.startswith(api_tokens.PREFIX):
        parsed = api_tokens.parse_api_token(bearer)
        rls.scope(db, api_token_id=parsed.token_id)  # its one row, before its workspace is known
        stored = db.get(ApiToken, parsed.token_id)
        api_tokens.verify_api_token(bearer, record=_token_record(stored) if stored else None, now=now)
        assert stored is not None  # verify_api_token refused otherwise
        user = db.get(User, stored.user_id)
        if user is None or user.deleted_at is not None:
            raise InvalidToken("revoked", "the API token's user no longer exists")
        rls.scope(db, workspace_id=stored.workspace_id, user_id=user.id)
        stored.last_used_at = now
        return Principal(
            user_id=user.id,
            email=user.email,
            two_factor=user.totp_enabled_at is not None,
            token_id=stored.token_id,
            token_workspace_id=stored.workspace_id,
            scopes=frozenset(stored.scopes),
            source_ip=source_ip,
        )
    claims = decode_access(bearer, settings=config.access)
    session_id = claims.extra.get("sid")
    family = db.get(RefreshFamily, session_id) if isinstance(session_id, str) else None
    if family is None or family.revoked_at is not None or family.expires_at <= now:
        raise InvalidToken("revoked", "the session has ended", hint="sign in again")
    user = db.get(User, claims.subject)
    if user is None or user.deleted_at is not None or user.id != family.user_id:
        raise InvalidToken("revoked", "the session has ended", hint="sign in again")
    rls.scope(db, user_id=user.id)  # their memberships; a workspace once one is authorised
    return Principal(
        user_id=user.id,
        email=user.email,
        two_factor=user.totp_enabled_at is not None,
        session_id=family.id,
        source_ip=source_ip,
    )


def authenticate_session_token(
    db: Session, *, config: IdentityConfig, token: str, source_ip: str | None = None
) -> Principal:
    """The principal of a session's current refresh token, as the console's cookie holds it.

    The console never rotates it (concurrent page loads would look like a reuse and end the
    session); it stops working when it expires (the idle limit), when the session is signed out or
    revoked, or once the token was rotated through the API.
    """
    now = datetime.now(UTC)
    row = db.get(RefreshToken, refresh.hash_refresh_token(token)) if token else None
    family = db.get(RefreshFamily, row.family_id) if row is not None else None
    if (
        row is None
        or family is None
        or row.rotated_at is not None
        or row.expires_at <= now
        or family.revoked_at is not None
        or family.expires_at <= now
    ):
        raise InvalidToken("revoked", "the session has ended", hint="sign in again")
    user = db.get(User, family.user_id)
    if user is None or user.deleted_at is not None:
        raise InvalidToken("revoked", "the session has ended", hint="sign in again")
    rls.scope(db, user_id=user.id)
    return Principal(
        user_id=user.id,
        email=user.email,
        two_factor=user.totp_enabled_at is not None,
        session_id=family.id,
        source_ip=source_ip,
    )


def _count_failure(user: User, *, config: IdentityConfig, now: datetime) -> None:
    user.failed_logins = (user.failed_logins or 0) + 1
    if user.failed_logins >= config.max_failed_logins:
        user.locked_until, user.failed_logins = now + config.lockout, 0


def _tokens(config: IdentityConfig, user: User, family_id: str, issued: refresh.IssuedRefreshToken) -> Tokens:
    access = issue_access_token(subject=user.id, settings=config.access, claims={"sid": family_id})
    return Tokens(
        access=access,
        refresh_token=issued.token,
        refresh_expires_at=issued.record.expires_at,
        session_id=family_id,
    )


def _store_token(db: Session, record: refresh.RefreshTokenRecord) -> None:
    db.add(
        RefreshToken(
            token_hash=record.token_hash,
            family_id=record.family_id,
            issued_at=record.issued_at,
            expires_at=record.expires_at,
        )
    )
    db.flush()


def _family(row: RefreshFamily) -> refresh.RefreshFamily:
    return refresh.RefreshFamily(
        id=row.id,
        subject=row.user_id,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        revoked_reason=row.revoked_reason,  # type: ignore[arg-type]
    )


def _record(row: RefreshToken) -> refresh.RefreshTokenRecord:
    return refresh.RefreshTokenRecord(
        token_hash=row.token_hash,
        family_id=row.family_id,
        issued_at=row.issued_at,
        expires_at=row.expires_at,
        rotated_at=row.rotated_at,
    )


def _token_record(row: ApiToken) -> api_tokens.ApiTokenRecord:
    return api_tokens.ApiTokenRecord(
        token_id=row.token_id,
        secret_hash=row.secret_hash,
        subject=row.user_id,
        name=row.name,
        scopes=frozenset(row.scopes),
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )
