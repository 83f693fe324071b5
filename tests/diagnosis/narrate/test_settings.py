from __future__ import annotations

import pytest
from pydantic import ValidationError

from cloudwarden.diagnosis.narrate import (
    GuardedNarrator,
    NarrationSettings,
    TemplateNarrator,
    narrator_from_settings,
)
from cloudwarden.diagnosis.narrate.anthropic import BedrockNarrator
from tests.diagnosis.narrate.conftest import faithful_answer

SECRET = "sk-super-secret-value"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("PROVIDER", "MODEL", "BASE_URL", "API_KEY", "AWS_REGION", "TIMEOUT_SECONDS"):
        monkeypatch.delenv(f"CLOUDWARDEN_LLM_{name}", raising=False)


def test_default_is_the_template_with_no_key():
    assert isinstance(narrator_from_settings(NarrationSettings()), TemplateNarrator)


def test_openai_compatible_server_from_environment_narrates(monkeypatch, fake_llm, diagnosis):
    fake_llm.behaviour.answer = faithful_answer
    monkeypatch.setenv("CLOUDWARDEN_LLM_PROVIDER", "openai")
    monkeypatch.setenv("CLOUDWARDEN_LLM_MODEL", "qwen2.5:7b")
    monkeypatch.setenv("CLOUDWARDEN_LLM_BASE_URL", f"{fake_llm.base_url}/v1")
    monkeypatch.setenv("CLOUDWARDEN_LLM_INPUT_PRICE_PER_MILLION", "0.5")
    monkeypatch.setenv("CLOUDWARDEN_LLM_OUTPUT_PRICE_PER_MILLION", "1.5")

    narration = narrator_from_settings().narrate(diagnosis)

    assert narration.narrator == "openai" and narration.model == "qwen2.5:7b"
    assert narration.fallback_reason is None
    assert narration.cost_usd == pytest.approx((1234 * 0.5 + 210 * 1.5) / 1_000_000)


def test_bedrock_settings_build_a_guarded_bedrock_narrator(monkeypatch):
    monkeypatch.setenv("CLOUDWARDEN_LLM_PROVIDER", "bedrock")
    monkeypatch.setenv("CLOUDWARDEN_LLM_MODEL", "anthropic.claude-3-5-haiku-20241022-v1:0")
    monkeypatch.setenv("CLOUDWARDEN_LLM_AWS_REGION", "eu-west-1")
    monkeypatch.setenv("CLOUDWARDEN_LLM_TIMEOUT_SECONDS", "4")

    narrator = narrator_from_settings()

    assert isinstance(narrator, GuardedNarrator) and isinstance(narrator.llm, BedrockNarrator)
    assert narrator.timeout_s == 4


def test_an_llm_provider_needs_a_model():
    with pytest.raises(ValidationError, match="CLOUDWARDEN_LLM_MODEL is required"):
        NarrationSettings(provider="anthropic")


def test_api_key_is_never_shown(monkeypatch):
    monkeypatch.setenv("CLOUDWARDEN_LLM_PROVIDER", "anthropic")
    monkeypatch.setenv("CLOUDWARDEN_LLM_MODEL", "claude-test")
    monkeypatch.setenv("CLOUDWARDEN_LLM_API_KEY", SECRET)

    settings = NarrationSettings()
    narrator = narrator_from_settings(settings)

    assert SECRET not in repr(settings) and SECRET not in str(settings.model_dump())
    assert SECRET not in repr(narrator) and SECRET not in repr(vars(narrator))
