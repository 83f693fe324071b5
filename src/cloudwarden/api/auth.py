"""Who is calling and what they may do: the bearer credential and the workspace permission.

    @router.get("/workspaces/{workspace_id}/incidents")
    def list_incidents(access: Annotated[Access, Depends(allow("incidents:read"))], db: SessionDep): ...

`Authorization: Bearer <access token or cw_pat_ API token>`. A refused credential and a refused
permission are written to the audit log in a transaction of their own (the request's rolls back),
then answered: 401 for the credential, 403 for a member without the permission, 404 for a
workspace the caller is not in (another tenant's looks like one that does not exist).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from cloudwarden.api import deps
from cloudwarden.api.deps import SessionDep
from cloudwarden.api.ratelimit import client_address
from cloudwarden.audit import service as audit
from cloudwarden.auth.errors import InvalidToken, MissingScope
from cloudwarden.errors import shorten
from cloudwarden.identity import sessions
from cloudwarden.identity.access import Access, Forbidden, Principal, TwoFactorRequired, authorize
from cloudwarden.identity.config import IdentityConfig
from cloudwarden.store import rls
from cloudwarden.store.db import session_scope

_bearer = HTTPBearer(
    auto_error=False,
    description="An access token from POST /api/v1/auth/sign-in, or a personal API token (cw_pat_...)",
)


def identity(request: Request) -> IdentityConfig:
    config: IdentityConfig = request.app.state.identity
    return config


IdentityDep = Annotated[IdentityConfig, Depends(identity)]


def audit_apart(request: Request, **entry: Any) -> None:
    """Write an audit entry in its own transaction: it survives the request's rollback."""
    with session_scope(deps.session_factory(request)) as db:
        if entry.get("workspace_id"):
            rls.scope(db, workspace_id=entry["workspace_id"])
        audit.record(db, source_ip=client_address(request), **entry)


def optional_principal(
    request: Request,
    db: SessionDep,
    config: IdentityDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    if credentials is None:
        return None
    try:
        return sessions.authenticate(
            db, config=config, bearer=credentials.credentials, source_ip=client_address(request)
        )
    except InvalidToken as refused:
        db.rollback()
        audit_apart(
            request,
            workspace_id=None,
            action="auth.token_refused",
            actor="(anonymous)",
            outcome="denied",
            details={"reason": refused.reason, "path": shorten(request.url.path, 200)},
        )
        raise


def principal(principal: Annotated[Principal | None, Depends(optional_principal)]) -> Principal:
    if principal is None:
        raise InvalidToken(
            "malformed", "sign in first: send Authorization: Bearer <token>", hint="POST /api/v1/auth/sign-in"
        )
    return principal


PrincipalDep = Annotated[Principal, Depends(principal)]


def allow(permission: str) -> Callable[..., Access]:
    """A dependency: the caller's access to the path's workspace for `permission`."""

    def dependency(request: Request, workspace_id: str, who: PrincipalDep, db: SessionDep) -> Access:
        return check(request, db, who, workspace_id, permission)

    dependency.__name__ = f"allow_{permission.replace(':', '_')}"
    return dependency


def check(request: Request, db: Session, who: Principal, workspace_id: str, permission: str) -> Access:
    try:
        return authorize(db, principal=who, workspace_id=workspace_id, permission=permission)
    except (Forbidden, MissingScope, TwoFactorRequired) as refused:
        db.rollback()
        audit_apart(
            request,
            workspace_id=workspace_id,
            action="access.denied",
            actor=who.label,
            actor_id=who.user_id,
            outcome="denied",
            details={
                "permission": permission,
                "reason": refused.code,
                "path": shorten(request.url.path, 200),
            },
        )
        raise
