"""Request dependencies: the request's transaction, the store's engine, JSON bodies only.

    @router.post("/things")
    def create(body: ThingIn, db: SessionDep) -> ThingOut:
        return ThingOut.of(service.create(db=db, ...))   # committed before the response is sent

The transaction belongs to the request: `SessionDep` opens it, commits it when the route
returns and rolls it back when the route raises. It is closed before the response is sent
(`scope="function"`), so a commit that fails is the request's 500, never a 200 for work that
was lost.
"""

from __future__ import annotations

import email.message
from collections.abc import Callable, Iterator
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException

from cloudwarden.config import Settings
from cloudwarden.store.db import session_scope, write_transaction

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_READS_ONLY = "__cloudwarden_reads_only__"
_Endpoint = TypeVar("_Endpoint", bound=Callable[..., Any])


def session_factory(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.session_factory
    return factory


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def engine(request: Request) -> Engine:
    bound: Engine = request.app.state.engine
    return bound


def reads_only(endpoint: _Endpoint) -> _Endpoint:
    """Mark a GET endpoint that never writes (a page's live refresh): on SQLite it reads a snapshot
    beside the writer instead of waiting for the writer's turn.

        @router.get("/things/{id}/live")
        @reads_only
        def live(...): ...
    """
    setattr(endpoint, _READS_ONLY, True)
    return endpoint


def get_db(request: Request) -> Iterator[Session]:
    with session_scope(session_factory(request)) as session:
        if not getattr(request.scope.get("endpoint"), _READS_ONLY, False):
            # SQLite: a request that may write (any POST, and a GET that audits the read it
            # serves) takes the writer's turn first, so it waits for a running task's transaction
            # instead of failing on a snapshot that went stale meanwhile.
            write_transaction(session)
        yield session


SessionDep = Annotated[Session, Depends(get_db, scope="function")]


def require_json_body(request: Request) -> None:
    """A request with a body must say it is JSON: anything else is a 415, not a confusing 422."""
    if request.method not in _BODY_METHODS:
        return
    headers = request.headers
    has_body = headers.get("content-length", "0") != "0" or "transfer-encoding" in headers
    if not has_body:
        return
    message = email.message.Message()
    message["content-type"] = headers.get("content-type", "")
    subtype = message.get_content_subtype()
    if message.get_content_maintype() != "application" or not (
        subtype == "json" or subtype.endswith("+json")
    ):
        raise HTTPException(415, detail="send the request body as JSON, with Content-Type: application/json")
