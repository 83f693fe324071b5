"""The investigation tasks: an incident an alert opened, and an investigation asked for by API.

Each runs in three steps, AWS read between two short transactions: the first claims the work and
reaches the account (`accounts.flows.connect`: what is learnt of its role is kept); the second,
`incidents.flows.attempt`, collects and diagnoses with no transaction open (on SQLite one would be
the one writer's lock, and every page and alert would wait for it); the third stores the result
under the incident's row lock (`incidents.flows.record`), unless a run beside this one stored one
first. Running twice stays harmless, as tasks.py says; at worst two runs both read AWS.
"""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from cloudwarden.accounts import flows as account_flows
from cloudwarden.actions import flows as action_flows
from cloudwarden.alerts import notify
from cloudwarden.errors import CloudWardenError, Unreachable
from cloudwarden.incidents import flows as incident_flows
from cloudwarden.incidents import service as incident_service
from cloudwarden.store import models
from cloudwarden.store.alerting import InvestigationJob, JobStatus
from cloudwarden.store.types import utcnow
from cloudwarden.worker import context

INVESTIGATION_ATTEMPTS = 3


def investigate_incident(workspace_id: str, incident_id: str) -> None:
    """Diagnose an incident an alert opened, propose its fix, queue its messages."""
    ctx = context.get()
    with ctx.workspace_session(workspace_id) as db:
        incident = _investigable(db, workspace_id, incident_id)
        if incident is None:
            return
        account = db.get(models.Account, incident.account_id)
        if account is None or account.status == models.AccountStatus.CLOSED.value:
            incident.state = "failed"
            return
        connection = account_flows.connect(db=db, broker=ctx.broker, account=account, probe=False)
        alarm_name = incident.alarm_name
    tried = incident_flows.attempt(  # AWS read with no transaction open
        connection,
        alarm_name=alarm_name,
        lookback_minutes=ctx.settings.lookback_minutes,
        github=ctx.settings.github_config(),
    )

    messages: list[str] = []
    retry = False
    investigation = None
    failure: CloudWardenError | None = None
    with ctx.workspace_session(workspace_id) as db:
        incident = _investigable(db, workspace_id, incident_id)
        account = db.get(models.Account, incident.account_id) if incident is not None else None
        if incident is None or account is None:
            return  # finished by a run beside this one, or closed meanwhile
        outcome = incident_flows.record(
            db=db,
            account=account,
            actor=f"alert:{incident.notification.get('source', 'alert')}",
            alarm_name=incident.alarm_name,
            source="alert",
            tried=tried,
            incident_id=incident.id,
        )
        if outcome.error is not None:
            attempts = int(incident.notification.get("investigation_attempts", 0)) + 1
            retry = isinstance(outcome.error, Unreachable) and attempts < INVESTIGATION_ATTEMPTS
            incident.notification = {
                **incident.notification,
                "investigation_attempts": attempts,
                "investigation_error": {"code": outcome.error.code, "message": outcome.error.message},
            }
            if not retry:
                incident.state = "failed"
                failure = outcome.error
                told = notify.failure_message(
                    incident=incident,
                    reason=outcome.error.message,
                    url=notify.incident_url(ctx.settings.public_url, incident),
                )
                rows = notify.enqueue_everywhere(
                    db=db, workspace_id=workspace_id, message=told, key="diagnosis", incident_id=incident.id
                )
                messages = [row.id for row in rows]
        else:
            assert outcome.investigation is not None
            investigation = outcome.investigation
            result = investigation.diagnosis.model_dump(mode="json")
            proposal = action_flows.propose(db=db, incident=incident, account=account, result=result)
            message = notify.diagnosis_message(
                incident=incident,
                result=result,
                proposal=proposal,
                url=notify.incident_url(ctx.settings.public_url, incident),
            )
            rows = notify.enqueue_everywhere(
                db=db, workspace_id=workspace_id, message=message, key="diagnosis", incident_id=incident.id
            )
            messages = [row.id for row in rows]
    if investigation is not None:
        ctx.notify(
            "investigated", workspace_id=workspace_id, incident_id=incident_id, investigation=investigation
        )
    if failure is not None:
        ctx.notify("investigation_failed", workspace_id=workspace_id, incident_id=incident_id, error=failure)
    for message_id in messages:
        ctx.dispatcher.send("deliver_message", workspace_id=workspace_id, message_id=message_id)
    if retry:
        ctx.dispatcher.send(
            "investigate_incident", countdown=30, workspace_id=workspace_id, incident_id=incident_id
        )


def run_investigation_job(workspace_id: str, job_id: str) -> None:
    """An investigation asked for through the API (POST .../investigations)."""
    ctx = context.get()
    with ctx.workspace_session(workspace_id) as db:
        job = db.get(InvestigationJob, job_id, with_for_update=True)
        if job is None or job.status in (JobStatus.DONE.value, JobStatus.FAILED.value):
            return
        job.status, job.started_at = JobStatus.RUNNING.value, utcnow()
        account = db.get(models.Account, job.account_id)
        if account is None or account.status == models.AccountStatus.CLOSED.value:
            _finish(job, "not_found", "the account was removed before the investigation started")
            return
        try:
            alarm_name = incident_service.check_alarm_name(job.alarm_name)
        except CloudWardenError as exc:
            _finish(job, exc.code, exc.message)
            return
        connection = account_flows.connect(db=db, broker=ctx.broker, account=account, probe=False)
        lookback_minutes = job.lookback_minutes
    try:
        tried = incident_flows.attempt(
            connection,
            alarm_name=alarm_name,
            lookback_minutes=lookback_minutes,
            github=ctx.settings.github_config(),
        )
    except CloudWardenError as exc:  # anything else that stopped it: the job says what
        tried = incident_flows.Attempt(error=exc)
    with ctx.workspace_session(workspace_id) as db:
        job = db.get(InvestigationJob, job_id, with_for_update=True)
        if job is None or job.status != JobStatus.RUNNING.value:
            return  # finished by a run beside this one
        account = db.get(models.Account, job.account_id)
        if account is None or account.status == models.AccountStatus.CLOSED.value:
            _finish(job, "not_found", "the account was removed while it was investigated")
            return
        outcome = incident_flows.record(
            db=db, account=account, actor=job.actor, alarm_name=alarm_name, source="api", tried=tried
        )
        if outcome.error is not None:
            _finish(job, outcome.error.code, outcome.error.message)
        else:
            job.incident_id = outcome.incident_id
            _finish(job, None, None)


def _investigable(db: Session, workspace_id: str, incident_id: str) -> models.Incident | None:
    """The incident, locked, if it is open and not yet diagnosed (a run before this one may have)."""
    incident = db.get(models.Incident, incident_id, with_for_update=True)
    if incident is None or incident.workspace_id != workspace_id or incident.state != "open":
        return None
    if db.scalar(select(exists().where(models.Diagnosis.incident_id == incident.id))):
        return None
    return incident


def _finish(job: InvestigationJob, code: str | None, message: str | None) -> None:
    job.status = JobStatus.FAILED.value if code else JobStatus.DONE.value
    job.finished_at = utcnow()
    job.error_code, job.error_message = code, message
