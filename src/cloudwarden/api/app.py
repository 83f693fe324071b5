"""The app factory: `create_app(settings)` is the whole service; `cloudwarden serve` runs it.

    app = create_app(get_settings())                           # opens and migrates the store
    app = create_app(settings, session_factory=factory)        # a store opened by the caller

Domain routers go in V1_ROUTERS and are mounted under /api/v1 (mount_v1); the probes are at
/healthz and /readyz. The OpenAPI document is /api/v1/openapi.json; the interactive docs are
off, because Swagger UI needs inline script that the Content-Security-Policy forbids
(security.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from importlib.metadata import version
from typing import Any

from alembic.script import ScriptDirectory
from fastapi import APIRouter, Depends, FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp

from cloudwarden import runtime, web
from cloudwarden.api import deps, errors, health, ratelimit, security
from cloudwarden.api.routers import (
    accounts,
    actions,
    audit,
    auth,
    channels,
    incidents,
    intake,
    investigations,
    me,
    posture,
    workspaces,
)
from cloudwarden.config import Settings, get_settings
from cloudwarden.identity import config as identity_config
from cloudwarden.store import db as store_db
from cloudwarden.store import rls
from cloudwarden.worker import context as worker_context
from cloudwarden.worker import runtime as worker_runtime

API_PREFIX = "/api/v1"
OPENAPI_URL = f"{API_PREFIX}/openapi.json"
# The domain routers, each mounted under API_PREFIX.
V1_ROUTERS: tuple[APIRouter, ...] = (
    auth.router,
    me.router,
    workspaces.router,
    accounts.router,
    incidents.router,
    investigations.router,
    audit.router,
    channels.router,
    actions.router,
    posture.router,
)
DESCRIPTION = """\
CloudWarden's API. Every non-2xx response is `{"error": {"code", "message", "hint"?, "details"?, \
"fields"?}}`, where `code` is stable:

"""


class CloudWardenAPI(FastAPI):
    """FastAPI with the browser and transport protections outside the whole middleware stack.

    Middleware added with `add_middleware` runs inside Starlette's ServerErrorMiddleware, so the
    500 it sends for a bug would go out without them; wrapping the built stack covers it too.
    """

    def __init__(self, *, cors_origins: Sequence[str], max_body_bytes: int, **kwargs: Any) -> None:
        self.cors_origins = tuple(cors_origins)
        self.max_body_bytes = max_body_bytes
        super().__init__(**kwargs)

    def build_middleware_stack(self) -> ASGIApp:
        return security.protect(
            super().build_middleware_stack(),
            cors_origins=self.cors_origins,
            max_body_bytes=self.max_body_bytes,
        )


def create_app(
    settings: Settings,
    *,
    session_factory: sessionmaker[Session] | None = None,
    identity: identity_config.IdentityConfig | None = None,
) -> FastAPI:
    """The API on the store `session_factory` is bound to, or on the store of `settings`.

    Without `session_factory` the store is opened and migrated here (a failure raises the
    store's ConfigurationError or Unreachable) and disposed of when the app shuts down.
    The identity settings (signing key, pepper, key provider) are checked first: outside
    development a missing or default one stops the service before it listens.
    """
    checked_identity = identity or identity_config.from_settings(settings)
    owns_store = session_factory is None
    owner_factory = session_factory if session_factory is not None else runtime.open_store(settings)
    owner_engine = owner_factory.kw["bind"]
    if not isinstance(owner_engine, Engine):
        raise TypeError("create_app needs a session factory bound to an engine")
    # Requests run as the application role, which owns no table, so PostgreSQL's row-level
    # security applies to them (store/rls.py); migrations ran as the owner above.
    engine = owner_engine
    if owner_engine.dialect.name == "postgresql" and settings.database_app_role:
        engine = store_db.make_engine(owner_engine.url.render_as_string(hide_password=False))
        rls.assume_app_role(engine, settings.database_app_role)
    factory = store_db.session_factory(engine) if engine is not owner_engine else owner_factory

    work = worker_runtime.for_service(
        settings, owner_factory=owner_factory, app_factory=factory, keys=checked_identity.keys
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        worker_context.install(work.context)
        work.start()  # embedded: the task threads and the in-process beat; with a broker, nothing
        yield
        work.stop()  # the tasks still running finish first
        worker_context.uninstall(work.context)
        if engine is not owner_engine:
            engine.dispose()
        if owns_store:
            owner_engine.dispose()

    app = CloudWardenAPI(
        cors_origins=settings.cors_origins,
        max_body_bytes=settings.max_body_bytes,
        title="CloudWarden API",
        version=version("cloudwarden"),
        description=DESCRIPTION + errors.describe_codes(),
        openapi_url=OPENAPI_URL,
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        responses=errors.ERROR_RESPONSES,
        lifespan=lifespan,
    )
    app.state.session_factory = factory
    app.state.settings = settings
    app.state.identity = checked_identity
    app.state.rate_limiter = ratelimit.limiter_from_settings(settings)
    app.state.engine = engine
    app.state.work = work
    scripts = ScriptDirectory.from_config(store_db.alembic_config())
    app.state.head_revision = store_db.head_revision()
    app.state.known_revisions = frozenset(revision.revision for revision in scripts.walk_revisions())
    errors.install(app)
    app.include_router(health.router)
    # Intake and webhooks take what AWS and Meta send (SNS posts text/plain): no JSON-only rule.
    # First after the probes: the busiest path is matched before the 50-odd patterns of the rest.
    app.include_router(intake.router, prefix=API_PREFIX)
    for router in V1_ROUTERS:
        mount_v1(app, router)
    web.mount(app)  # the console: every path outside /api and the probes
    return app


def mount_v1(app: FastAPI, router: APIRouter) -> None:
    """`router` under /api/v1, where a request with a body must send JSON."""
    app.include_router(router, prefix=API_PREFIX, dependencies=[Depends(deps.require_json_body)])


def app_from_environment() -> FastAPI:
    """The app for `uvicorn --factory` (and `cloudwarden serve --reload`): settings from the environment."""
    return create_app(get_settings())
