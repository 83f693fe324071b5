"""The demo's on-call loop: the diagnosis on a phone, one tap to approve, the fix, the recovery.

`prepare` gives the demo's workspace a WhatsApp channel on the local Cloud API stand-in
(simulator/whatsapp.py) and an on-call responder whose number it is; the responder has written to
the business number, so the 24-hour window is open and the diagnosis arrives with reply buttons.
`run` waits for that message, taps "Approve fix" as the responder would (the stand-in posts the
signed button reply to the service's webhook), and follows what the service does: the consent,
the execution through the actions role, the alarm back to OK, the recovery message.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloudwarden import runtime
from cloudwarden.alerts import channel_store
from cloudwarden.alerts.channels.configs import WhatsAppConfig
from cloudwarden.embedded import EmbeddedService
from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.whatsapp import WhatsAppStandIn
from cloudwarden.store.alerting import ActionProposal, ChannelRecord, Consent, OutboxMessage
from cloudwarden.store.tenancy import Membership, Role, User

RESPONDER_NUMBER = "447700900123"
RECOVERY_MINUTES = 3
RESPONDER_EMAIL = "on-call@example.com"
WAIT_SECONDS = 60.0
StepReporter = Callable[[str], contextlib.AbstractContextManager[Any]]


@dataclass
class Phone:
    standin: WhatsAppStandIn
    number: str
    channel_id: str


@dataclass
class Remediation:
    deliveries: list[dict[str, str]] = field(default_factory=list)
    summary: dict[str, Any] | None = None


def prepare(service: EmbeddedService, *, factory: sessionmaker[Session], sim: SimulatorClient) -> Phone:
    secret, token = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    standin = WhatsAppStandIn(
        app_secret=secret, access_token=token, phone_number_id="106540352242922"
    ).start()
    config = WhatsAppConfig(
        api_base_url=standin.base_url,
        phone_number_id=standin.phone_number_id,
        access_token=SecretStr(token),
        app_secret=SecretStr(secret),
        verify_token=SecretStr(secrets.token_urlsafe(16)),
        template_name="cloudwarden_incident",
        recipients=[RESPONDER_NUMBER],
    )
    workspace = runtime.LOCAL_WORKSPACE_ID
    with factory.begin() as db:
        record = channel_store.create(
            db=db, keys=service.context.keys, workspace_id=workspace, name="on-call phones", config=config
        )
        user = db.scalars(select(User).where(User.email == RESPONDER_EMAIL)).first()
        if user is None:  # the demo's responder: signs in nowhere, approves from their phone
            user = User(
                email=RESPONDER_EMAIL,
                display_name="On-call responder",
                password_hash="!",  # noqa: S106 - no password: this person never signs in
                phone=RESPONDER_NUMBER,
            )
            db.add(user)
            db.flush()
            db.add(Membership(workspace_id=workspace, user_id=user.id, role=Role.RESPONDER.value))
        channel_id = record.id
    standin.webhook_url = f"{service.url}/api/v1/intake/workspaces/{workspace}/whatsapp/{channel_id}"
    standin.user_sends_text(RESPONDER_NUMBER, "on call tonight")  # opens the 24-hour window
    standin.wait_for_webhooks(10)
    return Phone(standin=standin, number=RESPONDER_NUMBER, channel_id=channel_id)


def run(
    service: EmbeddedService,
    *,
    factory: sessionmaker[Session],
    sim: SimulatorClient,
    incident_id: str,
    phone: Phone,
    step: StepReporter,
    approver: Approver | None = None,
) -> Remediation:
    """`approver`: someone approves in the console instead of on the phone. It runs in a thread of
    its own with the service's URL and the incident id, and returns once it has seen the recovery;
    the service stays up until it has (its failure is this function's)."""
    console: _Console | None = None
    try:
        with step("Delivering the diagnosis to the on-call phone (WhatsApp)"):
            message = _wait(lambda: _diagnosis_message(phone), "the diagnosis did not reach WhatsApp")
        approve = next((b for b in _buttons(message) if b["reply"]["id"].startswith("approve:")), None)
        if approve is None:
            return Remediation(deliveries=_deliveries(factory, incident_id), summary={"proposed": None})
        proposal_id = approve["reply"]["id"].removeprefix("approve:")
        if approver is not None:
            console = _Console(approver, service.url, incident_id)
        with step(
            "A responder approves the fix in the console: a single-use, 90-second consent"
            if console
            else 'The responder taps "Approve fix": a single-use, 90-second consent'
        ):
            if console is None:
                phone.standin.user_taps_button(
                    phone.number, message.wamid, approve["reply"]["id"], approve["reply"]["title"]
                )
            _wait(
                lambda: (
                    (console is None or console.check())
                    and _proposal(
                        factory, proposal_id, lambda p: p.status not in ("proposed", "approved", "executing")
                    )
                ),
                "the approved action did not run",
            )
        with step("Executed through the actions role; three minutes on, the alarm is evaluated again"):
            # The alarm needs its next one-minute periods to see the restarted service: the
            # simulated account lives three minutes ahead rather than make the demo wait for them.
            sim.tick(advance_seconds=RECOVERY_MINUTES * 60)
            _wait(
                lambda: _proposal(factory, proposal_id, lambda p: p.recovered is not None),
                "recovery was not reported",
            )
            _wait(
                lambda: _recovery_delivered(factory, incident_id),
                "the recovery message did not reach WhatsApp",
            )
        if console is not None:
            console.join()
        summary = _summary(factory, proposal_id)
        return Remediation(deliveries=_deliveries(factory, incident_id), summary=summary)
    finally:
        phone.standin.stop()


# (service URL, incident id) -> None, once the approver has seen the recovery.
Approver = Callable[[str, str], None]


class _Console(threading.Thread):
    """The approver at work in a thread of its own, its failure kept for the loop to raise."""

    def __init__(self, approver: Approver, url: str, incident_id: str) -> None:
        super().__init__(name="cw-demo-console", daemon=True)
        self.approver, self.url, self.incident_id = approver, url, incident_id
        self.failure: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            self.approver(self.url, self.incident_id)
        except BaseException as failure:  # re-raised by join(), in the loop's thread
            self.failure = failure

    def check(self) -> bool:
        """True while the approver has not failed; its failure otherwise."""
        if self.failure is not None:
            raise self.failure
        return True

    def join(self, timeout: float | None = WAIT_SECONDS) -> None:
        super().join(timeout)
        if self.is_alive():
            raise RuntimeError(f"the console approver did not finish within {WAIT_SECONDS:.0f}s")
        if self.failure is not None:
            raise self.failure


def _wait(probe: Callable[[], Any], failure: str, every: float = 0.1) -> Any:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(every)
    raise RuntimeError(f"{failure} within {WAIT_SECONDS:.0f}s")


def _diagnosis_message(phone: Phone) -> Any:
    return next(
        (
            m
            for m in phone.standin.sent
            if m.to == phone.number and m.type in ("interactive", "template", "text")
        ),
        None,
    )


def _buttons(message: Any) -> list[dict[str, Any]]:
    if message.type != "interactive":
        return []
    buttons: list[dict[str, Any]] = message.body["interactive"]["action"]["buttons"]
    return buttons


def _recovery_delivered(factory: sessionmaker[Session], incident_id: str) -> bool:
    """The recovery message left the outbox (the provider accepted it)."""
    with factory.begin() as db:
        return bool(
            db.scalars(
                select(OutboxMessage.id).where(
                    OutboxMessage.incident_id == incident_id,
                    OutboxMessage.kind == "recovery",
                    OutboxMessage.status.in_(("sent", "delivered", "read")),
                )
            ).first()
        )


def _proposal(
    factory: sessionmaker[Session], proposal_id: str, ready: Callable[[ActionProposal], bool]
) -> bool:
    with factory.begin() as db:
        proposal = db.get(ActionProposal, proposal_id)
        return proposal is not None and ready(proposal)


def _summary(factory: sessionmaker[Session], proposal_id: str) -> dict[str, Any]:
    with factory.begin() as db:
        proposal = db.get(ActionProposal, proposal_id)
        assert proposal is not None
        consent = db.scalars(select(Consent).where(Consent.proposal_id == proposal_id)).first()
        return {
            "action": proposal.action,
            "resource": proposal.resource,
            "params": proposal.params,
            "consent": {"via": consent.via, "approver": consent.approver, "used": consent.used_at is not None}
            if consent
            else None,
            "executed": proposal.status == "succeeded",
            "status": proposal.status,
            "detail": proposal.result.get("detail"),
            "recovered": proposal.recovered,
        }


def _deliveries(factory: sessionmaker[Session], incident_id: str) -> list[dict[str, str]]:
    with factory.begin() as db:
        rows = db.execute(
            select(OutboxMessage, ChannelRecord.kind)
            .join(ChannelRecord, ChannelRecord.id == OutboxMessage.channel_id)
            .where(OutboxMessage.incident_id == incident_id)
            .order_by(OutboxMessage.created_at)
        ).all()
        return [
            {"channel": kind, "kind": r.kind, "recipient": r.recipient, "status": r.status}
            for r, kind in rows
        ]
