"""Channel configurations refuse what would fail or leak later, and split secrets from settings."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cloudwarden.alerts.channels.configs import (
    EmailConfig,
    SlackConfig,
    SnsConfig,
    WhatsAppConfig,
    load_channel_config,
    parse_channel_config,
)

WHATSAPP = {
    "kind": "whatsapp",
    "phone_number_id": "106540352242922",
    "access_token": "EAAG-token",
    "app_secret": "app-secret",
    "verify_token": "verify-token",
    "template_name": "cloudwarden_alert",
    "recipients": ["+44 7700 900123", "447700900123", "+1-415-555-0100"],
}


def test_whatsapp_recipients_are_stored_as_e164_digits_without_plus() -> None:
    config = parse_channel_config(WHATSAPP)
    assert isinstance(config, WhatsAppConfig)
    assert config.recipients == ["447700900123", "14155550100"]
    assert config.api_base_url == "https://graph.facebook.com/v21.0" and config.template_language == "en_US"


@pytest.mark.parametrize("number", ["07700 900123", "+0447700900123", "12345", "+4477009001231234"])
def test_whatsapp_refuses_numbers_that_are_not_e164(number: str) -> None:
    with pytest.raises(ValidationError, match=r"E\.164"):
        parse_channel_config({**WHATSAPP, "recipients": [number]})


def test_secrets_are_split_from_settings_and_put_back_together() -> None:
    config = parse_channel_config(WHATSAPP)
    settings, secrets = config.public_settings(), config.secret_values()

    assert set(secrets) == set(WhatsAppConfig.SECRET_FIELDS) == {"access_token", "app_secret", "verify_token"}
    assert not set(settings) & set(secrets) and "EAAG-token" not in str(settings)
    assert "EAAG-token" not in repr(config)
    assert load_channel_config(settings=settings, secrets=secrets) == config


def test_optional_secret_left_unset_is_not_stored() -> None:
    config = EmailConfig(host="127.0.0.1", security="none", sender="a@example.com")
    assert config.secret_values() == {} and EmailConfig.SECRET_FIELDS == ("password",)
    assert SnsConfig.SECRET_FIELDS == () and SlackConfig.SECRET_FIELDS == ("webhook_url",)


def test_unknown_fields_and_kinds_are_refused() -> None:
    with pytest.raises(ValidationError, match="extra"):
        parse_channel_config({**WHATSAPP, "acces_token": "typo"})
    with pytest.raises(ValidationError, match="kind"):
        parse_channel_config({"kind": "pager", "topic_arn": "x"})


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://hooks.slack.com/services/T0/B0/x", True),
        ("http://127.0.0.1:8080/services/T0/B0/x", True),
        ("http://localhost/hook", True),
        ("http://hooks.slack.com/services/T0/B0/x", False),
        ("ftp://hooks.slack.com/x", False),
        ("hooks.slack.com/services", False),
    ],
)
def test_slack_webhook_must_be_https_except_on_loopback(url: str, ok: bool) -> None:
    if ok:
        assert SlackConfig(webhook_url=url).webhook_url.get_secret_value() == url
    else:
        with pytest.raises(ValidationError, match=r"https|absolute"):
            SlackConfig(webhook_url=url)


@pytest.mark.parametrize(
    "build",
    [
        lambda: SlackConfig(webhook_url="http://hooks.slack.com/services/T0/B0/SECRETPART"),
        lambda: parse_channel_config({"kind": "slack", "webhook_url": "http://hooks.slack.com/SECRETPART"}),
        lambda: parse_channel_config({"kind": "pager", "access_token": "SECRETPART"}),
        lambda: parse_channel_config({**WHATSAPP, "access_token": "SECRETPART", "template_name": "Bad Name"}),
    ],
)
def test_validation_errors_never_echo_secrets(build) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as failure:
        build()
    assert "SECRETPART" not in str(failure.value)


def test_email_without_tls_only_towards_loopback() -> None:
    assert EmailConfig(host="localhost", port=25, security="none", sender="a@example.com").security == "none"
    with pytest.raises(ValidationError, match="in the clear"):
        EmailConfig(host="smtp.example.com", security="none", sender="a@example.com")


def test_email_addresses_and_credentials_are_checked() -> None:
    config = EmailConfig(
        host="smtp.example.com",
        sender="CloudWarden <alerts@example.com>",
        recipients=["oncall@example.com", "oncall@example.com"],
        username="u",
        password="p",
    )
    assert config.sender_address == "alerts@example.com" and config.recipients == ["oncall@example.com"]
    with pytest.raises(ValidationError, match="e-mail address"):
        EmailConfig(
            host="smtp.example.com", sender="a@example.com", recipients=["a@example.com\nBcc: b@x.com"]
        )
    with pytest.raises(ValidationError, match="set both or neither"):
        EmailConfig(host="smtp.example.com", sender="a@example.com", username="u")


def test_sns_topic_arn_is_validated_and_names_the_region() -> None:
    assert SnsConfig(topic_arn="arn:aws:sns:eu-west-2:123456789012:oncall").region == "eu-west-2"
    assert SnsConfig(topic_arn="arn:aws:sns:us-east-1:123456789012:oncall.fifo").is_fifo
    for bad in ("arn:aws:sqs:us-east-1:123456789012:q", "arn:aws:sns:us-east-1:1234:t", "oncall"):
        with pytest.raises(ValidationError, match="SNS topic ARN"):
            SnsConfig(topic_arn=bad)
