"""`/healthz` (the process answers) and `/readyz` (the database answers and is at this version's schema).

Probes are unauthenticated, so a failure says which check failed and not why: the reason (a host
name, a driver's message) goes to the server's log.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from cloudwarden.api import deps
from cloudwarden.api.schemas import ErrorResponse, Health, Readiness
from cloudwarden.errors import Unreachable
from cloudwarden.store import db as store_db

log = logging.getLogger("cloudwarden.api")
router = APIRouter(tags=["health"])


class NotReady(Unreachable):
    code = "not_ready"


@router.get("/healthz", summary="The process is alive (no dependency is checked)")
def healthz() -> Health:
    return Health()


@router.get(
    "/readyz",
    summary="The database answers and its schema is this version's",
    responses={503: {"model": ErrorResponse, "description": "Not ready: `error.details` names the check"}},
)
def readyz(request: Request) -> Readiness:
    engine = deps.engine(request)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        current = store_db.current_revision(engine)
    except (SQLAlchemyError, OSError) as exc:
        log.warning("readiness: the database cannot be reached: %s", " ".join(str(exc).split())[:500])
        raise NotReady(
            "not ready: the database cannot be reached",
            details={"database": "unreachable", "migrations": "unknown"},
        ) from None
    head: str | None = request.app.state.head_revision
    if current == head:
        return Readiness()
    known: frozenset[str] = request.app.state.known_revisions
    if current is not None and current not in known:
        raise NotReady(
            f"not ready: the database schema is at revision {current}, which this version of "
            f"CloudWarden does not know (it needs {head})",
            hint="a newer CloudWarden migrated this database: upgrade this one",
            details={"database": "ok", "migrations": "unknown"},
        )
    raise NotReady(
        f"not ready: the database schema is at {f'revision {current}' if current else 'no revision'}, "
        f"this version needs {head}",
        hint="run `cloudwarden db migrate` (`cloudwarden serve` migrates when it starts)",
        details={"database": "ok", "migrations": "pending"},
    )
