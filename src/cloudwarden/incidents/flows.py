"""The investigate flow: alarm -> evidence -> diagnosis -> narration -> stored incident.

One path for the CLI, the demo, the API and the worker. `run` is the part that talks to AWS
and reasons (no store); `investigate` adds the account (connect, state) and the records.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from cloudwarden.accounts import flows as account_flows
from cloudwarden.audit import service as audit
from cloudwarden.aws.session import AssumedSession, CallLog, SessionBroker
from cloudwarden.diagnosis.engine import diagnose
from cloudwarden.diagnosis.model import Diagnosis
from cloudwarden.diagnosis.narrate import Narrator, narrator_from_settings
from cloudwarden.errors import CloudWardenError, NotFound, NothingToInvestigate, Unreachable
from cloudwarden.evidence import github_report
from cloudwarden.evidence.collect import collect
from cloudwarden.evidence.context import CollectContext
from cloudwarden.evidence.github_api import GitHubConfig
from cloudwarden.evidence.model import EvidenceBundle
from cloudwarden.incidents import service
from cloudwarden.store import models
from cloudwarden.store import service as store


@dataclass
class Investigation:
    diagnosis: Diagnosis
    bundle: EvidenceBundle
    call_log: CallLog
    collect_ms: int
    diagnose_ms: int


def run(
    session: AssumedSession,
    *,
    alarm_name: str,
    lookback_minutes: int,
    narrator: Narrator | None = None,
    github: GitHubConfig | None = None,
    at: datetime | None = None,
) -> Investigation:
    """Collect, diagnose, then narrate (the template unless an LLM narrator is configured).

    The moment explained is the alarm's transition into ALARM, or the window around `at`;
    NothingToInvestigate when there is neither. With `github` (Settings.github_config()), the
    commits of suspect deployments are shown under their bad_deploy hypotheses: context for the
    report, not a scoring input.
    """
    ctx = CollectContext(session=session)
    started = time.perf_counter()
    bundle = collect(ctx, alarm_name=alarm_name, lookback_minutes=lookback_minutes, github=github, at=at)
    collected = time.perf_counter()
    diagnosis = diagnose(bundle)
    github_report.attach(diagnosis, bundle)
    chosen = narrator or narrator_from_settings()
    diagnosis.narration = chosen.narrate(diagnosis)
    done = time.perf_counter()
    return Investigation(
        diagnosis=diagnosis,
        bundle=bundle,
        call_log=ctx.call_log,
        collect_ms=int((collected - started) * 1000),
        diagnose_ms=int((done - collected) * 1000),
    )


@dataclass
class Outcome:
    """An investigation stored under its incident, or the error that stopped it."""

    account: models.Account
    incident_id: str | None = None
    investigation: Investigation | None = None
    error: CloudWardenError | None = None

    def raise_for_error(self) -> Investigation:
        if self.error is not None:
            raise self.error
        assert self.investigation is not None
        return self.investigation


@dataclass(frozen=True)
class Attempt:
    """What running an investigation gave: the investigation, or the error that stopped it."""

    investigation: Investigation | None = None
    error: CloudWardenError | None = None


def attempt(
    connection: account_flows.Connection,
    *,
    alarm_name: str,
    lookback_minutes: int,
    narrator: Narrator | None = None,
    github: GitHubConfig | None = None,
    at: datetime | None = None,
) -> Attempt:
    """`run` through the connection `account_flows.connect` made, with the errors an
    investigation reports rather than raises (the account refused or unreachable, nothing to
    explain, no such alarm) returned as values. No store: a caller holds no transaction open
    while AWS is read (the worker's tasks: on SQLite that would be the one writer's lock)."""
    if connection.error is not None:
        return Attempt(error=connection.error)
    assert connection.session is not None
    try:
        return Attempt(
            investigation=run(
                connection.session,
                alarm_name=alarm_name,
                lookback_minutes=lookback_minutes,
                narrator=narrator,
                github=github,
                at=at,
            )
        )
    except (NothingToInvestigate, NotFound, Unreachable) as exc:
        return Attempt(error=exc)


def investigate(
    *,
    db: Session,
    broker: SessionBroker,
    account: models.Account,
    actor: str,
    alarm_name: str,
    lookback_minutes: int,
    at: datetime | None = None,
    incident_id: str | None = None,
    source: str = "cli",
    narrator: Narrator | None = None,
    github: GitHubConfig | None = None,
) -> Outcome:
    """Investigate the alarm in the account and store the result under an incident.

    `incident_id`: the incident an alert already opened (SNS, EventBridge, the poller); without
    it, an incident is recorded for this investigation. What is learnt about the account (its
    role was revoked, or works again) is recorded in `db` even when the investigation fails: the
    error comes back in the Outcome, for the caller to commit and then report.

    Three steps a caller may also take apart, to read AWS outside its transaction:
    `account_flows.connect`, `attempt`, `record`.
    """
    name = service.check_alarm_name(alarm_name)
    connection = account_flows.connect(db=db, broker=broker, account=account, probe=False)
    tried = attempt(
        connection,
        alarm_name=name,
        lookback_minutes=lookback_minutes,
        narrator=narrator,
        github=github,
        at=at,
    )
    return record(
        db=db,
        account=account,
        actor=actor,
        alarm_name=name,
        source=source,
        tried=tried,
        incident_id=incident_id,
        at=at,
    )


def record(
    *,
    db: Session,
    account: models.Account,
    actor: str,
    alarm_name: str,
    source: str,
    tried: Attempt,
    incident_id: str | None = None,
    at: datetime | None = None,
) -> Outcome:
    """Store an attempt: its evidence and diagnosis under `incident_id` (or an incident recorded
    now), audited ("incident.investigate") whether it succeeded or failed."""
    name = service.check_alarm_name(alarm_name)

    def audited(outcome: Outcome) -> Outcome:
        error = outcome.error
        audit.record(
            db,
            workspace_id=account.workspace_id,
            action="incident.investigate",
            actor=actor,
            target_type="incident" if outcome.incident_id else "account",
            target_id=outcome.incident_id or account.id,
            outcome="success" if error is None else "failure",
            details={"alarm": name, "source": source, **({"error": error.code} if error else {})},
        )
        return outcome

    if tried.investigation is None:
        assert tried.error is not None, "an attempt holds an investigation or its error"
        return audited(Outcome(account=account, error=tried.error))
    result = tried.investigation
    diagnosis = result.diagnosis
    if incident_id is None:
        incident, _ = store.record_incident(
            db=db,
            workspace_id=account.workspace_id,
            account_id=account.id,
            alarm_name=name,
            alarm_arn=diagnosis.alarm.arn,
            region=account.regions[0],
            opened_at=diagnosis.alarm.state_changed_at,
            notification={"source": source, "alarm": name, "at": at.isoformat() if at else None},
            dedup_key=f"{source}:{diagnosis.alarm.arn}:{diagnosis.alarm.state_changed_at.isoformat()}",
        )
        incident_id = incident.id
    service.record_investigation(
        db=db,
        workspace_id=account.workspace_id,
        incident_id=incident_id,
        bundle=result.bundle,
        diagnosis=diagnosis,
        duration_ms=result.collect_ms + result.diagnose_ms,
    )
    return audited(Outcome(account=account, incident_id=incident_id, investigation=result))
