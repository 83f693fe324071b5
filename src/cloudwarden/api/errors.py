"""One JSON shape for every error: `{"error": {"code", "message", "hint"?, "details"?, "fields"?}}`.

A `CloudWardenError` keeps its own stable code (the one `--json` prints in the CLI) and gets the
HTTP status of its class; the request validation errors, Starlette's HTTP errors and anything
unexpected get codes of their own. ERROR_CODES is the table the OpenAPI document and the docs
show; a test holds it to the classes that exist.

Unexpected exceptions are a bug: logged with their traceback, answered with a 500 that says
nothing about them. A `ConfigurationError` reaching a request is the server's setting, not the
client's mistake: it is logged and answered as a 500 that does not name the setting.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from cloudwarden.actions.consent import ConsentRefused
from cloudwarden.actions.flows import ActionsNotEnabled
from cloudwarden.actions.specs import ActionRefused
from cloudwarden.alerts.errors import IntakeRefused, InvalidAlert, InvalidSignature
from cloudwarden.api.ratelimit import RateLimited
from cloudwarden.api.schemas import ErrorBody, ErrorResponse, FieldError
from cloudwarden.auth.errors import InvalidToken, MissingScope
from cloudwarden.errors import (
    CloudWardenError,
    ConfigurationError,
    NotConnected,
    NotFound,
    NothingToInvestigate,
    PermissionDenied,
    Unreachable,
    UsageError,
    shorten,
)
from cloudwarden.identity.access import Forbidden, TwoFactorRequired
from cloudwarden.identity.sessions import CodeRequired, InvalidCredentials
from cloudwarden.identity.users import Conflict

log = logging.getLogger("cloudwarden.api")

# code -> (HTTP status, when). Codes of CloudWardenError classes are theirs; the rest the API's.
ERROR_CODES: dict[str, tuple[int, str]] = {
    "usage": (400, "a value the service refused: a bad option, a name or a state that does not fit"),
    "weak_password": (400, "a password the password policy refuses"),
    "malformed_json": (400, "the request body is not valid JSON"),
    "bad_request": (400, "the request could not be read"),
    "cors_rejected": (400, "a CORS preflight from an origin, method or header that is not allowed"),
    "invalid_alert": (400, "an intake delivery that is malformed, not an alarm notification, or too old"),
    "invalid_token": (401, "a missing, expired or invalid credential"),
    "invalid_credentials": (401, "sign-in refused: the email, password or code is wrong (never says which)"),
    "two_factor_code_required": (401, "the password was right; send the 2FA code (or a backup code) too"),
    "missing_scope": (403, "the API token's scopes do not grant what the request needs"),
    "forbidden": (403, "your role in the workspace does not allow this (or an API token cannot do it)"),
    "invalid_signature": (
        403,
        "an intake or webhook delivery whose signature, certificate or secret is wrong",
    ),
    "intake_refused": (403, "a signed alert from an AWS account or topic not connected to the workspace"),
    "consent_refused": (
        403,
        "a consent that is unknown, used, expired, someone else's or for other parameters",
    ),
    "two_factor_required": (403, "the workspace requires 2FA and you have not enrolled"),
    "not_found": (404, "no endpoint at this path, or the named thing does not exist"),
    "method_not_allowed": (405, "the endpoint exists but not with this method (see the Allow header)"),
    "not_connected": (409, "the AWS account's role cannot be assumed: revoked, deleted or not deployed"),
    "permission_denied": (409, "the AWS account's role may not make a read the request cannot do without"),
    "nothing_to_investigate": (409, "the alarm is not, and was not recently, in ALARM"),
    "action_refused": (409, "the action's resource is missing or in a state where it makes no sense"),
    "invalid_action": (
        400,
        "an action CloudWarden cannot run, or parameters it refuses (the field is named)",
    ),
    "actions_not_enabled": (409, "the account was onboarded without EnableActions: no actions role"),
    "conflict": (409, "it exists already: an email with an account, a slug in use, a member"),
    "body_too_large": (413, "the request body is larger than CLOUDWARDEN_MAX_BODY_BYTES"),
    "unsupported_media_type": (415, "a request body that is not application/json"),
    "validation": (422, "the body, path or query does not match the schema (unknown fields included)"),
    "rate_limited": (429, "too many attempts: wait the seconds in Retry-After"),
    "error": (500, "an error CloudWarden reports without a more specific code"),
    "internal": (500, "a bug: the server logged it; the response says nothing about it"),
    "configuration": (500, "a server setting is invalid; the server's log names it"),
    "key_unavailable": (500, "an encryption key cannot be used; the server's log names it"),
    "decryption_failed": (500, "stored secret data does not decrypt: altered or copied between rows"),
    "integrity": (500, "stored data fails its own check (the audit-log chain)"),
    "unreachable": (503, "a service CloudWarden depends on (AWS, the database, KMS) did not answer"),
    "not_ready": (503, "/readyz: the database is unreachable or its schema is not this version's"),
    "http_error": (0, "any other HTTP error; the status says which"),
}

# Declared on every operation of the OpenAPI document.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": ErrorResponse, "description": "The request cannot be served as sent: see `error.code`"},
    "5XX": {"model": ErrorResponse, "description": "The server failed or is not ready: see `error.code`"},
}

# The status of each CloudWardenError class; a subclass takes its nearest ancestor's.
_STATUS_BY_CLASS: dict[type[CloudWardenError], int] = {
    CloudWardenError: 500,
    UsageError: 400,
    NotFound: 404,
    ConfigurationError: 500,
    InvalidToken: 401,
    MissingScope: 403,
    NotConnected: 409,
    PermissionDenied: 409,
    NothingToInvestigate: 409,
    Unreachable: 503,
    InvalidCredentials: 401,
    CodeRequired: 401,
    Forbidden: 403,
    TwoFactorRequired: 403,
    Conflict: 409,
    RateLimited: 429,
    InvalidAlert: 400,
    InvalidSignature: 403,
    IntakeRefused: 403,
    ConsentRefused: 403,
    ActionsNotEnabled: 409,
    ActionRefused: 409,
}
# Starlette's HTTPException statuses with codes of their own (others are "http_error").
_CODE_BY_STATUS: dict[int, str] = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
    500: "internal",
}
INTERNAL_MESSAGE = "internal error: the request failed on the server; the server's log has the details"
_MAX_FIELDS = 20


def status_for(error: CloudWardenError) -> int:
    for cls in type(error).__mro__:
        if cls in _STATUS_BY_CLASS:
            return _STATUS_BY_CLASS[cls]
    return 500


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    hint: str | None = None,
    details: Mapping[str, Any] | None = None,
    fields: Sequence[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = ErrorResponse(
        error=ErrorBody(
            code=code,
            message=message,
            hint=hint,
            details=dict(details) if details else None,
            fields=list(fields) if fields else None,
        )
    )
    return JSONResponse(body.model_dump(mode="json", exclude_none=True), status_code=status, headers=headers)


def describe_codes() -> str:
    """The table of codes, as Markdown for the OpenAPI description."""
    rows = [
        f"| `{code}` | {status or 'any'} | {meaning} |" for code, (status, meaning) in ERROR_CODES.items()
    ]
    return "| code | status | when |\n|---|---|---|\n" + "\n".join(rows)


def install(app: FastAPI) -> None:
    app.add_exception_handler(CloudWardenError, _cloudwarden_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    # Exception: Starlette's ServerErrorMiddleware calls it, then re-raises for the server's log.
    app.add_exception_handler(Exception, _unexpected_error)


async def _cloudwarden_error(request: Request, exc: CloudWardenError) -> JSONResponse:
    status = status_for(exc)
    if isinstance(exc, ConfigurationError):
        log.error("%s %s: server misconfigured: %s", request.method, request.url.path, exc.message)
        return error_response(
            500, exc.code, "the server is misconfigured; its operator can find the setting in its log"
        )
    if status >= 500:  # a 503 is a dependency that may come back; anything else needs a look
        level = logging.WARNING if status == 503 else logging.ERROR
        log.log(level, "%s %s: %s: %s", request.method, request.url.path, exc.code, exc.message)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if isinstance(exc, RateLimited):
        headers = {"Retry-After": str(exc.retry_after)}
    return error_response(
        status, exc.code, exc.message, hint=exc.hint, details=exc.details or None, headers=headers
    )


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = list(exc.errors())
    malformed = next((e for e in errors if e.get("type") == "json_invalid"), None)
    if malformed is not None:
        reason = (malformed.get("ctx") or {}).get("error", "not JSON")
        position = malformed["loc"][-1] if len(malformed.get("loc", ())) > 1 else None
        where = f" at character {position}" if isinstance(position, int) else ""
        return error_response(400, "malformed_json", f"the request body is not valid JSON: {reason}{where}")
    # The input itself is never echoed: it may be a password or a token.
    fields = [
        FieldError(
            location=".".join(str(part) for part in error.get("loc", ())) or "request",
            message=str(error.get("msg", "invalid")),
            type=str(error.get("type", "invalid")),
        )
        for error in errors[:_MAX_FIELDS]
    ]
    summary = "; ".join(f"{shorten(f.location, 60)}: {f.message}" for f in fields[:3])
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return error_response(422, "validation", f"invalid request: {summary}{more}", fields=fields)


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    status = exc.status_code
    code = _CODE_BY_STATUS.get(status, "http_error")
    try:
        default = HTTPStatus(status).phrase
    except ValueError:  # a status http.HTTPStatus does not name
        default = ""
    message = str(exc.detail) if exc.detail and exc.detail != default else ""
    if not message:
        where = f"{request.method} {shorten(request.url.path, 100)}"
        message = {
            404: f"nothing at {where}",
            405: f"{where} is not allowed",
        }.get(status, default or f"HTTP {status}")
    return error_response(status, code, message, headers=exc.headers)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("%s %s: unhandled error", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal", INTERNAL_MESSAGE)
