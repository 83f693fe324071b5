"""Where alarms and WhatsApp webhooks arrive: one endpoint per workspace and source.

Each delivery is verified first (the SNS signature and its certificate's host, the EventBridge
secret, Meta's X-Hub-Signature-256 over the raw body), then stored and committed, and only then
answered 200; the work it causes (an investigation, a reply) is queued after the commit. A
forged or foreign delivery stores nothing. A delivery seen before (same MessageId, same event id)
is answered 200 without storing anything again, so the sender stops retrying.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from cloudwarden.alerts import flows as alert_flows
from cloudwarden.alerts import webhooks
from cloudwarden.alerts.errors import IntakeRefused, InvalidAlert, InvalidSignature
from cloudwarden.alerts.intake import eventbridge, sns
from cloudwarden.alerts.service import Received
from cloudwarden.api.deps import SessionDep
from cloudwarden.audit import service as audit
from cloudwarden.store import db as store_db
from cloudwarden.store import rls
from cloudwarden.store.alerting import AlertSource
from cloudwarden.store.types import utcnow
from cloudwarden.worker import context as worker_context

router = APIRouter(tags=["intake"])
BASE = "/intake/workspaces/{workspace_id}"
SNS_MAX_AGE = timedelta(days=6)  # below the 7 days alerts (and their MessageIds) are kept


class Accepted(BaseModel):
    status: str = Field(description="stored, duplicate (seen before: nothing stored), confirmed or noted")
    alert_id: str | None = None
    incident_id: str | None = None


def _accepted(received: Received) -> Accepted:
    return Accepted(
        status="duplicate" if received.duplicate else "stored",
        alert_id=received.alert_id,
        incident_id=received.incident_id,
    )


@router.post(
    f"{BASE}/sns",
    operation_id="receive_sns_notification",
    summary="Receive an SNS delivery: alarm notifications and subscription confirmations",
    openapi_extra={"requestBody": {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
async def receive_sns_notification(workspace_id: str, request: Request) -> Accepted:
    body = await request.body()
    ctx = worker_context.get()
    try:
        message = sns.parse(body)
    except sns.IntakeError as exc:
        raise InvalidAlert(str(exc)) from None
    cached = isinstance(ctx.cert_fetcher, sns.CertCache) and ctx.cert_fetcher.has(message.signing_cert_url)
    if cached:  # verified here: nothing to wait for
        _verify(message, ctx)
    else:  # the certificate is downloaded first (once per URL): not on the event loop
        await run_in_threadpool(_verify, message, ctx)
    try:
        sns.check_fresh(message, now=utcnow(), max_age=SNS_MAX_AGE)
        topic_account = sns.topic_account(message)
    except sns.IntakeError as exc:
        raise InvalidAlert(str(exc)) from None
    # Verified before the database is touched (a forgery costs no transaction).
    if message.type != "Notification":
        return await run_in_threadpool(_subscription, ctx, workspace_id, topic_account, message)
    try:
        transition = sns.transition_of(message, sns.alarm_of(message))
    except sns.IntakeError as exc:
        raise InvalidAlert(str(exc)) from None
    delivery = alert_flows.Delivery(
        AlertSource.SNS, message.message_id, transition, via_account=topic_account
    )
    # Stored and committed with whatever else arrived meanwhile, before this answer is sent.
    return _accepted(await ctx.intake_batcher().submit(workspace_id, delivery))


def _verify(message: sns.SnsMessage, ctx: Any) -> None:
    try:
        sns.verify(message, ctx.cert_fetcher)
    except sns.IntakeError as exc:
        raise InvalidSignature(str(exc)) from None


def _subscription(ctx: Any, workspace_id: str, topic_account: str, message: sns.SnsMessage) -> Accepted:
    with ctx.workspace_session(workspace_id) as db:
        alert_flows.open_workspace(db, workspace_id)
        alert_flows.connected_account(db, workspace_id=workspace_id, aws_account_id=topic_account)
        return _subscribe(db, ctx, workspace_id, message)


def _subscribe(db: Any, ctx: Any, workspace_id: str, message: sns.SnsMessage) -> Accepted:
    if message.type == "SubscriptionConfirmation":
        if not message.subscribe_url or ctx.confirm_subscription is None:
            raise InvalidAlert("SubscriptionConfirmation without a SubscribeURL")
        try:
            ctx.confirm_subscription(message.subscribe_url)
        except sns.IntakeError as exc:
            raise InvalidSignature(str(exc)) from None
        except OSError as exc:  # SNS sends the confirmation again; say why this one failed
            raise InvalidAlert(f"could not confirm the subscription: {exc}") from None
        action, status = "intake.sns.subscribe", "confirmed"
    else:  # UnsubscribeConfirmation: noted, never re-subscribed on our own
        action, status = "intake.sns.unsubscribe", "noted"
    audit.record(
        db,
        workspace_id=workspace_id,
        action=action,
        actor="aws:sns",
        target_type="sns_topic",
        target_id=message.topic_arn,
        details={"message_id": message.message_id},
    )
    return Accepted(status=status)


@router.post(
    f"{BASE}/eventbridge",
    operation_id="receive_eventbridge_alarm_event",
    summary="Receive a CloudWatch Alarm State Change event from an EventBridge API destination",
)
async def receive_eventbridge_alarm_event(
    workspace_id: str,
    request: Request,
    db: SessionDep,
    secret: Annotated[str | None, Header(alias=eventbridge.SECRET_HEADER)] = None,
) -> Accepted:
    body = await request.body()
    return await run_in_threadpool(_receive_eventbridge, workspace_id, body, db, secret)


def _receive_eventbridge(workspace_id: str, body: bytes, db: Any, secret: str | None) -> Accepted:
    store_db.write_transaction(db)
    rls.scope(db, workspace_id=workspace_id)
    workspace = alert_flows.open_workspace(db, workspace_id)
    if not eventbridge.secret_matches(secret, workspace.intake_secret_hash):
        raise InvalidSignature(f"the {eventbridge.SECRET_HEADER} header is missing or wrong")
    try:
        event = eventbridge.parse(body)
    except sns.IntakeError as exc:
        raise InvalidAlert(str(exc)) from None
    received = alert_flows.receive(
        db=db,
        workspace_id=workspace_id,
        source=AlertSource.EVENTBRIDGE,
        delivery_id=event.id,
        transition=eventbridge.transition_of(event),
    )
    db.commit()  # stored before anything is answered or queued
    worker_context.get().queue_follow_up(workspace_id, [received])
    return _accepted(received)


@router.get(
    f"{BASE}/whatsapp/{{channel_id}}",
    operation_id="verify_whatsapp_webhook",
    summary="Meta's webhook verification handshake (hub.mode, hub.verify_token, hub.challenge)",
    responses={
        200: {
            "description": "The challenge, as text",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    },
    response_model=None,
)
def verify_whatsapp_webhook(
    workspace_id: str,
    channel_id: str,
    db: SessionDep,
    mode: Annotated[str | None, Query(alias="hub.mode")] = None,
    token: Annotated[str | None, Query(alias="hub.verify_token")] = None,
    challenge: Annotated[str | None, Query(alias="hub.challenge")] = None,
) -> Response:
    rls.scope(db, workspace_id=workspace_id)
    config = webhooks.whatsapp_config(
        db, workspace_id=workspace_id, channel_id=channel_id, keys=worker_context.get().keys
    )
    answer = webhooks.handshake(config, mode=mode, token=token, challenge=challenge)
    return PlainTextResponse(answer)


@router.post(
    f"{BASE}/whatsapp/{{channel_id}}",
    operation_id="receive_whatsapp_webhook",
    summary="Receive WhatsApp message statuses and button replies (X-Hub-Signature-256 verified)",
)
async def receive_whatsapp_webhook(
    workspace_id: str,
    channel_id: str,
    request: Request,
    db: SessionDep,
    signature: Annotated[str | None, Header(alias="X-Hub-Signature-256")] = None,
) -> Accepted:
    body = await request.body()  # verified over exactly these bytes
    return await run_in_threadpool(_receive_whatsapp, workspace_id, channel_id, body, db, signature)


def _receive_whatsapp(
    workspace_id: str, channel_id: str, body: bytes, db: Any, signature: str | None
) -> Accepted:
    store_db.write_transaction(db)
    rls.scope(db, workspace_id=workspace_id)
    ctx = worker_context.get()
    outcome = webhooks.receive_whatsapp(
        db, ctx=ctx, workspace_id=workspace_id, channel_id=channel_id, body=body, signature=signature
    )
    db.commit()
    for task, kwargs in outcome.tasks:
        ctx.dispatcher.send(task, **kwargs)  # type: ignore[arg-type]
    return Accepted(status="stored")


__all__ = ["IntakeRefused", "router"]
