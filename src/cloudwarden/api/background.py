"""Investigations the API runs after answering: a thread pool owned by the app, jobs kept in memory.

    jobs = investigations(request.app)            # created on first use, shut down with the app
    job = jobs.submit(workspace_id=..., account_id=..., alarm_name=..., lookback_minutes=..., actor=...)
    jobs.get(job.id)                               # queued -> running -> done | failed

A job never runs inside the request that queued it: it opens its own transaction on the app's
session factory, scoped to the job's workspace (row-level security, store/rls.py), calls the
investigate flow (which talks to AWS) and commits what it learnt, including a failure's (a
revoked role leaves the account disconnected). Its status is then `done` with the incident, or
`failed` with the error's code and message.

The jobs live in this process's memory: a restart forgets them (the incidents they stored stay),
and only the process that queued a job can report it. The durable queue (a job table and a
worker process) comes with the worker issue; until then the API serves one process.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from cloudwarden.aws.session import SessionBroker
from cloudwarden.config import Settings
from cloudwarden.errors import CloudWardenError, NotFound
from cloudwarden.incidents import flows
from cloudwarden.store import models, rls
from cloudwarden.store import service as store
from cloudwarden.store.db import session_scope
from cloudwarden.store.types import utcnow

log = logging.getLogger("cloudwarden.api.background")

Status = Literal["queued", "running", "done", "failed"]
WORKERS = 4
KEPT_JOBS = 10_000  # the oldest finished jobs are forgotten beyond this
_creating = threading.Lock()


@dataclass(frozen=True)
class Job:
    id: str
    workspace_id: str
    account_id: str
    alarm_name: str
    lookback_minutes: int
    actor: str
    status: Status
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    incident_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None


class Investigations:
    """The app's investigation jobs and the threads that run them."""

    def __init__(self, *, factory: sessionmaker[Session], settings: Settings, workers: int = WORKERS) -> None:
        self.factory = factory
        self.settings = settings
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cw-investigate")
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()

    def submit(
        self, *, workspace_id: str, account_id: str, alarm_name: str, lookback_minutes: int, actor: str
    ) -> Job:
        job = Job(
            id=str(uuid.uuid4()),
            workspace_id=workspace_id,
            account_id=account_id,
            alarm_name=alarm_name,
            lookback_minutes=lookback_minutes,
            actor=actor,
            status="queued",
            created_at=utcnow(),
        )
        with self._lock:
            self._jobs[job.id] = job
            self._forget_oldest()
        self._executor.submit(self._run, job.id)
        return job

    def get(self, job_id: str, *, workspace_id: str) -> Job:
        """The job, if it is the workspace's; another workspace's is not found, as if it did not exist."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or job.workspace_id != workspace_id:
            raise NotFound("no such investigation", hint="investigations are kept until the service restarts")
        return job

    def shutdown(self) -> None:
        """Finish the running jobs; the queued ones are dropped (their status stays `queued`)."""
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _update(self, job_id: str, **changes: object) -> Job:
        with self._lock:
            job = replace(self._jobs[job_id], **changes)  # type: ignore[arg-type]
            self._jobs[job_id] = job
            return job

    def _forget_oldest(self) -> None:
        finished = [k for k, j in self._jobs.items() if j.status in ("done", "failed")]
        for key in finished[: max(0, len(self._jobs) - KEPT_JOBS)]:
            del self._jobs[key]

    def _run(self, job_id: str) -> None:
        job = self._update(job_id, status="running", started_at=utcnow())
        try:
            with session_scope(self.factory) as db:
                rls.scope(db, workspace_id=job.workspace_id)  # PostgreSQL: this workspace's rows only
                account = store.get_account(db=db, workspace_id=job.workspace_id, account_id=job.account_id)
                if account is None or account.status == models.AccountStatus.CLOSED:
                    raise NotFound("the account was removed before the investigation started")
                outcome = flows.investigate(
                    db=db,
                    broker=SessionBroker(self.settings),
                    account=account,
                    actor=job.actor,
                    alarm_name=job.alarm_name,
                    lookback_minutes=job.lookback_minutes,
                    source="api",
                    github=self.settings.github_config(),
                )
            # Committed: the incident, or what the failure taught about the account.
            if outcome.error is not None:
                self._fail(job_id, outcome.error.code, outcome.error.message)
            else:
                self._update(job_id, status="done", finished_at=utcnow(), incident_id=outcome.incident_id)
        except CloudWardenError as exc:
            self._fail(job_id, exc.code, exc.message)
        except Exception:  # a bug: logged; the job says no more than the API's 500 would
            log.exception("investigation %s failed", job_id)
            self._fail(
                job_id, "internal", "internal error: the investigation failed; the server's log has it"
            )

    def _fail(self, job_id: str, code: str, message: str) -> None:
        self._update(job_id, status="failed", finished_at=utcnow(), error_code=code, error_message=message)


def investigations(app: FastAPI) -> Investigations:
    """The app's jobs, created on first use (shut down by `shutdown` when the app stops)."""
    with _creating:
        jobs: Investigations | None = getattr(app.state, "investigations", None)
        if jobs is None:
            jobs = Investigations(factory=app.state.session_factory, settings=app.state.settings)
            app.state.investigations = jobs
        return jobs


def shutdown(app: FastAPI) -> None:
    """Stop the app's jobs, if any were started: called when the app shuts down."""
    with _creating:
        jobs: Investigations | None = getattr(app.state, "investigations", None)
        app.state.investigations = None
    if jobs is not None:
        jobs.shutdown()
