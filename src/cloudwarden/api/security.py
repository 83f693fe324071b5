"""Browser and transport protections, as pure ASGI middleware around the whole app.

`protect(app, ...)` wraps the app built by FastAPI, outside Starlette's ServerErrorMiddleware,
so that every response carries them: 404s, 413s, validation errors and the 500 of a bug too.

- Headers on every response: HSTS (two years, subdomains), a Content-Security-Policy that lets an
  API response load and frame nothing (the API serves JSON only; the interactive docs are off, so
  no inline script needs an exception) and lets a console page load only this origin's files (no
  inline script or style), nosniff, no Referer (a console page's only to itself), a same-origin
  opener, and `Cache-Control: no-store` unless a route set its own.
- CORS only for the configured origins (CLOUDWARDEN_CORS_ORIGINS): none by default, no `*`, no
  credentials; a refused preflight is a JSON error like any other.
- Request bodies bounded (CLOUDWARDEN_MAX_BODY_BYTES): a declared Content-Length over the limit
  is refused before the body is read; a body without one (chunked) is counted as it streams and
  refused when it passes the limit. Both are 413 `body_too_large`.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cloudwarden.api.errors import error_response

CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
# The console's pages: scripts, styles, images and requests from this origin's files only; no
# inline script or style, no eval, no nonce (web/render.py).
CONSOLE_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'"
)
API_PATHS = ("/api/", "/healthz", "/readyz")
SECURITY_HEADERS: dict[str, str] = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
CORS_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
CORS_HEADERS = ("Authorization", "Content-Type")


def protect(app: ASGIApp, *, cors_origins: Sequence[str], max_body_bytes: int) -> ASGIApp:
    """`app` inside the protections: headers (outermost), CORS, then the body limit."""
    inner: ASGIApp = BodyLimitMiddleware(app, max_body_bytes=max_body_bytes)
    if cors_origins:
        inner = JsonCORSMiddleware(
            inner,
            allow_origins=list(cors_origins),
            allow_methods=CORS_METHODS,
            allow_headers=CORS_HEADERS,
            allow_credentials=False,
        )
    return SecurityHeadersMiddleware(inner)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                if not scope["path"].startswith(API_PATHS):
                    headers["Content-Security-Policy"] = CONSOLE_CONTENT_SECURITY_POLICY
                    # Same-origin requests keep their Origin (no-referrer would send "null" on a
                    # form's POST, and the console's CSRF check reads it); other sites get nothing.
                    headers["Referrer-Policy"] = "same-origin"
                if "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RequestBodyTooLarge(HTTPException):
    """Raised from `receive` when a streamed body passes the limit; FastAPI lets it through."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, detail=too_large_message(limit))


def too_large_message(limit: int) -> str:
    return f"the request body is larger than the {limit:,} bytes this server accepts"


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.limit = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            await self._refuse(scope, receive, send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise RequestBodyTooLarge(self.limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except RequestBodyTooLarge:
            # The app's own handler answers it; this is for a read outside FastAPI's routing.
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Connection: close, as the body is left unread.
        response = error_response(
            413, "body_too_large", too_large_message(self.limit), headers={"Connection": "close"}
        )
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length")
    try:
        return int(value) if value is not None else None
    except ValueError:  # the server (h11) refuses it; the streamed count still applies
        return None


class JsonCORSMiddleware(CORSMiddleware):
    """Starlette's CORS, with a refused preflight answered in the API's error shape."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers=request_headers)
        if response.status_code < 400:
            return response
        refused = bytes(response.body).decode(errors="replace").removeprefix("Disallowed CORS ")
        headers = {
            name: value
            for name, value in response.headers.items()
            if name not in ("content-length", "content-type")
        }
        return error_response(
            400,
            "cors_rejected",
            f"cross-origin request refused: {refused} not allowed",
            hint="the server's CLOUDWARDEN_CORS_ORIGINS lists the origins that may call it",
            headers=headers,
        )
