"""Session credentials are stripped from log records, even those logged before we knew them."""

from __future__ import annotations

import logging

from cloudwarden.aws import redact


def test_registered_secret_is_redacted_in_formatted_records(caplog) -> None:  # type: ignore[no-untyped-def]
    redact.register("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    logger = logging.getLogger("test.redact")
    caplog.handler.addFilter(redact.RedactingFilter())
    with caplog.at_level(logging.DEBUG):
        logger.debug("calling with %s", "secret=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    assert "wJalrXUtnFEMI" not in caplog.text and redact.REPLACEMENT in caplog.text


def test_assume_role_response_body_and_token_header_are_redacted() -> None:
    body = "<SecretAccessKey>abc/def+g</SecretAccessKey><SessionToken>FQoG//x=</SessionToken>"
    assert (
        redact.redact(body)
        == "<SecretAccessKey>[REDACTED]</SecretAccessKey><SessionToken>[REDACTED]</SessionToken>"
    )
    header = "{'X-Amz-Security-Token': b'FQoGZXIvYXdzEJr//x=', 'Authorization': b'AWS4'}"
    assert "FQoGZXIv" not in redact.redact(header)
    assert redact.redact('{"SessionToken": "tok123"}') == '{"SessionToken": "[REDACTED]"}'


def test_access_key_id_is_redacted_wherever_botocore_logs_it() -> None:
    """The AssumeRole response body and the SigV4 Authorization header name the session's key id."""
    body = "<Credentials><AccessKeyId>ASIAQWERTYUIOPASDFGH</AccessKeyId><Expiration>2026</Expiration>"
    assert "ASIAQWERTYUIOPASDFGH" not in redact.redact(body)
    assert "<Expiration>2026</Expiration>" in redact.redact(body)
    header = "{'Authorization': b'AWS4-HMAC-SHA256 Credential=ASIAQWERTYUIOPASDFGH/20261204/eu-west-1/sts/aws4_request'}"
    cleaned = redact.redact(header)
    assert "ASIAQWERTYUIOPASDFGH" not in cleaned and "/20261204/eu-west-1/sts/aws4_request" in cleaned
    assert "ASIAQWERTY" not in redact.redact('{"AccessKeyId": "ASIAQWERTYUIOPASDFGH"}')


def test_kms_plaintext_is_redacted() -> None:
    assert "c2VjcmV0" not in redact.redact('{"KeyId": "k", "Plaintext": "c2VjcmV0"}')
