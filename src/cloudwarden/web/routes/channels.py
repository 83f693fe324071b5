"""Channels: what is configured (never a secret), recent deliveries, a test alert, intake addresses.

Everything goes through the functions the API's channels router calls: alerts/channel_admin (add
and remove, audited; which secrets are set; recent deliveries; intake addresses) and
alerts/testing.send_test (the test alert, audited as "channel.test"). A new channel's form is
validated by the API's own body model (ChannelIn: the channel configs of alerts/channels/configs),
so a refused field reads as the API's 422 would. A test alert's results are one-off: the POST
answers with the page and the results on it, stored nowhere.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from cloudwarden.alerts import channel_admin, channel_store
from cloudwarden.alerts import testing as alert_testing
from cloudwarden.api.auth import IdentityDep
from cloudwarden.api.deps import SessionDep, settings_of
from cloudwarden.api.routers.channels import ChannelIn
from cloudwarden.errors import UsageError
from cloudwarden.incidents.view import mask_recipient
from cloudwarden.web.deps import CsrfChecked, Page, page_for
from cloudwarden.web.render import render
from cloudwarden.worker import context as worker_context

router = APIRouter(include_in_schema=False)
BASE = "/w/{workspace_id}/channels"
RECENT_DELIVERIES = 25
KINDS = {"whatsapp": "WhatsApp", "slack": "Slack", "email": "E-mail", "sns": "Amazon SNS"}
# The form fields each kind's add form sends (names as in the channel configs); empty ones are
# left out, so the config's defaults apply.
FORM_FIELDS: dict[str, tuple[str, ...]] = {
    "whatsapp": (
        "phone_number_id",
        "access_token",
        "app_secret",
        "verify_token",
        "template_name",
        "template_language",
        "recipients",
        "api_base_url",
    ),
    "slack": ("webhook_url",),
    "email": ("host", "port", "security", "username", "password", "sender", "recipients"),
    "sns": ("topic_arn",),
}
LIST_FIELDS = frozenset({"recipients"})
DONE = {
    "added": "Channel added. Its secrets are sealed and will not be shown again.",
    "removed": "Channel removed.",
    "paused": "Channel paused: nothing goes to it, and what was queued for it is given up.",
    "resumed": "Channel resumed: new alerts go to it again.",
}

ChannelsPage = Annotated[Page, Depends(page_for("channels:read"))]
ChannelsAdmin = Annotated[Page, Depends(page_for("channels:write"))]
IntakeAdmin = Annotated[Page, Depends(page_for("accounts:write"))]  # as the API's rotation


@router.get(BASE, response_class=HTMLResponse)
def channels(request: Request, page: ChannelsPage, db: SessionDep, done: str | None = None) -> Response:
    return _channels_page(request, page, db, done=DONE.get(done or ""))


@router.post(f"{BASE}/test", dependencies=[CsrfChecked], response_class=HTMLResponse)
def send_test_alert(request: Request, page: ChannelsPage, db: SessionDep) -> Response:
    db.commit()  # the test runs in transactions of its own
    results = alert_testing.send_test(
        ctx=worker_context.get(), workspace_id=page.workspace_id, actor=page.access.principal.label
    )
    db.expire_all()  # the deliveries the test just made
    return _channels_page(request, page, db, results=results)


@router.post(BASE, dependencies=[CsrfChecked])
async def add_channel(
    request: Request, page: ChannelsAdmin, db: SessionDep, identity: IdentityDep
) -> Response:
    body = _channel_body(await request.form())
    principal = page.access.principal
    channel_admin.add(
        db=db,
        keys=identity.keys,
        workspace_id=page.workspace_id,
        name=body.name,
        config=body.config,
        actor=principal.label,
        actor_id=principal.user_id,
        source_ip=principal.source_ip,
    )
    return RedirectResponse(f"/w/{page.workspace_id}/channels?done=added", status_code=303)


@router.post(f"{BASE}/{{channel_id}}/remove", dependencies=[CsrfChecked])
def remove_channel(channel_id: str, page: ChannelsAdmin, db: SessionDep) -> Response:
    principal = page.access.principal
    channel_admin.remove(
        db=db,
        workspace_id=page.workspace_id,
        channel_id=channel_id,
        actor=principal.label,
        actor_id=principal.user_id,
        source_ip=principal.source_ip,
    )
    return RedirectResponse(f"/w/{page.workspace_id}/channels?done=removed", status_code=303)


@router.post(f"{BASE}/{{channel_id}}/pause", dependencies=[CsrfChecked])
def pause_channel(channel_id: str, page: ChannelsAdmin, db: SessionDep) -> Response:
    return _set_enabled(page, db, channel_id, enabled=False)


@router.post(f"{BASE}/{{channel_id}}/resume", dependencies=[CsrfChecked])
def resume_channel(channel_id: str, page: ChannelsAdmin, db: SessionDep) -> Response:
    return _set_enabled(page, db, channel_id, enabled=True)


def _set_enabled(page: Page, db: SessionDep, channel_id: str, *, enabled: bool) -> Response:
    principal = page.access.principal
    channel_admin.set_enabled(
        db=db,
        workspace_id=page.workspace_id,
        channel_id=channel_id,
        enabled=enabled,
        actor=principal.label,
        actor_id=principal.user_id,
        source_ip=principal.source_ip,
    )
    done = "resumed" if enabled else "paused"
    return RedirectResponse(f"/w/{page.workspace_id}/channels?done={done}", status_code=303)


@router.post(f"{BASE}/intake-secret", dependencies=[CsrfChecked], response_class=HTMLResponse)
def rotate_intake_secret(request: Request, page: IntakeAdmin, db: SessionDep) -> Response:
    """A new EventBridge secret, shown on this answer only (the old one stops working now)."""
    principal = page.access.principal
    secret = channel_admin.rotate_intake_secret(
        db=db,
        workspace_id=page.workspace_id,
        actor=principal.label,
        actor_id=principal.user_id,
        source_ip=principal.source_ip,
    )
    response = _channels_page(request, page, db, intake_secret=secret)
    response.headers["Cache-Control"] = "no-store"  # the secret is on this page once
    return response


def _channel_body(form: FormData) -> ChannelIn:
    """The add form as the API's body: {"name", "config": {"kind", ...}}, validated by ChannelIn."""
    kind = str(form.get("kind") or "")
    if kind not in FORM_FIELDS:
        raise UsageError(f"no channel kind {kind[:20]!r}", hint=" or ".join(FORM_FIELDS))
    config: dict[str, Any] = {"kind": kind}
    for name in FORM_FIELDS[kind]:
        value = form.get(name)
        if not isinstance(value, str) or not value.strip():
            continue
        config[name] = _listed(value) if name in LIST_FIELDS else value
    try:
        return ChannelIn.model_validate({"name": str(form.get("name") or ""), "config": config})
    except ValidationError as exc:
        # Answered like the API's 422 (its handler never echoes the input: it may be a token).
        raise RequestValidationError(
            [{**error, "loc": _field_of(error["loc"], kind)} for error in exc.errors(include_input=False)]
        ) from None


def _listed(value: str) -> list[str]:
    """One recipient a line (or separated by commas or semicolons); a phone number may hold spaces."""
    return [item.strip() for item in re.split(r"[\r\n,;]+", value) if item.strip()]


def _field_of(loc: tuple[int | str, ...], kind: str) -> tuple[int | str, ...]:
    """A config error's location as the form names it ("config.whatsapp.recipients.0" -> recipients.0)."""
    parts = list(loc)
    if parts[:1] == ["config"]:
        parts = parts[2:] if parts[1:2] == [kind] else parts[1:]
    return tuple(parts) or ("settings",)


def _channels_page(
    request: Request,
    page: Page,
    db: SessionDep,
    *,
    done: str | None = None,
    results: list[alert_testing.TestResult] | None = None,
    intake_secret: str | None = None,
) -> Response:
    public_url = settings_of(request).public_url
    records = channel_store.listed(db=db, workspace_id=page.workspace_id)
    shown = [
        {
            "record": record,
            "secrets": {
                name: name in channel_admin.secrets_set(record)
                for name in channel_admin.SECRET_FIELDS[record.kind]
            },
            "webhook_url": channel_admin.whatsapp_webhook_url(public_url=public_url, record=record),
        }
        for record in records
    ]
    intake = (
        channel_admin.intake_addresses(db=db, public_url=public_url, workspace_id=page.workspace_id)
        if page.may("accounts:read")
        else None
    )
    return render(
        request,
        "channels/list.html",
        channels=shown,
        deliveries=channel_admin.recent_deliveries(
            db=db, workspace_id=page.workspace_id, limit=RECENT_DELIVERIES
        ),
        mask=mask_recipient,
        kinds=KINDS,
        may_manage=page.may("channels:write"),
        intake=intake,
        may_rotate=page.may("accounts:write"),
        intake_secret=intake_secret,
        done=done,
        results=results,
    )
