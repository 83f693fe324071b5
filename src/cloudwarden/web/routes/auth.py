"""Signing in (password, then the 2FA code on a page of its own) and signing out.

The checks are identity/sessions.py's, as for the API's sign-in: the same counted failures,
lockout, rate limits and audit entries. What the console adds is where the session lives (an
HttpOnly cookie, web/session.py) and the step between password and code (a signed challenge).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cloudwarden.api.auth import IdentityDep
from cloudwarden.api.deps import SessionDep
from cloudwarden.api.ratelimit import RateLimited, client_address, email_key
from cloudwarden.errors import CloudWardenError
from cloudwarden.identity import sessions
from cloudwarden.web import session
from cloudwarden.web.deps import Console, CsrfChecked, optional_console
from cloudwarden.web.render import render

router = APIRouter(include_in_schema=False)
_LOOPBACK = ("127.0.0.1", "::1", "localhost")


def safe_next(target: str | None) -> str:
    """Only a path on this server: never an open redirect to another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


def _insecure(request: Request) -> bool:
    """The cookie is Secure: over plain HTTP only a loopback address keeps it."""
    return request.url.scheme != "https" and request.url.hostname not in _LOOPBACK


def _form_page(request: Request, template: str, *, status_code: int = 200, **context: object) -> HTMLResponse:
    insecure = _insecure(request)
    return render(
        request, template, status_code=400 if insecure else status_code, insecure=insecure, **context
    )


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(
    request: Request, console: Annotated[Console | None, Depends(optional_console)], next: str = "/"
) -> Response:
    if console is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _form_page(request, "auth/sign_in.html", next=safe_next(next), email="", error=None)


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in(
    request: Request,
    db: SessionDep,
    config: IdentityDep,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form(max_length=2048)] = "/",
) -> Response:
    target = safe_next(next)
    if not session.same_origin(request):
        return _form_page(
            request,
            "auth/sign_in.html",
            status_code=403,
            next=target,
            email=email,
            error="the sign-in form must be sent from this console's own page",
        )
    try:
        _limit(request, ("login", client_address(request)), ("login_email", email_key(email)))
    except RateLimited as limited:
        return _form_page(
            request, "auth/sign_in.html", status_code=429, next=target, email=email, error=limited.message
        )
    outcome = sessions.sign_in(
        db, config=config, email=email, password=password, source_ip=client_address(request)
    )
    db.commit()
    if isinstance(outcome.refusal, sessions.CodeRequired) and outcome.user is not None:
        challenge = session.issue_challenge(config, user_id=outcome.user.id)
        return _form_page(request, "auth/code.html", challenge=challenge, next=target, error=None)
    return _admitted(request, outcome, template="auth/sign_in.html", next=target, email=email)


@router.post("/sign-in/code", response_class=HTMLResponse)
def sign_in_code(
    request: Request,
    db: SessionDep,
    config: IdentityDep,
    challenge: Annotated[str, Form(max_length=2048)],
    code: Annotated[str, Form(max_length=32)],
    next: Annotated[str, Form(max_length=2048)] = "/",
) -> Response:
    target = safe_next(next)
    user_id = session.challenge_user(config, challenge) if session.same_origin(request) else None
    if user_id is None:
        return _form_page(
            request,
            "auth/sign_in.html",
            status_code=400,
            next=target,
            email="",
            error="the sign-in took too long or was not started here: enter your password again",
        )
    try:
        _limit(request, ("two_factor", client_address(request)), ("two_factor", f"user:{user_id}"))
    except RateLimited as limited:
        return _form_page(
            request,
            "auth/code.html",
            status_code=429,
            challenge=challenge,
            next=target,
            error=limited.message,
        )
    outcome = sessions.complete_two_factor(
        db, config=config, user_id=user_id, code=code, source_ip=client_address(request)
    )
    db.commit()
    return _admitted(request, outcome, template="auth/code.html", next=target, challenge=challenge)


@router.post("/sign-out", dependencies=[CsrfChecked])
def sign_out(
    request: Request, db: SessionDep, console: Annotated[Console | None, Depends(optional_console)]
) -> Response:
    if console is not None:
        sessions.sign_out(db, principal=console.principal)
    response = RedirectResponse("/sign-in", status_code=303)
    session.clear_cookie(response)
    return response


def _limit(request: Request, *hits: tuple[str, str]) -> None:
    """The API's sign-in limits (per address and per account) apply to the console's forms too."""
    for rule, key in hits:
        request.app.state.rate_limiter.hit(rule, key)


def _admitted(
    request: Request, outcome: sessions.Outcome, *, template: str, next: str, **context: object
) -> Response:
    if outcome.tokens is None:
        refusal = outcome.refusal or CloudWardenError("the sign-in produced no session")
        return _form_page(request, template, status_code=401, next=next, error=refusal.message, **context)
    response = RedirectResponse(next, status_code=303)
    session.set_cookie(
        response, token=outcome.tokens.refresh_token, expires_at=outcome.tokens.refresh_expires_at
    )
    return response
