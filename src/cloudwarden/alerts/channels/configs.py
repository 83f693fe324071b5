"""What each channel needs to run, validated where it enters (API, CLI, the store).

Secrets are stored apart from the rest (sealed with envelope encryption): each model names its
secret fields in `SECRET_FIELDS`, `public_settings()` and `secret_values()` split a config in
two, and `load_channel_config(settings=..., secrets=...)` puts the halves back together.

    config = load_channel_config(settings=record.settings, secrets=json.loads(unsealed))
"""

from __future__ import annotations

import ipaddress
import re
from email.utils import parseaddr
from functools import cache
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, TypeAdapter, field_validator, model_validator

_E164 = re.compile(r"^\+?[1-9][0-9]{7,14}$")
_ADDRESS = re.compile(r"^[^@\s<>\"(),;:]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")
_SNS_TOPIC_ARN = re.compile(
    r"^arn:(?P<partition>aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b):sns:"
    r"(?P<region>[a-z]{2}(?:-[a-z]+)+-[0-9]):(?P<account>[0-9]{12}):(?P<name>[A-Za-z0-9_-]{1,256}(?:\.fifo)?)$"
)
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def is_loopback_host(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1): places tests may use plain text."""
    name = host.strip("[]").lower()
    if name in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def normalize_phone_number(value: str) -> str:
    """An E.164 number as WhatsApp wants it: digits only, no '+'. Spaces and dashes are dropped."""
    compact = re.sub(r"[\s\-().]", "", value)
    if not _E164.match(compact):
        raise ValueError(f"{value!r} is not an E.164 phone number (e.g. +447700900123)")
    return compact.removeprefix("+")


def normalize_email_address(value: str) -> str:
    """One bare address (`ops@example.com`); refuses line breaks, lists and display names."""
    address = value.strip()
    if "\r" in address or "\n" in address or not _ADDRESS.match(address):
        raise ValueError(f"{value!r} is not an e-mail address (e.g. oncall@example.com)")
    return address


def _http_url(value: str, *, what: str) -> str:
    parts = urlsplit(value)
    if not parts.hostname:
        raise ValueError(f"{what} must be an absolute URL")
    if parts.scheme == "https" or (parts.scheme == "http" and is_loopback_host(parts.hostname)):
        return value
    raise ValueError(f"{what} must use https (plain http is allowed only on 127.0.0.1 or localhost)")


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


class _ChannelConfigBase(BaseModel):
    # hide_input_in_errors: a refused webhook URL or token must not come back in the error text.
    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, hide_input_in_errors=True
    )

    # Fields stored sealed, apart from the settings (which are shown in the console and logs).
    SECRET_FIELDS: ClassVar[tuple[str, ...]] = ()

    def public_settings(self) -> dict[str, Any]:
        """Everything but the secrets, as JSON-ready values."""
        return self.model_dump(mode="json", exclude=set(self.SECRET_FIELDS))

    def secret_values(self) -> dict[str, str]:
        """The secrets in the clear, to be sealed by the caller; unset optional secrets are left out."""
        values: dict[str, str] = {}
        for name in self.SECRET_FIELDS:
            secret = getattr(self, name)
            if secret is not None:
                values[name] = secret.get_secret_value()
        return values


class WhatsAppConfig(_ChannelConfigBase):
    """The WhatsApp Business Cloud API: a business phone number and the app that owns it."""

    SECRET_FIELDS: ClassVar[tuple[str, ...]] = ("access_token", "app_secret", "verify_token")

    kind: Literal["whatsapp"] = "whatsapp"
    api_base_url: str = "https://graph.facebook.com/v21.0"
    phone_number_id: Annotated[str, Field(pattern=r"^[0-9]{1,32}$")]
    access_token: SecretStr = Field(min_length=1)
    app_secret: SecretStr = Field(min_length=1)
    verify_token: SecretStr = Field(min_length=1)
    # Sent outside the 24-hour window when a message names no template of its own.
    template_name: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,512}$")]
    template_language: Annotated[str, Field(pattern=r"^[a-z]{2,3}(?:_[A-Z]{2})?$")] = "en_US"
    recipients: list[str] = Field(default_factory=list)  # E.164, stored without '+'

    @field_validator("api_base_url")
    @classmethod
    def _api_base_url(cls, value: str) -> str:
        return _http_url(value, what="api_base_url").rstrip("/")

    @field_validator("recipients")
    @classmethod
    def _recipients(cls, values: list[str]) -> list[str]:
        return _unique([normalize_phone_number(value) for value in values])


class SlackConfig(_ChannelConfigBase):
    """A Slack incoming webhook: the URL is the credential (anyone holding it can post)."""

    SECRET_FIELDS: ClassVar[tuple[str, ...]] = ("webhook_url",)

    kind: Literal["slack"] = "slack"
    webhook_url: SecretStr

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: SecretStr) -> SecretStr:
        _http_url(value.get_secret_value(), what="webhook_url")  # the message never echoes the URL
        return value


class EmailConfig(_ChannelConfigBase):
    """An SMTP relay. "none" (no TLS) is allowed only towards a relay on the same machine."""

    SECRET_FIELDS: ClassVar[tuple[str, ...]] = ("password",)

    kind: Literal["email"] = "email"
    host: Annotated[str, Field(min_length=1, max_length=253)]
    port: Annotated[int, Field(ge=1, le=65535)] = 587
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password: SecretStr | None = None
    sender: str  # "oncall@example.com" or "CloudWarden <oncall@example.com>"
    recipients: list[str] = Field(default_factory=list)
    timeout_seconds: Annotated[float, Field(gt=0, le=120)] = 15.0

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        if "\r" in value or "\n" in value:
            raise ValueError("sender must be one line")
        _, address = parseaddr(value)
        normalize_email_address(address)
        return value

    @field_validator("recipients")
    @classmethod
    def _recipients(cls, values: list[str]) -> list[str]:
        return _unique([normalize_email_address(value) for value in values])

    @model_validator(mode="after")
    def _consistent(self) -> EmailConfig:
        if self.security == "none" and not is_loopback_host(self.host):
            raise ValueError(
                f'security "none" sends mail and passwords in the clear; it is allowed only for a relay '
                f'on 127.0.0.1 or localhost, not {self.host!r} (use "starttls" or "tls")'
            )
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password go together: set both or neither")
        return self

    @property
    def sender_address(self) -> str:
        return parseaddr(self.sender)[1]


class SnsConfig(_ChannelConfigBase):
    """An SNS topic CloudWarden publishes to (the customer fans it out: SMS, PagerDuty, queues)."""

    SECRET_FIELDS: ClassVar[tuple[str, ...]] = ()

    kind: Literal["sns"] = "sns"
    topic_arn: str

    @field_validator("topic_arn")
    @classmethod
    def _topic_arn(cls, value: str) -> str:
        if not _SNS_TOPIC_ARN.match(value):
            raise ValueError(
                f"{value!r} is not an SNS topic ARN (arn:aws:sns:<region>:<12-digit account>:<topic name>)"
            )
        return value

    @property
    def region(self) -> str:
        match = _SNS_TOPIC_ARN.match(self.topic_arn)
        assert match is not None  # validated above
        return match["region"]

    @property
    def is_fifo(self) -> bool:
        return self.topic_arn.endswith(".fifo")


ChannelConfig = Annotated[WhatsAppConfig | SlackConfig | EmailConfig | SnsConfig, Field(discriminator="kind")]


@cache
def _adapter() -> TypeAdapter[ChannelConfig]:
    return TypeAdapter(ChannelConfig, config=ConfigDict(hide_input_in_errors=True))


def parse_channel_config(data: dict[str, Any]) -> ChannelConfig:
    """Any channel's config from one mapping with its `kind`; raises pydantic.ValidationError."""
    return _adapter().validate_python(data)


def load_channel_config(*, settings: dict[str, Any], secrets: dict[str, str]) -> ChannelConfig:
    """A config from its stored halves: the public settings and the unsealed secrets."""
    overlap = settings.keys() & secrets.keys()
    if overlap:
        raise ValueError(f"settings and secrets both define {sorted(overlap)}")
    return parse_channel_config({**settings, **secrets})
