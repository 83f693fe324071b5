"""narrate_safely against in-process narrators: failures that no SDK needs to reproduce."""

from __future__ import annotations

import threading

from cloudwarden.diagnosis.narrate import Completion, GuardedNarrator, TokenPricing, narrate_safely


class StubNarrator:
    name = "stub"
    model = "stub-1"
    pricing = TokenPricing()

    def __init__(
        self, *, text: str = "", error: Exception | None = None, hang: threading.Event | None = None
    ):
        self.text, self.error, self.hang = text, error, hang
        self.prompts: list[str] = []

    def complete(self, *, system: str, user: str, timeout_s: float) -> Completion:
        self.prompts.append(user)
        if self.hang is not None:
            self.hang.wait(10)  # ignores timeout_s, as a buggy client might
        if self.error is not None:
            raise self.error
        return Completion(text=self.text, model=None, input_tokens=10, output_tokens=5)


def test_a_client_that_ignores_its_timeout_is_cut_off_at_the_deadline(diagnosis):
    release = threading.Event()
    try:
        narration = narrate_safely(diagnosis, StubNarrator(hang=release), timeout_s=0.2)
    finally:
        release.set()
    assert narration.fallback_reason == "timeout after 0.2s"
    assert narration.duration_ms < 1000


def test_an_unexpected_exception_still_yields_the_template(diagnosis):
    narration = narrate_safely(diagnosis, StubNarrator(error=KeyError("choices")), timeout_s=1)
    assert narration.narrator == "template"
    assert narration.fallback_reason == "error: KeyError: 'choices'"
    assert narration.model == "stub-1"


def test_guarded_narrator_is_a_narrator_with_its_own_timeout(diagnosis):
    text = "The most likely cause is a network block on security group sg-81f09b629170145fb."
    narration = GuardedNarrator(StubNarrator(text=text), timeout_s=1).narrate(diagnosis)
    assert (narration.text, narration.narrator, narration.model) == (text, "stub", "stub-1")
