"""A task context for CLI commands on the local store (the default workspace), tasks run inline."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from cloudwarden import runtime
from cloudwarden.config import get_settings
from cloudwarden.identity import config as identity_config
from cloudwarden.worker import runtime as worker_runtime
from cloudwarden.worker.context import Context, app_factory_for

WORKSPACE_ID = runtime.LOCAL_WORKSPACE_ID


def actor() -> str:
    return runtime.local_actor()


@contextlib.contextmanager
def context() -> Iterator[Context]:
    settings = get_settings()
    owner = runtime.open_store(settings)
    work = worker_runtime.for_service(
        settings.model_copy(update={"broker_url": None}),
        owner_factory=owner,
        app_factory=app_factory_for(owner, settings),
        keys=identity_config.key_provider(settings),
    )
    try:
        yield work.context
    finally:
        work.stop()
        owner.kw["bind"].dispose()
