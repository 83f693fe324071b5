"""Pydantic models at the API's edge: the base for request bodies, the error shape, health."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ApiInput(BaseModel):
    """The base of every request body: a field the schema does not name is refused (422)."""

    model_config = ConfigDict(extra="forbid")


class FieldError(BaseModel):
    location: str = Field(description='Where the bad value is, e.g. "body.name" or "query.limit"')
    message: str
    type: str = Field(description='Pydantic\'s error type, e.g. "missing", "extra_forbidden"')


class ErrorBody(BaseModel):
    code: str = Field(description="Stable, machine-readable; see the table in the API description")
    message: str = Field(description="One readable sentence")
    hint: str | None = Field(default=None, description="What to do about it, when there is something")
    details: dict[str, Any] | None = Field(default=None, description="Facts about the error, per code")
    fields: list[FieldError] | None = Field(default=None, description="Each invalid value (validation)")


class ErrorResponse(BaseModel):
    """Every non-2xx response of the API has this shape."""

    error: ErrorBody


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    database: Literal["ok"] = "ok"
    migrations: Literal["current"] = "current"
