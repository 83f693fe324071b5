"""`cloudwarden test-alert` and POST .../channels/test: one test message per channel and recipient,
sent at once through the outbox, each result reported (a retryable failure stays queued)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cloudwarden.alerts import channel_store, notify, outbox
from cloudwarden.audit import service as audit
from cloudwarden.errors import CloudWardenError
from cloudwarden.store.alerting import OutboxMessage
from cloudwarden.store.tenancy import Workspace

if TYPE_CHECKING:
    from cloudwarden.worker.context import Context


@dataclass(frozen=True)
class TestResult:
    channel: str
    kind: str
    recipient: str
    status: str
    error: str | None


def send_test(*, ctx: Context, workspace_id: str, actor: str) -> list[TestResult]:
    run = uuid.uuid4().hex[:12]
    with ctx.workspace_session(workspace_id) as db:
        workspace = db.get(Workspace, workspace_id)
        name = workspace.name if workspace else workspace_id
        message = notify.test_message(workspace_name=name, url=f"{ctx.settings.public_url}/api/v1")
        rows = notify.enqueue_everywhere(
            db=db, workspace_id=workspace_id, message=message, key=f"test:{run}", incident_id=None
        )
        ids = [row.id for row in rows]
        audit.record(
            db, workspace_id=workspace_id, action="channel.test", actor=actor, details={"messages": len(ids)}
        )
    results: list[TestResult] = []
    for message_id in ids:
        with ctx.workspace_session(workspace_id) as db:
            row = db.get(OutboxMessage, message_id, with_for_update=True)
            assert row is not None
            record = channel_store.get(db=db, workspace_id=workspace_id, channel_id=row.channel_id)
            try:
                attempted = outbox.attempt(row, channel=channel_store.build(db=db, ctx=ctx, record=record))
            except CloudWardenError as exc:
                attempted = outbox.fail(row, f"the channel cannot be used: {exc.message}")
            results.append(
                TestResult(record.name, record.kind, row.recipient, attempted.status, attempted.error)
            )
        if attempted.retry_in is not None:
            ctx.dispatcher.send(
                "deliver_message",
                countdown=attempted.retry_in,
                workspace_id=workspace_id,
                message_id=message_id,
            )
    return results
