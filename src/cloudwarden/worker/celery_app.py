"""The Celery app: the tasks of tasks.TASKS, durable (acks_late, reject_on_worker_lost), and beat.

    cloudwarden worker        # celery worker: runs tasks from the broker (several may run anywhere)
    cloudwarden beat          # celery beat: sends the schedule (one per deployment)

A task is acknowledged only after it ran; a worker process killed mid-task has its task given
back to the broker (reject_on_worker_lost) and run again, which the task bodies make harmless.
With Redis, a message a dead worker had taken comes back after `visibility_timeout`.
"""

from __future__ import annotations

from typing import Any

from celery import Celery

from cloudwarden.config import Settings, get_settings
from cloudwarden.errors import ConfigurationError
from cloudwarden.worker import schedule
from cloudwarden.worker.context import Context
from cloudwarden.worker.tasks import TASKS

VISIBILITY_TIMEOUT_SECONDS = 900  # > the longest task (an investigation takes seconds)


def result_backend(settings: Settings) -> str | None:
    if settings.result_backend_url:
        return settings.result_backend_url
    broker = settings.broker_url or ""
    return broker if broker.startswith(("redis://", "rediss://")) else None


def make_celery(settings: Settings) -> Celery:
    if not settings.broker_url:
        raise ConfigurationError(
            "CLOUDWARDEN_BROKER_URL is not set: the worker needs a broker",
            hint="e.g. CLOUDWARDEN_BROKER_URL=redis://127.0.0.1:6379/1 (or amqp://guest@127.0.0.1//); "
            "without one, `cloudwarden serve` runs the tasks itself",
        )
    app = Celery("cloudwarden", broker=settings.broker_url, backend=result_backend(settings))
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,  # a bug is not retried forever; the sweep looks again
        worker_prefetch_multiplier=1,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_expires=3600,
        task_ignore_result=True,
        task_default_queue=settings.task_queue,
        timezone="UTC",
        enable_utc=True,
        broker_connection_retry_on_startup=True,
        # A request must not hang on a broker that is down: its alert is stored, the sweep re-sends.
        task_publish_retry_policy={
            "max_retries": 1,
            "interval_start": 0,
            "interval_step": 0.2,
            "interval_max": 0.2,
        },
        broker_transport_options={
            "visibility_timeout": VISIBILITY_TIMEOUT_SECONDS,
            # Sending: give up on a dead broker within a second (the sweep re-sends later).
            "max_retries": 1,
            "interval_start": 0,
            "interval_step": 0.2,
            "interval_max": 0.5,
        },
        broker_connection_timeout=2,
        result_backend_transport_options={
            "retry_policy": {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
        },
        redis_socket_connect_timeout=2,
        redis_socket_timeout=5,
        worker_hijack_root_logger=False,
        beat_schedule={
            f"cloudwarden.{task}": {
                "task": f"cloudwarden.{task}",
                "schedule": seconds,
                "options": {"queue": settings.task_queue, "expires": seconds},
            }
            for task, seconds in schedule.entries(settings)
        },
    )
    for name, body in TASKS.items():
        app.task(name=f"cloudwarden.{name}", acks_late=True, reject_on_worker_lost=True)(_bound(body))
    return app


def _bound(body: Any) -> Any:
    def run(**kwargs: str) -> None:
        body(**kwargs)

    run.__name__ = body.__name__
    run.__doc__ = body.__doc__
    return run


def worker_context() -> Context:
    """A worker process's context, from the environment (the store is migrated by `serve`/`db migrate`)."""
    from cloudwarden import runtime
    from cloudwarden.alerts.intake import sns
    from cloudwarden.aws.session import SessionBroker
    from cloudwarden.identity import config as identity_config
    from cloudwarden.worker.context import app_factory_for
    from cloudwarden.worker.dispatch import CeleryDispatcher

    settings = get_settings()
    owner = runtime.open_store(settings)
    return Context(
        settings=settings,
        owner_factory=owner,
        app_factory=app_factory_for(owner, settings),
        broker=SessionBroker(settings),
        keys=identity_config.key_provider(settings),
        dispatcher=CeleryDispatcher(make_celery(settings)),
        cert_fetcher=sns.simulator_cert_fetcher(settings.simulator_url)
        if settings.simulator_url
        else sns.https_cert_fetcher(),
    )
