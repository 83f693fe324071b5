"""The real anthropic and openai SDKs against a local server that speaks each wire format."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from cloudwarden.diagnosis.narrate import TokenPricing, narrate_safely
from cloudwarden.diagnosis.narrate.anthropic import AnthropicNarrator, BedrockNarrator
from cloudwarden.diagnosis.narrate.base import LLMNarrator
from cloudwarden.diagnosis.narrate.openai_compat import OpenAICompatNarrator
from tests.diagnosis.narrate.conftest import ACCOUNT, ACTOR, SENSITIVE, SG_API, SG_WEB_DB, faithful_answer
from tests.diagnosis.narrate.fake_llm import FakeLLM

PRICING = TokenPricing(input_per_million=3.0, output_per_million=15.0)
BEDROCK_MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
PROVIDERS = ["anthropic", "bedrock", "openai"]


def make_narrator(provider: str, fake: FakeLLM, *, pricing: TokenPricing = PRICING) -> LLMNarrator:
    if provider == "anthropic":
        return AnthropicNarrator(
            model="claude-test", api_key="sk-ant-test", base_url=fake.base_url, pricing=pricing
        )
    if provider == "bedrock":
        return BedrockNarrator(
            model=BEDROCK_MODEL,
            aws_region="us-east-1",
            base_url=fake.base_url,
            aws_access_key="AKIDEXAMPLE",
            aws_secret_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            pricing=pricing,
        )
    return OpenAICompatNarrator(model="llama3.1:8b", base_url=f"{fake.base_url}/v1", pricing=pricing)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_faithful_answer_is_used_with_identifiers_restored(provider, fake_llm, diagnosis):
    fake_llm.behaviour.answer = faithful_answer

    narration = narrate_safely(diagnosis, make_narrator(provider, fake_llm), timeout_s=5)

    assert narration.fallback_reason is None
    assert narration.narrator == provider
    assert "most likely cause is a network block on security group sg-81f09b629170145fb" in narration.text
    # The model only ever saw placeholders; the user reads the real values.
    assert SG_WEB_DB in narration.text and ACTOR in narration.text and f"account {ACCOUNT}" in narration.text
    assert "ARN_" not in narration.text and "ACCOUNT_" not in narration.text


@pytest.mark.parametrize("provider", PROVIDERS)
def test_server_never_receives_account_ids_arns_ips_or_emails(provider, fake_llm, diagnosis):
    fake_llm.behaviour.answer = faithful_answer

    narrate_safely(diagnosis, make_narrator(provider, fake_llm), timeout_s=5)

    sent = fake_llm.last.body.decode()
    assert [value for value in SENSITIVE if value in sent] == []
    assert "ARN_1" in sent and "ACCOUNT_1" in sent and "EMAIL_1" in sent and "IP_1" in sent


@pytest.mark.parametrize("provider", PROVIDERS)
def test_tokens_and_cost_are_recorded(provider, fake_llm, diagnosis):
    fake_llm.behaviour.answer = faithful_answer

    narration = narrate_safely(diagnosis, make_narrator(provider, fake_llm), timeout_s=5)

    assert (narration.input_tokens, narration.output_tokens) == (1234, 210)
    assert narration.cost_usd == pytest.approx((1234 * 3.0 + 210 * 15.0) / 1_000_000)
    assert narration.duration_ms >= 0


def test_without_prices_there_is_no_cost_figure(fake_llm, diagnosis):
    fake_llm.behaviour.answer = faithful_answer
    narrator = make_narrator("anthropic", fake_llm, pricing=TokenPricing())

    narration = narrate_safely(diagnosis, narrator, timeout_s=5)

    assert narration.input_tokens == 1234 and narration.cost_usd is None


@pytest.mark.parametrize("provider", PROVIDERS)
def test_answer_naming_a_resource_not_in_the_evidence_falls_back(provider, fake_llm, diagnosis):
    invented = f"arn:aws:rds:us-east-1:{ACCOUNT}:db:payments-db"
    fake_llm.behaviour.answer = lambda payload: faithful_answer(payload) + f" {invented} is also failing."

    narration = narrate_safely(diagnosis, make_narrator(provider, fake_llm), timeout_s=5)

    assert narration.narrator == "template"
    assert narration.fallback_reason == f"validation: names resource {invented} not in the evidence"
    assert narration.text.startswith("Alarm storefront-5xx-high went into ALARM")
    # The rejected answer was billed, so its usage stays visible.
    assert (narration.input_tokens, narration.output_tokens) == (1234, 210)
    assert narration.cost_usd is not None and narration.model is not None


def test_answer_naming_a_fault_not_in_the_evidence_falls_back(fake_llm, diagnosis):
    fake_llm.behaviour.answer = lambda payload: (
        faithful_answer(payload) + " A memory leak may also be involved."
    )

    narration = narrate_safely(diagnosis, make_narrator("openai", fake_llm), timeout_s=5)

    assert narration.narrator == "template"
    assert (
        narration.fallback_reason
        == 'validation: names fault memory_leak ("memory leak") that no hypothesis has'
    )


def test_answer_leading_with_another_resource_falls_back(fake_llm, diagnosis):
    fake_llm.behaviour.answer = lambda p: (
        f"The root cause is a network block on {p['hypotheses'][2]['resource']}."
    )

    narration = narrate_safely(diagnosis, make_narrator("anthropic", fake_llm), timeout_s=5)

    assert narration.fallback_reason == (
        f"validation: contradicts the top hypothesis: its claim names {SG_API} first, not {SG_WEB_DB}"
    )


@pytest.mark.parametrize("provider", PROVIDERS)
def test_slow_server_falls_back_with_timeout(provider, fake_llm, diagnosis):
    fake_llm.behaviour.delay_s = 5
    fake_llm.behaviour.answer = faithful_answer

    narration = narrate_safely(diagnosis, make_narrator(provider, fake_llm), timeout_s=0.3)

    assert narration.fallback_reason == "timeout after 0.3s"
    assert narration.narrator == "template"
    assert narration.duration_ms < 2000
    assert (narration.input_tokens, narration.output_tokens, narration.cost_usd) == (None, None, None)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_server_error_falls_back_with_the_status(provider, fake_llm, diagnosis):
    fake_llm.behaviour.status = 500

    narration = narrate_safely(diagnosis, make_narrator(provider, fake_llm), timeout_s=5)

    assert narration.narrator == "template"
    assert narration.fallback_reason is not None
    assert narration.fallback_reason.startswith("error: APIStatusError 500 (InternalServerError)")
    assert len(fake_llm.requests) == 1  # no retry storm while the alert waits


def test_empty_answer_falls_back(fake_llm, diagnosis):
    fake_llm.behaviour.answer = lambda payload: "   "

    narration = narrate_safely(diagnosis, make_narrator("openai", fake_llm), timeout_s=5)

    assert narration.fallback_reason == "empty response"
    assert narration.input_tokens == 1234


def test_truncated_answer_falls_back(fake_llm, diagnosis):
    fake_llm.behaviour.answer = faithful_answer
    fake_llm.behaviour.stop = "max_tokens"

    narration = narrate_safely(diagnosis, make_narrator("anthropic", fake_llm), timeout_s=5)

    assert narration.fallback_reason == "incomplete response: stopped at max_tokens (600)"
    assert narration.output_tokens == 210


def test_response_without_text_falls_back_as_malformed(fake_llm, diagnosis):
    fake_llm.behaviour.raw_body = {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": "claude-test",
        "content": [],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 900, "output_tokens": 0},
    }

    narration = narrate_safely(diagnosis, make_narrator("anthropic", fake_llm), timeout_s=5)

    assert narration.fallback_reason == "malformed response: no text content block (got none)"
    assert narration.input_tokens == 900


def test_unreachable_server_falls_back_with_the_error(diagnosis):
    narrator = AnthropicNarrator(model="claude-test", api_key="sk-ant-test", base_url="http://127.0.0.1:9")

    narration = narrate_safely(diagnosis, narrator, timeout_s=2)

    assert narration.narrator == "template"
    assert narration.fallback_reason is not None and narration.fallback_reason.startswith(
        "error: APIConnectionError"
    )


def test_each_provider_gets_its_wire_format_and_the_rules(fake_llm, diagnosis):
    fake_llm.behaviour.answer = faithful_answer
    for provider in PROVIDERS:
        narrate_safely(diagnosis, make_narrator(provider, fake_llm), timeout_s=5)
    anthropic_req, bedrock_req, openai_req = fake_llm.requests

    assert anthropic_req.path == "/v1/messages"
    # SDK 2.x sends the key as a bearer token; earlier ones used x-api-key.
    headers = anthropic_req.headers
    assert headers.get("authorization") == "Bearer sk-ant-test" or headers.get("x-api-key") == "sk-ant-test"
    assert "Do not invent resources" in anthropic_req.json()["system"]
    assert "Copy them exactly" in anthropic_req.json()["system"]

    assert bedrock_req.path == f"/model/{quote(BEDROCK_MODEL, safe=':')}/invoke"
    assert bedrock_req.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/us-east-1/bedrock/aws4_request" in bedrock_req.headers["authorization"]
    body = bedrock_req.json()
    # InvokeModel carries the model in the path and the API version in the body.
    assert "model" not in body and body["anthropic_version"]
    assert body["messages"][0]["role"] == "user"

    assert openai_req.path == "/v1/chat/completions"
    messages = openai_req.json()["messages"]
    assert messages[0]["role"] == "system" and "placeholders" in messages[0]["content"]
