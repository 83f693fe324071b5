"""Narration of a diagnosis: the template by default, an LLM optionally and never unchecked.

`narrator_from_settings()` picks a narrator from CLOUDWARDEN_LLM_* variables; an LLM narrator
goes through `narrate_safely`, which masks identifiers, bounds the wait, validates the answer
against the diagnosis and falls back to the template with the reason. Provider SDKs are
imported only by `anthropic.py` and `openai_compat.py`, and only when chosen.
"""

from cloudwarden.diagnosis.narrate.base import (
    Completion,
    LLMNarrator,
    Narration,
    Narrator,
    NarratorError,
    NarratorTimeout,
    TokenPricing,
)
from cloudwarden.diagnosis.narrate.masking import Masker
from cloudwarden.diagnosis.narrate.service import GuardedNarrator, narrate_safely
from cloudwarden.diagnosis.narrate.settings import NarrationSettings, narrator_from_settings
from cloudwarden.diagnosis.narrate.template import TemplateNarrator, render
from cloudwarden.diagnosis.narrate.validate import violations

__all__ = [
    "Completion",
    "GuardedNarrator",
    "LLMNarrator",
    "Masker",
    "Narration",
    "NarrationSettings",
    "Narrator",
    "NarratorError",
    "NarratorTimeout",
    "TemplateNarrator",
    "TokenPricing",
    "narrate_safely",
    "narrator_from_settings",
    "render",
    "violations",
]
