"""What a task needs, built once per process from the settings: the store, AWS, the dispatcher.

    ctx = context.get()                 # the worker's (or the embedded server's) context
    with ctx.workspace_session(ws) as db: ...   # a transaction scoped to one workspace (RLS)

Tasks never receive objects, only ids: a task may run in another process, on another machine,
after a restart. The context is what they open from those ids.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from cloudwarden.alerts import flows as alert_flows
from cloudwarden.alerts.intake import sns
from cloudwarden.alerts.intake.batcher import IntakeBatcher
from cloudwarden.alerts.service import Received
from cloudwarden.aws.session import SessionBroker
from cloudwarden.config import Settings
from cloudwarden.crypto.providers import KeyProvider
from cloudwarden.store import db as store_db
from cloudwarden.store import rls

if TYPE_CHECKING:
    from cloudwarden.worker.dispatch import Dispatcher


@dataclass
class Context:
    settings: Settings
    owner_factory: sessionmaker[Session]  # migrations, the purge, cross-workspace listings
    app_factory: sessionmaker[Session]  # everything done for one workspace (RLS applies)
    broker: SessionBroker
    keys: KeyProvider
    dispatcher: Dispatcher
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=10.0))
    cert_fetcher: sns.CertFetcher = field(default_factory=sns.https_cert_fetcher)
    confirm_subscription: Callable[[str], None] | None = None
    # Called after a task's transaction committed, in the task's thread: (event, details). For
    # whoever embeds the service in-process (the demo keeps the evidence of what it investigated).
    observers: list[Callable[[str, dict[str, Any]], None]] = field(default_factory=list)
    # Group commit for alerts arriving over HTTP (started on first use, in this process).
    intake: IntakeBatcher | None = None
    _intake_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def notify(self, event: str, **details: Any) -> None:
        for observer in list(self.observers):
            observer(event, details)

    def intake_batcher(self) -> IntakeBatcher:
        with self._intake_lock:
            if self.intake is None:
                self.intake = IntakeBatcher(
                    open_session=self.workspace_session, on_stored=self.queue_follow_up
                )
            return self.intake

    def queue_follow_up(self, workspace_id: str, received: Sequence[Received]) -> None:
        """Queue what committed alerts call for (investigations, resolutions), all at once."""
        tasks = [task for one in received for task in alert_flows.follow_up(workspace_id, one)]
        if tasks:
            self.dispatcher.send_many(tasks)

    @contextlib.contextmanager
    def workspace_session(self, workspace_id: str) -> Iterator[Session]:
        """A transaction that sees only `workspace_id`'s rows; committed when the block ends."""
        with store_db.session_scope(self.app_factory) as db:
            store_db.write_transaction(db)  # tasks write: on SQLite, take the writer's turn first
            rls.scope(db, workspace_id=workspace_id)
            yield db

    @contextlib.contextmanager
    def owner_session(self) -> Iterator[Session]:
        with store_db.session_scope(self.owner_factory) as db:
            yield db


def app_factory_for(owner_factory: sessionmaker[Session], settings: Settings) -> sessionmaker[Session]:
    """On PostgreSQL a second engine that runs as the application role (row-level security)."""
    owner_engine = owner_factory.kw["bind"]
    if not isinstance(owner_engine, Engine):
        raise TypeError("a session factory bound to an engine is needed")
    if owner_engine.dialect.name == "postgresql" and settings.database_app_role:
        engine = store_db.make_engine(owner_engine.url.render_as_string(hide_password=False))
        rls.assume_app_role(engine, settings.database_app_role)
        return store_db.session_factory(engine)
    return owner_factory


_current: Context | None = None
_lock = threading.Lock()


def install(ctx: Context) -> None:
    global _current
    with _lock:
        _current = ctx


def uninstall(ctx: Context) -> None:
    global _current
    with _lock:
        if _current is ctx:
            _current = None


def get() -> Context:
    with _lock:
        current = _current
    if current is None:  # a Celery worker process: built from the environment on first use
        from cloudwarden.worker.celery_app import worker_context

        current = worker_context()
        install(current)
    return current
