"""The console's session cookie, its CSRF token and the sign-in's two-factor challenge.

- The cookie `__Host-cloudwarden` holds the session's refresh token (identity/sessions.py): a
  secret stored only as a hash, revoked by signing out, ended by its idle limit. `Secure`
  (browsers keep it over HTTPS and on loopback only), `HttpOnly` (no script reads it),
  `SameSite=Strict` (no other site's page sends it), `Path=/`, no Domain (the `__Host-` prefix
  makes the browser refuse it otherwise).
- Every form and HTMX request that changes something carries a CSRF token derived from the
  cookie (HMAC-SHA256 under the signing key), compared in constant time; a request from another
  origin is refused before that.
- Between the password and the code, the sign-in page holds a signed challenge (5 minutes, its
  own JWT type and audience, so it never passes as an access token), not the password.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

import jwt
from fastapi import Request, Response

from cloudwarden.identity.config import IdentityConfig

COOKIE = "__Host-cloudwarden"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
CHALLENGE_TTL = timedelta(minutes=5)
_CHALLENGE_TYPE = "2fa-challenge+jwt"
_CHALLENGE_AUDIENCE = "cloudwarden-console-2fa"
_ISSUER = "cloudwarden"


def set_cookie(response: Response, *, token: str, expires_at: datetime) -> None:
    response.set_cookie(
        COOKIE,
        token,
        expires=expires_at,
        path="/",
        secure=True,
        httponly=True,
        samesite="strict",
    )


def clear_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", secure=True, httponly=True, samesite="strict")


def cookie_token(request: Request) -> str | None:
    return request.cookies.get(COOKIE) or None


def csrf_token(config: IdentityConfig, session_token: str) -> str:
    """The token forms carry: only someone holding the cookie (and the server) can compute it."""
    mac = hmac.new(config.access.key.value, b"console-csrf\x00" + session_token.encode(), hashlib.sha256)
    return mac.hexdigest()


def csrf_matches(config: IdentityConfig, session_token: str, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(csrf_token(config, session_token), sent or "")


def same_origin(request: Request) -> bool:
    """A browser's state-changing request says where it comes from; another site's is refused.

    Sec-Fetch-Site (every current browser sends it) must be same-origin; failing it, Origin (or
    Referer) must be this server's scheme, host and port. A request with none of them is allowed:
    browsers always send Origin on a cross-site POST, so only non-browser clients omit all three,
    and they hold no cookie of a person.
    """
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site == "same-origin"
    origin = request.headers.get("origin")
    if origin is None:
        referer = request.headers.get("referer")
        if referer is None:
            return True
        parts = referer.split("/", 3)
        origin = "/".join(parts[:3]) if len(parts) >= 3 else referer
    expected = f"{request.url.scheme}://{request.url.netloc}"
    return hmac.compare_digest(origin.rstrip("/").lower(), expected.lower())


def issue_challenge(config: IdentityConfig, *, user_id: str) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": user_id,
        "iss": _ISSUER,
        "aud": _CHALLENGE_AUDIENCE,
        "iat": now,
        "exp": now + CHALLENGE_TTL,
        "jti": secrets.token_urlsafe(12),
    }
    return jwt.encode(claims, config.access.key.value, algorithm="HS256", headers={"typ": _CHALLENGE_TYPE})


def challenge_user(config: IdentityConfig, challenge: str) -> str | None:
    """The user whose password the challenge vouches for, or None (forged, expired, another type)."""
    try:
        if jwt.get_unverified_header(challenge).get("typ") != _CHALLENGE_TYPE:
            return None
        claims = jwt.decode(
            challenge,
            config.access.key.value,
            algorithms=["HS256"],
            audience=_CHALLENGE_AUDIENCE,
            issuer=_ISSUER,
            options={"require": ["exp", "iat", "sub", "aud", "iss"]},
        )
    except jwt.PyJWTError:
        return None
    subject = claims.get("sub")
    return subject if isinstance(subject, str) else None
