"""Personal API tokens: a member creates them for one workspace, sees each once, revokes them.

What a token may do is the member's role in that workspace intersected with its scopes
(identity/access.py). Never commits: the boundary does.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloudwarden.audit import service as audit
from cloudwarden.auth import api_tokens
from cloudwarden.errors import NotFound, UsageError
from cloudwarden.identity.access import Access
from cloudwarden.identity.config import IdentityConfig
from cloudwarden.store.tenancy import ApiToken


def create(
    db: Session, *, access: Access, config: IdentityConfig, name: str, scopes: list[str], days: int
) -> tuple[ApiToken, str]:
    """The stored token and the token itself (to show once)."""
    if not 1 <= days <= config.api_token_max_days:
        raise UsageError(f"a token expires in 1 to {config.api_token_max_days} days")
    try:
        new = api_tokens.create_api_token(
            subject=access.principal.user_id,
            name=name,
            scopes=scopes,
            now=datetime.now(UTC),
            lifetime=timedelta(days=days),
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    record = new.record
    row = ApiToken(
        token_id=record.token_id,
        workspace_id=access.workspace_id,
        user_id=record.subject,
        secret_hash=record.secret_hash,
        name=record.name,
        scopes=sorted(record.scopes),
        created_at=record.created_at,
        expires_at=record.expires_at,
    )
    db.add(row)
    db.flush()
    _record(db, access, "api_token.create", row.token_id, {"name": row.name, "scopes": row.scopes})
    return row, new.token


def mine(db: Session, *, access: Access) -> list[ApiToken]:
    return list(
        db.scalars(
            select(ApiToken)
            .where(ApiToken.workspace_id == access.workspace_id, ApiToken.user_id == access.principal.user_id)
            .order_by(ApiToken.created_at)
        )
    )


def revoke(db: Session, *, access: Access, token_id: str) -> None:
    """Revoke one of the member's own tokens (an admin revokes anyone's in the workspace)."""
    row = db.get(ApiToken, token_id)
    own = row is not None and row.user_id == access.principal.user_id
    if (
        row is None
        or row.workspace_id != access.workspace_id
        or not (own or access.role.value in ("owner", "admin"))
    ):
        raise NotFound("no such API token")
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
    _record(db, access, "api_token.revoke", token_id, {})


def _record(db: Session, access: Access, action: str, token_id: str, details: dict[str, object]) -> None:
    audit.record(
        db,
        workspace_id=access.workspace_id,
        action=action,
        actor=access.principal.label,
        actor_id=access.principal.user_id,
        target_type="api_token",
        target_id=token_id,
        source_ip=access.principal.source_ip,
        details=dict(details),
    )
