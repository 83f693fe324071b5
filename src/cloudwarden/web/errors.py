"""Errors on console pages are pages: the API's handlers decide status, code and message, this
renders them as HTML (and sends a person without a session to the sign-in page).

The API's paths (/api/..., the probes) keep their JSON answers; everything else is the console.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from cloudwarden.api.security import API_PATHS
from cloudwarden.auth.errors import InvalidToken
from cloudwarden.web.deps import SignInRequired
from cloudwarden.web.render import render

Handler = Callable[[Request, Any], Response | Awaitable[Response]]


def is_console(path: str) -> bool:
    return not path.startswith(API_PATHS)


def install(app: FastAPI) -> None:
    """Wrap each of the API's exception handlers: JSON for the API, a page for the console."""
    for exc_class, handler in list(app.exception_handlers.items()):
        app.exception_handlers[exc_class] = _html_for_console(handler)
    app.exception_handlers[SignInRequired] = _sign_in


def sign_in_redirect(request: Request, next_path: str = "/") -> Response:
    target = "/sign-in" + (f"?{urlencode({'next': next_path})}" if next_path not in ("", "/") else "")
    if request.headers.get("hx-request"):  # an HTMX swap: the whole page goes to sign-in
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


async def _sign_in(request: Request, exc: SignInRequired) -> Response:
    return sign_in_redirect(request, exc.next_path)


def _html_for_console(handler: Handler) -> Callable[[Request, Any], Awaitable[Response]]:
    async def handle(request: Request, exc: Any) -> Response:
        answer = handler(request, exc)
        if inspect.isawaitable(answer):
            answer = await answer
        if not is_console(request.url.path):
            return answer
        if isinstance(exc, InvalidToken):
            return sign_in_redirect(request)
        error = json.loads(bytes(answer.body)).get("error", {})
        headers = {k: v for k, v in answer.headers.items() if k.lower() in ("retry-after", "allow")}
        page = render(
            request,
            "error.html",
            status_code=answer.status_code,
            code=error.get("code", "error"),
            message=error.get("message", ""),
            hint=error.get("hint"),
            fields=error.get("fields") or [],
        )
        page.headers.update(headers)
        return page

    return handle
