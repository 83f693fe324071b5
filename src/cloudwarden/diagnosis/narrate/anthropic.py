"""Narration through the official `anthropic` SDK: the Messages API, directly or on Amazon Bedrock.

Bedrock uses the SDK's `AnthropicBedrock` client (install `anthropic[bedrock]`, which brings
boto3/botocore for SigV4 signing). It calls InvokeModel (POST /model/{modelId}/invoke) with
the Messages body; credentials come from the default AWS chain unless given, or an Amazon
Bedrock API key is sent as a bearer token.
"""

from __future__ import annotations

import anthropic

from cloudwarden.diagnosis.narrate.base import (
    Completion,
    NarratorError,
    SDKNarrator,
    TokenPricing,
    sdk_errors,
)

DEFAULT_MAX_OUTPUT_TOKENS = 600


class _MessagesNarrator(SDKNarrator):
    """The Messages API call and its response handling, shared by both clients."""

    name: str
    _client: anthropic.Anthropic | anthropic.AnthropicBedrock

    def complete(self, *, system: str, user: str, timeout_s: float) -> Completion:
        with sdk_errors(anthropic, timeout_s):
            message = self._client.messages.create(
                model=self.model,
                max_tokens=self.max_output_tokens,
                system=system,
                messages=[{"role": "user", "content": user}],
                timeout=timeout_s,
            )

        usage = message.usage
        tokens = {"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens}
        # A cut-off or refused answer is billed but is not a narration.
        if message.stop_reason == "max_tokens":
            raise NarratorError(
                f"incomplete response: stopped at max_tokens ({self.max_output_tokens})", **tokens
            )
        if message.stop_reason == "refusal":
            raise NarratorError("refused: the model declined to answer", **tokens)
        texts = [block.text for block in message.content if block.type == "text"]
        if not texts:
            kinds = ", ".join(block.type for block in message.content) or "none"
            raise NarratorError(f"malformed response: no text content block (got {kinds})", **tokens)
        return Completion(text="".join(texts), model=message.model, **tokens)


class AnthropicNarrator(_MessagesNarrator):
    """Claude through the Messages API (api.anthropic.com or any base_url that speaks it)."""

    name = "anthropic"

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
        # With no api_key the SDK resolves ANTHROPIC_API_KEY or its profile files, as documented.
        self._client = anthropic.Anthropic(
            api_key=api_key, base_url=base_url, max_retries=max_retries, timeout=timeout_s
        )


class BedrockNarrator(_MessagesNarrator):
    """Claude on Amazon Bedrock through the SDK's AnthropicBedrock client."""

    name = "bedrock"

    def __init__(
        self,
        *,
        model: str,
        aws_region: str | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        aws_access_key: str | None = None,
        aws_secret_key: str | None = None,
        aws_session_token: str | None = None,
        pricing: TokenPricing | None = None,
        max_output_tokens: int = DEFAULT_MAX_OUTPUT_TOKENS,
        max_retries: int = 0,
        timeout_s: float = 10.0,
    ) -> None:
        super().__init__(model=model, pricing=pricing, max_output_tokens=max_output_tokens)
        # The region defaults from AWS_REGION or the boto3 profile; base_url overrides the
        # bedrock-runtime endpoint (a VPC endpoint, or a local stand-in in tests). An api_key
        # is a Bedrock API key, sent as a bearer token instead of SigV4.
        self._client = anthropic.AnthropicBedrock(
            aws_region=aws_region,
            base_url=base_url,
            api_key=api_key,
            aws_access_key=aws_access_key,
            aws_secret_key=aws_secret_key,
            aws_session_token=aws_session_token,
            max_retries=max_retries,
            timeout=timeout_s,
        )
