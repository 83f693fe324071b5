"""Signing in, refreshing the session, signing out (rate-limited by address and by email)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from cloudwarden.api import ratelimit
from cloudwarden.api.auth import IdentityDep, PrincipalDep
from cloudwarden.api.deps import SessionDep
from cloudwarden.api.ratelimit import client_address
from cloudwarden.api.schemas import ApiInput
from cloudwarden.errors import CloudWardenError
from cloudwarden.identity import sessions

router = APIRouter(prefix="/auth", tags=["auth"])


class SignIn(ApiInput):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)
    code: str | None = Field(default=None, max_length=32, description="TOTP code or a backup code (2FA)")


class Refresh(ApiInput):
    refresh_token: str = Field(max_length=512)


class TokenPair(BaseModel):
    token_type: str = "Bearer"  # noqa: S105  (the scheme name, not a secret)
    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime


def _pair(tokens: sessions.Tokens) -> TokenPair:
    return TokenPair(
        access_token=tokens.access.token,
        access_expires_at=tokens.access.expires_at,
        refresh_token=tokens.refresh_token,
        refresh_expires_at=tokens.refresh_expires_at,
    )


def _finish(db: SessionDep, outcome: sessions.Outcome) -> sessions.Tokens:
    """Commit what the attempt changed (a counted failure, a revoked family), then answer."""
    db.commit()
    if outcome.refusal is not None:
        raise outcome.refusal
    if outcome.tokens is None:  # an outcome is a refusal or tokens
        raise CloudWardenError("the sign-in produced no tokens")
    return outcome.tokens


@router.post(
    "/sign-in",
    summary="Sign in with email and password (and the 2FA code when enrolled)",
    dependencies=[Depends(ratelimit.rate_limit("login", ratelimit.client_address))],
)
def sign_in(body: SignIn, request: Request, db: SessionDep, config: IdentityDep) -> TokenPair:
    request.app.state.rate_limiter.hit("login_email", ratelimit.email_key(body.email))
    if body.code:
        request.app.state.rate_limiter.hit("two_factor", ratelimit.email_key(body.email))
    outcome = sessions.sign_in(
        db,
        config=config,
        email=body.email,
        password=body.password,
        code=body.code,
        source_ip=client_address(request),
    )
    return _pair(_finish(db, outcome))


@router.post(
    "/refresh",
    summary="A new token pair for a refresh token (each works once; a reused one ends the session)",
    dependencies=[Depends(ratelimit.rate_limit("refresh", ratelimit.client_address))],
)
def refresh(body: Refresh, request: Request, db: SessionDep, config: IdentityDep) -> TokenPair:
    outcome = sessions.rotate(db, config=config, token=body.refresh_token, source_ip=client_address(request))
    return _pair(_finish(db, outcome))


@router.post("/sign-out", status_code=204, summary="End this session: its refresh token stops working")
def sign_out(who: PrincipalDep, db: SessionDep) -> None:
    sessions.sign_out(db, principal=who)
