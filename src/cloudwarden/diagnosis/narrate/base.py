"""What every narrator returns, and the two shapes a narrator can take.

A `Narrator` turns a Diagnosis into prose. The template narrator does it directly; an
`LLMNarrator` only answers a prompt (`complete`) and relies on `service.narrate_safely` to
mask what it sends, check what it gets back, and fall back to the template on any failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from cloudwarden.diagnosis.model import Diagnosis
from cloudwarden.diagnosis.model import (
    Narration as Narration,
)  # re-exported: defined with the document it is part of


class TokenPricing(BaseModel):
    """Per-million-token prices the operator configures; unknown prices give no cost.

    No vendor price is built in: prices change and differ per contract, and a wrong default
    shown as a fact is worse than no figure.
    """

    model_config = ConfigDict(extra="forbid")

    input_per_million: float | None = Field(default=None, ge=0)
    output_per_million: float | None = Field(default=None, ge=0)

    def cost(self, input_tokens: int | None, output_tokens: int | None) -> float | None:
        # A half-priced figure would understate the bill, so both prices and counts are required.
        in_price, out_price = self.input_per_million, self.output_per_million
        if in_price is None or out_price is None or input_tokens is None or output_tokens is None:
            return None
        return round((input_tokens * in_price + output_tokens * out_price) / 1_000_000, 8)


class Completion(BaseModel):
    """One LLM answer, reduced to what narration needs."""

    model_config = ConfigDict(extra="forbid")

    text: str
    model: str | None
    input_tokens: int | None = None
    output_tokens: int | None = None


class NarratorError(Exception):
    """An LLM call that produced no usable answer; `reason` is shown to the user as is.

    Carries the token counts when the provider reported them (a truncated or refused answer
    is still billed).
    """

    def __init__(self, reason: str, *, input_tokens: int | None = None, output_tokens: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens


class NarratorTimeout(NarratorError):
    """The provider did not answer within the time allowed."""


@runtime_checkable
class Narrator(Protocol):
    name: str

    def narrate(self, diagnosis: Diagnosis) -> Narration: ...


@runtime_checkable
class LLMNarrator(Protocol):
    """A provider client: answers one prompt, raising NarratorError when it cannot.

    `complete` must honour `timeout_s` itself (the SDK's request timeout); the service adds a
    wall-clock deadline on top in case a client ignores it.
    """

    name: str
    model: str
    pricing: TokenPricing

    def complete(self, *, system: str, user: str, timeout_s: float) -> Completion: ...


class SDKNarrator:
    """What the LLM narrators built on an official SDK hold: the model, its pricing, the cap."""

    def __init__(self, *, model: str, pricing: TokenPricing | None, max_output_tokens: int) -> None:
        self.model = model
        self.pricing = pricing or TokenPricing()
        self.max_output_tokens = max_output_tokens


@contextmanager
def sdk_errors(sdk: ModuleType, timeout_s: float) -> Iterator[None]:
    """Turn the errors of an official SDK (`anthropic`, `openai`: the same classes) into ours."""
    try:
        yield
    except sdk.APITimeoutError as exc:  # a subclass of APIConnectionError: first
        raise NarratorTimeout(f"timeout after {timeout_s:g}s") from exc
    except sdk.APIStatusError as exc:
        raise NarratorError(status_error_reason(exc.status_code, exc)) from exc
    except sdk.APIResponseValidationError as exc:
        raise NarratorError(f"malformed response: {exc}") from exc
    except sdk.APIConnectionError as exc:
        raise NarratorError(f"error: APIConnectionError: {exc}") from exc


def status_error_reason(status_code: int, exc: Exception) -> str:
    """The fallback reason for an HTTP error from a provider: status, SDK class and message."""
    detail = " ".join(str(exc).split())[:200]
    return f"error: APIStatusError {status_code} ({type(exc).__name__}): {detail}"
