"""The task bodies. Each takes ids, opens its own transaction and is safe to run twice.

Celery runs them with acks_late and reject_on_worker_lost (a worker killed mid-task leaves the
task to be run again); the embedded runner runs them on threads. What makes a second run
harmless is in the store, under a row lock: an incident with a diagnosis is not diagnosed
again (investigating.py), a message that is not pending is not sent again, a proposal that is not `executing` is
not executed again, and a consent is spent in the transaction that starts its execution.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import exists, func, select

from cloudwarden.actions import runner
from cloudwarden.alerts import channel_store, outbox
from cloudwarden.alerts import flows as alert_flows
from cloudwarden.alerts.intake import poller
from cloudwarden.alerts.service import Received
from cloudwarden.errors import CloudWardenError
from cloudwarden.posture import flows as posture_flows
from cloudwarden.posture import scan as posture_scan_run
from cloudwarden.store import models, retention
from cloudwarden.store.alerting import (
    ActionProposal,
    AlertSource,
    ChannelRecord,
    DeliveryStatus,
    InvestigationJob,
    JobStatus,
    OutboxMessage,
    ProposalStatus,
)
from cloudwarden.store.posture import PostureScan
from cloudwarden.store.types import utcnow
from cloudwarden.worker import context
from cloudwarden.worker.investigating import investigate_incident, run_investigation_job

log = logging.getLogger("cloudwarden.worker.tasks")

STALE_AFTER = timedelta(seconds=60)  # the sweep re-sends work unfinished for this long
ABANDONED_AFTER = timedelta(minutes=15)  # a running job's worker died (an investigation takes seconds)
RECOVERY_POLL_SECONDS = 10.0
RECOVERY_WINDOW = timedelta(minutes=15)


def deliver_message(workspace_id: str, message_id: str) -> None:
    """One attempt at one outbox message; a retryable failure schedules the next."""
    ctx = context.get()
    retry_in: float | None = None
    with ctx.workspace_session(workspace_id) as db:
        row = db.get(OutboxMessage, message_id, with_for_update=True)
        if row is None or row.status != DeliveryStatus.PENDING.value:
            return
        now = utcnow()
        if row.next_attempt_at is not None and row.next_attempt_at > now + timedelta(seconds=1):
            retry_in = (row.next_attempt_at - now).total_seconds()
        else:
            record = db.get(ChannelRecord, row.channel_id)
            if record is None or record.removed_at is not None or not record.enabled:
                outbox.fail(row, "the channel was removed or paused")
                return
            try:
                channel = channel_store.build(db=db, ctx=ctx, record=record)
            except CloudWardenError as exc:
                outbox.fail(row, f"the channel cannot be used: {exc.message}")
                return
            retry_in = outbox.attempt(row, channel=channel, now=now).retry_in
    if retry_in is not None:
        ctx.dispatcher.send(
            "deliver_message", countdown=retry_in, workspace_id=workspace_id, message_id=message_id
        )


def execute_action(workspace_id: str, proposal_id: str) -> None:
    """Run an approved action (its consent was spent when it was queued), then watch the alarm."""
    ctx = context.get()
    followups = runner.execute(ctx=ctx, workspace_id=workspace_id, proposal_id=proposal_id)
    for message_id in followups.messages:
        ctx.dispatcher.send("deliver_message", workspace_id=workspace_id, message_id=message_id)
    if followups.watch:
        deadline = (utcnow() + RECOVERY_WINDOW).isoformat()
        ctx.dispatcher.send(
            "watch_recovery", workspace_id=workspace_id, proposal_id=proposal_id, deadline=deadline
        )


def watch_recovery(workspace_id: str, proposal_id: str, deadline: str) -> None:
    """Did the alarm return to OK after the action? Report it either way, once."""
    ctx = context.get()
    outcome = runner.check_recovery(
        ctx=ctx, workspace_id=workspace_id, proposal_id=proposal_id, deadline=datetime.fromisoformat(deadline)
    )
    for message_id in outcome.messages:
        ctx.dispatcher.send("deliver_message", workspace_id=workspace_id, message_id=message_id)
    if outcome.watch:
        ctx.dispatcher.send(
            "watch_recovery",
            countdown=RECOVERY_POLL_SECONDS,
            workspace_id=workspace_id,
            proposal_id=proposal_id,
            deadline=deadline,
        )


def incident_resolved(workspace_id: str, incident_id: str) -> None:
    """The alarm is back to OK: report the recovery of the actions run for it (once each)."""
    ctx = context.get()
    with ctx.workspace_session(workspace_id) as db:
        proposals = db.scalars(
            select(ActionProposal.id).where(
                ActionProposal.incident_id == incident_id,
                ActionProposal.status == ProposalStatus.SUCCEEDED.value,
                ActionProposal.recovered.is_(None),
            )
        ).all()
    for proposal_id in proposals:
        deadline = (utcnow() + RECOVERY_WINDOW).isoformat()
        watch_recovery(workspace_id, proposal_id, deadline)


def poll_alarms() -> None:
    """Beat: one poll task per connected account."""
    ctx = context.get()
    with ctx.owner_session() as db:
        accounts = db.execute(
            select(models.Account.workspace_id, models.Account.id).where(
                models.Account.status == models.AccountStatus.CONNECTED.value
            )
        ).all()
    for workspace_id, account_id in accounts:
        ctx.dispatcher.send("poll_account", workspace_id=workspace_id, account_id=account_id)


def poll_account(workspace_id: str, account_id: str) -> None:
    """Read the account's alarm states: transitions a push missed become alerts like any other."""
    ctx = context.get()
    stored: list[Received] = []
    with ctx.workspace_session(workspace_id) as db:
        account = db.get(models.Account, account_id)
        if account is None or account.status != models.AccountStatus.CONNECTED.value:
            return
        transitions = poller.read_transitions(ctx.broker, account)
        now = utcnow()
        for transition in transitions:
            if transition.new_state == "ALARM" and not alert_flows.recent_enough(
                transition, now=now, lookback_minutes=ctx.settings.lookback_minutes
            ):
                continue
            received = alert_flows.receive(
                db=db,
                workspace_id=workspace_id,
                source=AlertSource.POLLER,
                delivery_id=transition.key,
                transition=transition,
            )
            stored.append(received)
    ctx.queue_follow_up(workspace_id, stored)  # after the commit


def sweep() -> None:
    """Beat (and at start): re-send work the store says is unfinished and nobody is doing."""
    ctx = context.get()
    now = utcnow()
    stale = now - STALE_AFTER
    with ctx.owner_session() as db:
        incidents = db.execute(
            select(models.Incident.workspace_id, models.Incident.id).where(
                models.Incident.state == "open",
                models.Incident.received_at < stale,
                models.Incident.received_at > now - timedelta(minutes=ctx.settings.lookback_minutes),
                ~exists().where(models.Diagnosis.incident_id == models.Incident.id),
            )
        ).all()
        messages = db.execute(
            select(OutboxMessage.workspace_id, OutboxMessage.id).where(
                OutboxMessage.status == DeliveryStatus.PENDING.value,
                OutboxMessage.updated_at < stale,
                (OutboxMessage.next_attempt_at.is_(None)) | (OutboxMessage.next_attempt_at <= now),
            )
        ).all()
        jobs = db.execute(
            select(InvestigationJob.workspace_id, InvestigationJob.id).where(
                ((InvestigationJob.status == JobStatus.QUEUED.value) & (InvestigationJob.created_at < stale))
                | (
                    (InvestigationJob.status == JobStatus.RUNNING.value)
                    & (InvestigationJob.started_at < now - ABANDONED_AFTER)
                )
            )
        ).all()
        executing = db.execute(
            select(ActionProposal.workspace_id, ActionProposal.id).where(
                ActionProposal.status == ProposalStatus.EXECUTING.value, ActionProposal.executed_at < stale
            )
        ).all()
    for workspace_id, incident_id in incidents:
        ctx.dispatcher.send("investigate_incident", workspace_id=workspace_id, incident_id=incident_id)
    for workspace_id, message_id in messages:
        ctx.dispatcher.send("deliver_message", workspace_id=workspace_id, message_id=message_id)
    for workspace_id, job_id in jobs:
        ctx.dispatcher.send("run_investigation_job", workspace_id=workspace_id, job_id=job_id)
    for workspace_id, proposal_id in executing:
        ctx.dispatcher.send("execute_action", workspace_id=workspace_id, proposal_id=proposal_id)


def purge() -> None:
    """Beat: the retention purge, as the database owner."""
    ctx = context.get()
    with ctx.owner_session() as db:
        counts = retention.purge(
            db, ages=retention.configured_ages(audit_retention_days=ctx.settings.audit_retention_days)
        )
    deleted = {table: n for table, n in counts.items() if n}
    if deleted:
        log.info("retention purge deleted %s", deleted)


def posture_scans() -> None:
    """Beat: a posture scan for each connected account not scanned within the interval."""
    ctx = context.get()
    due_before = utcnow() - timedelta(hours=ctx.settings.posture_interval_hours)
    with ctx.owner_session() as db:
        accounts = db.execute(
            select(models.Account.workspace_id, models.Account.id).where(
                models.Account.status == models.AccountStatus.CONNECTED.value,
                ~exists().where(
                    PostureScan.account_id == models.Account.id, PostureScan.started_at > due_before
                ),
            )
        ).all()
    for workspace_id, account_id in accounts:
        ctx.dispatcher.send(
            "posture_scan",
            workspace_id=workspace_id,
            account_id=account_id,
            requested_at=due_before.isoformat(),
        )


def posture_scan(workspace_id: str, account_id: str, requested_at: str) -> None:
    """Scan the account's posture, unless a scan started after `requested_at` (a re-run: done).

    Three steps, the AWS reads between two short transactions: a scan of a large account takes
    minutes, and no transaction (on SQLite: the one writer's lock) is held open for them.
    """
    ctx = context.get()
    requested = datetime.fromisoformat(requested_at)
    actor = "cloudwarden:schedule"
    with ctx.workspace_session(workspace_id) as db:
        account = db.get(models.Account, account_id)
        if account is None or account.status != models.AccountStatus.CONNECTED.value:
            return
        done = db.scalar(
            select(func.count()).where(
                PostureScan.account_id == account_id, PostureScan.started_at > requested
            )
        )
        if done:
            return
        try:
            session = posture_flows.reach(db=db, broker=ctx.broker, account=account, actor=actor)
        except CloudWardenError as exc:  # the account's state and the failed attempt are committed
            log.warning("posture scan of %s failed: %s", account_id, exc.message)
            return
        regions = list(account.regions)
    outcome = posture_scan_run.scan_session(session, regions=regions)
    with ctx.workspace_session(workspace_id) as db:
        account = db.get(models.Account, account_id)
        if account is None or account.status == models.AccountStatus.CLOSED.value:
            return  # closed while it was scanned: nothing is kept of it
        posture_flows.record(db=db, account=account, actor=actor, outcome=outcome)


TASKS: dict[str, Callable[..., None]] = {
    task.__name__: task
    for task in (
        investigate_incident,
        run_investigation_job,
        deliver_message,
        execute_action,
        watch_recovery,
        incident_resolved,
        poll_alarms,
        poll_account,
        sweep,
        purge,
        posture_scans,
        posture_scan,
    )
}
