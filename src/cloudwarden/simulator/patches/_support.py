"""Helpers shared by the patch modules: payload validation, UTC times, the simulated clock."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from cloudwarden.simulator.client import SIM_TIME_HEADER

ModelT = TypeVar("ModelT", bound=BaseModel)


class StrictPayload(BaseModel):
    """Base of every injector payload: unknown fields are errors, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


def parse_payload(model: type[ModelT], payload: Mapping[str, Any], kind: str) -> ModelT:
    """Validate an injector payload; a bad one becomes a ValueError naming each bad field."""
    try:
        return model.model_validate(dict(payload))
    except ValidationError as exc:
        problems = "; ".join(
            f"field {'.'.join(str(part) for part in error['loc']) or '<payload>'!r}: {error['msg']}"
            for error in exc.errors()
        )
        raise ValueError(f"{kind} payload is invalid: {problems}") from None


def as_utc(moment: datetime) -> datetime:
    """Aware UTC; moto stores naive UTC datetimes, so a naive one is taken to be UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


def sim_time(headers: Mapping[str, Any] | None) -> datetime | None:
    """The simulated time a write carries (see client.acting_client), if any."""
    if not headers:
        return None
    raw = headers.get(SIM_TIME_HEADER) or headers.get(SIM_TIME_HEADER.lower())
    if not raw:
        return None
    try:
        return as_utc(datetime.fromisoformat(str(raw)))
    except ValueError:
        # A malformed header is the caller's bug, but the write itself is still valid: use now.
        return None


def request_time(headers: Mapping[str, Any] | None) -> datetime:
    return sim_time(headers) or utc_now()


def install(owner: type, name: str, replacement: Callable[..., Any]) -> None:
    """Replace (or add) a method on one of moto's classes."""
    setattr(owner, name, replacement)
