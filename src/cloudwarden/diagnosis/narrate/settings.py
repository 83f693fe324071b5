"""Which narrator to use, from CLOUDWARDEN_LLM_* environment variables.

The default is the template: no key, no network. The provider SDKs are imported only when a
provider that needs one is chosen.
"""

from __future__ import annotations

from typing import Literal, Self, TypedDict

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cloudwarden.diagnosis.narrate.base import LLMNarrator, Narrator, TokenPricing
from cloudwarden.diagnosis.narrate.service import GuardedNarrator
from cloudwarden.diagnosis.narrate.template import TemplateNarrator

Provider = Literal["template", "anthropic", "bedrock", "openai"]


class _NarratorArgs(TypedDict):
    model: str
    base_url: str | None
    api_key: str | None
    pricing: TokenPricing
    max_output_tokens: int
    max_retries: int
    timeout_s: float


class NarrationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLOUDWARDEN_LLM_", extra="forbid")

    provider: Provider = "template"
    model: str | None = Field(default=None, description="model id; a Bedrock model or inference profile id")
    base_url: str | None = Field(
        default=None, description="API root (an OpenAI-compatible server's /v1, a Bedrock VPC endpoint)"
    )
    api_key: SecretStr | None = Field(
        default=None,
        description="provider key; for bedrock, an Amazon Bedrock API key (else AWS credentials)",
    )
    aws_region: str | None = Field(default=None, description="bedrock only; defaults from AWS_REGION")
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    max_output_tokens: int = Field(default=600, ge=64, le=4096)
    # Retrying while an alert waits is rarely worth it: the template answers at once.
    max_retries: int = Field(default=0, ge=0, le=3)
    input_price_per_million: float | None = Field(
        default=None, ge=0, description="USD per million input tokens"
    )
    output_price_per_million: float | None = Field(
        default=None, ge=0, description="USD per million output tokens"
    )

    @model_validator(mode="after")
    def _model_for_llm(self) -> Self:
        if self.provider != "template" and not self.model:
            raise ValueError(
                f"CLOUDWARDEN_LLM_MODEL is required when CLOUDWARDEN_LLM_PROVIDER is {self.provider}"
            )
        return self

    def pricing(self) -> TokenPricing:
        return TokenPricing(
            input_per_million=self.input_price_per_million, output_per_million=self.output_price_per_million
        )


def narrator_from_settings(settings: NarrationSettings | None = None) -> Narrator:
    """The configured narrator; an LLM one is wrapped so every narration is checked and can fall back."""
    settings = settings if settings is not None else NarrationSettings()
    if settings.provider == "template":
        return TemplateNarrator()
    assert settings.model is not None  # the validator guarantees it
    api_key = settings.api_key.get_secret_value() if settings.api_key else None
    common: _NarratorArgs = {
        "model": settings.model,
        "base_url": settings.base_url,
        "api_key": api_key,
        "pricing": settings.pricing(),
        "max_output_tokens": settings.max_output_tokens,
        "max_retries": settings.max_retries,
        "timeout_s": settings.timeout_seconds,
    }
    if settings.provider == "anthropic":
        from cloudwarden.diagnosis.narrate.anthropic import AnthropicNarrator

        llm: LLMNarrator = AnthropicNarrator(**common)
    elif settings.provider == "bedrock":
        from cloudwarden.diagnosis.narrate.anthropic import BedrockNarrator

        llm = BedrockNarrator(aws_region=settings.aws_region, **common)
    else:
        from cloudwarden.diagnosis.narrate.openai_compat import OpenAICompatNarrator

        llm = OpenAICompatNarrator(**common)
    return GuardedNarrator(llm, timeout_s=settings.timeout_seconds)
