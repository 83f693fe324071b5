"""The signed-in person's own security: two-factor authentication, password, WhatsApp phone number.

The same functions as the API's /me router (identity/twofactor.py, identity/users.py, which write
the audit entries), the same body models and the same "two_factor" rate limit on the forms that
take a code. An enrolment in progress is shown again (its QR code) until it is confirmed, so a
wrong code or a reload never changes the secret the app has already scanned. The backup codes are
shown once, in the answer to the confirming POST.
"""

from __future__ import annotations

from typing import Annotated

import segno
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from cloudwarden.api import ratelimit
from cloudwarden.api.auth import IdentityDep
from cloudwarden.api.deps import SessionDep
from cloudwarden.api.errors import status_for
from cloudwarden.api.routers.me import Code, Disable, PasswordChange, PhoneIn
from cloudwarden.auth.passwords import MIN_LENGTH as MIN_PASSWORD_LENGTH
from cloudwarden.errors import UsageError
from cloudwarden.identity import twofactor, users
from cloudwarden.identity.config import IdentityConfig
from cloudwarden.web import session
from cloudwarden.web.deps import Console, ConsoleDep, CsrfChecked
from cloudwarden.web.render import render
from cloudwarden.web.routes.members import validated

router = APIRouter(include_in_schema=False)
BASE = "/me/security"
TwoFactorLimit = Depends(ratelimit.rate_limit("two_factor", ratelimit.client_address))
DONE = {
    "enrolment": "Scan the QR code with your authenticator app, then type the code it shows to finish.",
    "2fa-off": "Two-factor authentication is off. Your sign-ins need only your password now.",
    "phone": "Phone number saved.",
    "phone-cleared": "Phone number removed: WhatsApp replies no longer act as you.",
}


@router.get(BASE, response_class=HTMLResponse)
def security(
    request: Request, console: ConsoleDep, db: SessionDep, config: IdentityDep, done: str | None = None
) -> Response:
    return _security_page(request, console, db, config, done=DONE.get(done or ""))


@router.post(f"{BASE}/2fa/enrolment", dependencies=[CsrfChecked, TwoFactorLimit])
def start_enrolment(console: ConsoleDep, db: SessionDep, config: IdentityDep) -> Response:
    principal = console.principal
    twofactor.start(db, config=config, user=users.get(db, principal.user_id), source_ip=principal.source_ip)
    return RedirectResponse(f"{BASE}?done=enrolment#two-factor-title", status_code=303)


@router.post(f"{BASE}/2fa/confirm", dependencies=[CsrfChecked, TwoFactorLimit], response_class=HTMLResponse)
def confirm_enrolment(
    request: Request,
    console: ConsoleDep,
    db: SessionDep,
    config: IdentityDep,
    code: Annotated[str, Form(max_length=32)],
) -> Response:
    body = validated(Code, {"code": code})
    principal = console.principal
    try:
        codes = twofactor.confirm(
            db,
            config=config,
            user=users.get(db, principal.user_id),
            code=body.code,
            session_id=principal.session_id,  # this session stays; every other one ends
            source_ip=principal.source_ip,
        )
    except UsageError as exc:
        db.rollback()
        return _security_page(request, console, db, config, errors={"enrol": exc})
    return render(request, "me/backup_codes.html", codes=codes)


@router.post(f"{BASE}/2fa/disable", dependencies=[CsrfChecked, TwoFactorLimit], response_class=HTMLResponse)
def disable(
    request: Request,
    console: ConsoleDep,
    db: SessionDep,
    config: IdentityDep,
    password: Annotated[str, Form(max_length=1024)],
    code: Annotated[str, Form(max_length=32)],
) -> Response:
    body = validated(Disable, {"password": password, "code": code})
    principal = console.principal
    try:
        twofactor.disable(
            db,
            config=config,
            user=users.get(db, principal.user_id),
            password=body.password,
            code=body.code,
            source_ip=principal.source_ip,
        )
    except UsageError as exc:
        db.rollback()
        return _security_page(request, console, db, config, errors={"disable": exc})
    return RedirectResponse(f"{BASE}?done=2fa-off", status_code=303)


@router.post(f"{BASE}/password", dependencies=[CsrfChecked], response_class=HTMLResponse)
def change_password(
    request: Request,
    console: ConsoleDep,
    db: SessionDep,
    config: IdentityDep,
    current_password: Annotated[str, Form(max_length=1024)],
    new_password: Annotated[str, Form(max_length=1024)],
    new_password_confirm: Annotated[str, Form(max_length=1024)],
) -> Response:
    body = validated(PasswordChange, {"current_password": current_password, "new_password": new_password})
    if new_password != new_password_confirm:
        mismatch = UsageError("the two new passwords differ", hint="type the same new password twice")
        return _security_page(request, console, db, config, errors={"password": mismatch})
    principal = console.principal
    try:
        users.change_password(
            db,
            config=config,
            user=users.get(db, principal.user_id),
            current=body.current_password,
            new=body.new_password,
            source_ip=principal.source_ip,
        )
    except UsageError as exc:
        db.rollback()
        return _security_page(request, console, db, config, errors={"password": exc})
    # Every session ended, this one too: the browser forgets its cookie and signs in again.
    response = RedirectResponse("/me/password-changed", status_code=303)
    session.clear_cookie(response)
    return response


@router.get("/me/password-changed", response_class=HTMLResponse)
def password_changed(request: Request) -> Response:
    return render(request, "me/password_changed.html")


@router.post(f"{BASE}/phone", dependencies=[CsrfChecked], response_class=HTMLResponse)
def set_phone(
    request: Request,
    console: ConsoleDep,
    db: SessionDep,
    config: IdentityDep,
    phone: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    body = validated(PhoneIn, {"phone": phone.strip() or None})
    principal = console.principal
    try:
        users.set_phone(
            db, user=users.get(db, principal.user_id), phone=body.phone, source_ip=principal.source_ip
        )
    except UsageError as exc:
        db.rollback()
        return _security_page(request, console, db, config, errors={"phone": exc})
    return RedirectResponse(f"{BASE}?done={'phone' if body.phone else 'phone-cleared'}", status_code=303)


def qr_svg(text: str) -> Markup:
    """`text` as a QR code in inline SVG markup (no style attribute: the CSP allows none)."""
    svg = segno.make(text, error="m").svg_inline(
        scale=4, light="#fff", omitsize=True, svgclass="qr", lineclass=None, title="QR code to scan"
    )
    return Markup(svg.replace("<svg ", '<svg role="img" aria-labelledby="qr-caption" ', 1))  # noqa: S704


def _security_page(
    request: Request,
    console: Console,
    db: SessionDep,
    config: IdentityConfig,
    *,
    done: str | None = None,
    errors: dict[str, UsageError] | None = None,
) -> Response:
    user = users.get(db, console.principal.user_id)
    enrolment = twofactor.pending(db, config=config, user=user)
    refused = errors or {}
    return render(
        request,
        "me/security.html",
        status_code=max((status_for(exc) for exc in refused.values()), default=200),
        user=user,
        two_factor=user.totp_enabled_at is not None,
        backup_codes_left=twofactor.remaining_backup_codes(user),
        enrolment=enrolment,
        qr=qr_svg(enrolment.provisioning_uri) if enrolment is not None else None,
        phone=f"+{user.phone}" if user.phone else "",
        password_min=MIN_PASSWORD_LENGTH,
        errors={form: exc.message for form, exc in refused.items()},
        hints={form: exc.hint for form, exc in refused.items() if exc.hint},
        done=done,
    )
