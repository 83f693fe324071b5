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
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException

from cloudwarden.store.db import session_scope, write_transaction

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def session_factory(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.session_factory
    return factory


def engine(request: Request) -> Engine:
    bound: Engine = request.app.state.engine
    return bound


def get_db(request: Request) -> Iterator[Session]:
    with session_scope(session_factory(request)) as session:
        if request.method in _BODY_METHODS:
            # SQLite: a request that writes takes the writer's turn first, so it waits for a running
            # task's transaction instead of failing on a snapshot that went stale meanwhile.
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
