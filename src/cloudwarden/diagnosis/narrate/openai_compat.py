"""Narration through the official `openai` SDK's chat completions, against any compatible server.

That covers OpenAI itself and self-hosted servers that speak the same API (vLLM, Ollama,
LiteLLM): set base_url to the server's /v1 root.
"""

from __future__ import annotations

import openai

from cloudwarden.diagnosis.narrate.base import (
    Completion,
    NarratorError,
    SDKNarrator,
    TokenPricing,
    sdk_errors,
)

DEFAULT_MAX_OUTPUT_TOKENS = 600
# Self-hosted servers usually run without a key, but the SDK refuses to start without one.
KEYLESS_SERVER_KEY = "no-key"


class OpenAICompatNarrator(SDKNarrator):
    name = "openai"

    def __init__(
        self,
        *,
        model: str,
        api_key: str | None = None,
        base_url: str | None = None,
        pricing: TokenPricing | None = None,
        max_output_tokens: int = DEFAULT_MAX_OUTPUT_TOKENS,
        max_retries: int = 0,
        timeout_s: float = 10.0,
    ) -> None:
        super().__init__(model=model, pricing=pricing, max_output_tokens=max_output_tokens)
        if api_key is None and base_url is not None:
            api_key = KEYLESS_SERVER_KEY
        # With neither, the SDK reads OPENAI_API_KEY, as its users expect.
        self._client = openai.OpenAI(
            api_key=api_key, base_url=base_url, max_retries=max_retries, timeout=timeout_s
        )

    def complete(self, *, system: str, user: str, timeout_s: float) -> Completion:
        with sdk_errors(openai, timeout_s):
            response = self._client.chat.completions.create(
                model=self.model,
                messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
                # max_tokens rather than max_completion_tokens: it is the one vLLM, Ollama and
                # older gateways all accept.
                max_tokens=self.max_output_tokens,
                temperature=0,
                timeout=timeout_s,
            )

        # Some compatible servers omit usage; then tokens (and cost) are unknown, not zero.
        usage = response.usage
        tokens = {
            "input_tokens": usage.prompt_tokens if usage else None,
            "output_tokens": usage.completion_tokens if usage else None,
        }
        if not response.choices:
            raise NarratorError("malformed response: no choices", **tokens)
        choice = response.choices[0]
        if choice.finish_reason == "length":
            raise NarratorError(
                f"incomplete response: stopped at max_tokens ({self.max_output_tokens})", **tokens
            )
        if choice.finish_reason == "content_filter" or choice.message.refusal:
            raise NarratorError("refused: the model declined to answer", **tokens)
        if choice.message.content is None:
            raise NarratorError("malformed response: no message content", **tokens)
        return Completion(text=choice.message.content, model=response.model or None, **tokens)
