"""The console: server-rendered pages (Jinja2 + HTMX) over the same domain services as the API.

`mount(app)` adds its routes, its static files and its HTML error pages to the service's app.
Pages read through the flows and services the API routers call; a page holds no domain logic.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from cloudwarden.web import errors
from cloudwarden.web.render import STATIC
from cloudwarden.web.routes import audit, auth, channels, home, incidents, me, members, onboarding, posture

ROUTERS = (
    auth.router,
    home.router,
    incidents.router,
    posture.router,
    onboarding.router,
    channels.router,
    members.router,
    audit.router,
    me.router,
)


def mount(app: FastAPI) -> None:
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    errors.install(app)
