"""How the service runs its tasks: on a broker for `cloudwarden worker`, or in its own threads.

    work = for_service(settings, owner_factory=..., app_factory=..., keys=...)
    work.start(); ...; work.stop()

With CLOUDWARDEN_BROKER_URL the server only queues (workers and beat run apart); without it the
server runs the same tasks on a thread pool and its own beat thread, which sweeps at start so
work left unfinished by a restart resumes.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from cloudwarden.alerts.intake import sns
from cloudwarden.aws.session import SessionBroker
from cloudwarden.config import Settings
from cloudwarden.crypto.providers import KeyProvider
from cloudwarden.worker.context import Context
from cloudwarden.worker.dispatch import CeleryDispatcher, InProcessDispatcher
from cloudwarden.worker.schedule import InProcessBeat


@dataclass
class Work:
    context: Context
    beat: InProcessBeat | None

    @property
    def embedded(self) -> bool:
        return self.beat is not None

    def start(self) -> None:
        self.context.dispatcher.open()
        if self.beat is not None:
            self.beat.start()

    def stop(self) -> None:
        if self.beat is not None:
            self.beat.stop()
        if self.context.intake is not None:  # store what was received before the queue goes
            self.context.intake.stop()
        self.context.dispatcher.close()


def for_service(
    settings: Settings,
    *,
    owner_factory: sessionmaker[Session],
    app_factory: sessionmaker[Session],
    keys: KeyProvider,
    beat_first_delay: float = 5.0,
) -> Work:
    if settings.broker_url:
        from cloudwarden.worker.celery_app import make_celery

        dispatcher: CeleryDispatcher | InProcessDispatcher = CeleryDispatcher(make_celery(settings))
    else:
        # SQLite has one writer at a time: the embedded runner runs one task at a time on it.
        sqlite = owner_factory.kw["bind"].dialect.name == "sqlite"
        dispatcher = InProcessDispatcher(workers=1 if sqlite else 4)
    context = Context(
        settings=settings,
        owner_factory=owner_factory,
        app_factory=app_factory,
        broker=SessionBroker(settings),
        keys=keys,
        dispatcher=dispatcher,
        cert_fetcher=sns.simulator_cert_fetcher(settings.simulator_url)
        if settings.simulator_url
        else sns.https_cert_fetcher(),
        confirm_subscription=sns.simulator_confirmer(settings.simulator_url)
        if settings.simulator_url
        else sns.https_confirmer(),
    )
    beat = None if settings.broker_url else InProcessBeat(dispatcher, settings, first_delay=beat_first_delay)
    return Work(context=context, beat=beat)
