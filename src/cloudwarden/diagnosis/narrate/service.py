"""Narrate with an LLM without trusting it: mask, call with a deadline, restore, check, or fall back.

Whatever goes wrong, the caller gets a Narration: the template's text with `fallback_reason`
saying exactly why, so an alert is never held up or lost because a model misbehaved.
"""

from __future__ import annotations

import logging
import threading
import time

from cloudwarden.diagnosis.model import Diagnosis
from cloudwarden.diagnosis.narrate import prompt, template
from cloudwarden.diagnosis.narrate.base import (
    Completion,
    LLMNarrator,
    Narration,
    NarratorError,
    NarratorTimeout,
)
from cloudwarden.diagnosis.narrate.masking import Masker
from cloudwarden.diagnosis.narrate.validate import violations

log = logging.getLogger(__name__)
MAX_REASON_CHARS = 500


def narrate_safely(diagnosis: Diagnosis, narrator: LLMNarrator, *, timeout_s: float) -> Narration:
    """The LLM's narration if it is faithful to the diagnosis, else the template's with the reason."""
    started = time.monotonic()
    masker = Masker()
    try:
        user = prompt.user_prompt(masker.mask_json(prompt.evidence_payload(diagnosis)))
    except Exception as exc:  # nothing is sent unless masking succeeded
        return _fallback(diagnosis, narrator, started, f"error: masking failed: {type(exc).__name__}: {exc}")
    try:
        completion = _complete_with_deadline(narrator, user, timeout_s)
    except NarratorTimeout as exc:
        return _fallback(diagnosis, narrator, started, f"timeout after {timeout_s:g}s", *_usage(exc))
    except NarratorError as exc:
        return _fallback(diagnosis, narrator, started, exc.reason, *_usage(exc))
    except Exception as exc:  # any SDK or transport failure must still yield a narration
        return _fallback(diagnosis, narrator, started, f"error: {type(exc).__name__}: {exc}")

    text = masker.restore(completion.text).strip()
    # A rejected answer was still billed: its usage stays on the fallback.
    usage = (completion.input_tokens, completion.output_tokens)
    if not text:
        return _fallback(diagnosis, narrator, started, "empty response", *usage)
    try:
        problems = violations(text, diagnosis)
    except Exception as exc:  # an answer that cannot be checked is not used
        return _fallback(
            diagnosis, narrator, started, f"error: validation failed: {type(exc).__name__}: {exc}", *usage
        )
    if problems:
        return _fallback(diagnosis, narrator, started, "validation: " + "; ".join(problems), *usage)
    return Narration(
        text=text,
        narrator=narrator.name,
        model=completion.model or narrator.model,
        input_tokens=completion.input_tokens,
        output_tokens=completion.output_tokens,
        cost_usd=narrator.pricing.cost(completion.input_tokens, completion.output_tokens),
        duration_ms=_elapsed_ms(started),
    )


class GuardedNarrator:
    """A Narrator over an LLM: `narrate` is `narrate_safely` with a fixed timeout."""

    def __init__(self, llm: LLMNarrator, *, timeout_s: float) -> None:
        self.llm = llm
        self.timeout_s = timeout_s
        self.name = llm.name

    def narrate(self, diagnosis: Diagnosis) -> Narration:
        return narrate_safely(diagnosis, self.llm, timeout_s=self.timeout_s)


def _complete_with_deadline(narrator: LLMNarrator, user: str, timeout_s: float) -> Completion:
    # The SDK's timeout applies per connect/read/write phase, not to the whole call, and a
    # narrator might not pass it at all; a worker thread with a deadline bounds the wait.
    # It is a daemon and is abandoned on expiry, so a hung call can delay neither the alert
    # nor the process's exit; its own SDK timeout normally ends it shortly after.
    outcome: list[Completion | Exception] = []

    def call() -> None:
        try:
            outcome.append(narrator.complete(system=prompt.SYSTEM_PROMPT, user=user, timeout_s=timeout_s))
        except Exception as exc:  # handed to the caller's thread, which classifies it
            outcome.append(exc)

    worker = threading.Thread(target=call, name="cloudwarden-narrate", daemon=True)
    worker.start()
    worker.join(timeout_s)
    if not outcome:
        raise NarratorTimeout(f"timeout after {timeout_s:g}s")
    result = outcome[0]
    if isinstance(result, Exception):
        raise result
    return result


def _fallback(
    diagnosis: Diagnosis,
    narrator: LLMNarrator,
    started: float,
    reason: str,
    input_tokens: int | None = None,
    output_tokens: int | None = None,
) -> Narration:
    reason = reason if len(reason) <= MAX_REASON_CHARS else reason[: MAX_REASON_CHARS - 1] + "…"
    log.warning("narration by %s fell back to the template: %s", narrator.name, reason)
    return Narration(
        text=template.render(diagnosis),
        narrator=template.TemplateNarrator.name,
        model=narrator.model,
        fallback_reason=reason,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost_usd=narrator.pricing.cost(input_tokens, output_tokens),
        duration_ms=_elapsed_ms(started),
    )


def _usage(exc: NarratorError) -> tuple[int | None, int | None]:
    return exc.input_tokens, exc.output_tokens


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
