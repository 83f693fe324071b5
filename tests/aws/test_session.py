"""Assumed-role sessions: ExternalId required, cached in memory for at most the TTL, never shown."""

from __future__ import annotations

import json
import re

import pytest
from botocore.exceptions import ClientError

from cloudwarden.aws import session as session_module
from cloudwarden.aws.session import AccountDisconnected, SessionBroker
from cloudwarden.config import Settings
from cloudwarden.simulator.client import SimulatorClient

EXTERNAL_ID = "q3JtVYg0w0t8cQyq5hR0f7bIeE0lJm8bY4P6j7z2kXo"
ROLE_ARN = "arn:aws:iam::123456789012:role/ReadOnlyForTest"


@pytest.fixture
def broker(sim: SimulatorClient) -> SessionBroker:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}},
            }
        ],
    }
    sim.client("iam").create_role(RoleName="ReadOnlyForTest", AssumeRolePolicyDocument=json.dumps(trust))
    return SessionBroker(Settings(simulator_url=sim.endpoint, credential_ttl_seconds=300))


def test_session_is_cached_then_refreshed_after_its_ttl(
    broker: SessionBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = broker.session(role_arn=ROLE_ARN, external_id=EXTERNAL_ID, region="us-east-1")
    assert first.account_id == "123456789012" and "ReadOnlyForTest" in first.caller_arn
    assert broker.session(role_arn=ROLE_ARN, external_id=EXTERNAL_ID, region="us-east-1") is first
    clock = session_module.time.monotonic()
    # A minute before the TTL runs out the broker assumes the role again.
    monkeypatch.setattr(session_module.time, "monotonic", lambda: clock + 300 - 59)
    refreshed = broker.session(role_arn=ROLE_ARN, external_id=EXTERNAL_ID, region="us-east-1")
    assert refreshed is not first


def test_wrong_external_id_is_refused_with_a_clear_message(broker: SessionBroker) -> None:
    with pytest.raises(AccountDisconnected, match="ExternalId does not match"):
        broker.session(role_arn=ROLE_ARN, external_id="not-the-right-one-" + "x" * 20, region="us-east-1")


def test_sts_client_is_built_once_per_region(broker: SessionBroker, monkeypatch: pytest.MonkeyPatch) -> None:
    """A revoked role is asked again at every investigation: building a boto3 session and client
    each time cost more CPU than the AssumeRole itself."""
    built: list[str] = []
    real = session_module.base_session

    def counting(settings: Settings, region: str) -> object:
        built.append(region)
        return real(settings, region)

    monkeypatch.setattr(session_module, "base_session", counting)
    for _ in range(3):
        with pytest.raises(AccountDisconnected):
            broker.session(role_arn=ROLE_ARN, external_id="not-the-right-one-" + "x" * 20, region="us-east-1")
    broker.session(role_arn=ROLE_ARN, external_id=EXTERNAL_ID, region="us-east-1")
    broker.session(role_arn=ROLE_ARN, external_id=EXTERNAL_ID, region="eu-west-1")
    assert built == ["us-east-1", "eu-west-1"]


def test_credentials_never_appear_in_reprs(broker: SessionBroker) -> None:
    session = broker.session(role_arn=ROLE_ARN, external_id=EXTERNAL_ID, region="us-east-1")
    secret = session._credentials.secret_access_key
    token = session._credentials.session_token
    for text in (repr(session), repr(session._credentials), repr(broker._cache)):
        assert secret not in text and token not in text


def test_ttl_above_ten_minutes_is_rejected() -> None:
    with pytest.raises(ValueError, match="credential_ttl_seconds"):
        Settings(credential_ttl_seconds=3600)


def _client_error(code: str, status: int) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "..."}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "AssumeRole",
    )


@pytest.mark.parametrize(
    ("code", "status", "revoked"),
    [
        ("AccessDenied", 403, True),  # role deleted, trust changed or ExternalId mismatch
        ("NoSuchEntity", 404, True),
        ("Throttling", 400, False),
        ("ThrottlingException", 400, False),
        ("InvalidClientTokenId", 403, False),  # CloudWarden's own key is the problem
        ("SignatureDoesNotMatch", 403, False),
        ("ExpiredToken", 400, False),
        ("ServiceUnavailable", 503, False),
        ("InternalFailure", 500, False),
    ],
)
def test_only_a_refusal_by_the_role_counts_as_revoked(code: str, status: int, revoked: bool) -> None:
    error = session_module.classify_assume_role_error(_client_error(code, status), ROLE_ARN)
    assert isinstance(error, AccountDisconnected) is revoked
    assert isinstance(error, session_module.AwsUnreachable) is not revoked
    assert ROLE_ARN in error.message and error.hint


def test_an_unreachable_endpoint_is_not_a_revocation() -> None:
    broker = SessionBroker(Settings(simulator_url="http://127.0.0.1:9"))
    with pytest.raises(
        session_module.AwsUnreachable, match=re.escape("cannot reach AWS STS at http://127.0.0.1:9")
    ):
        broker.session(role_arn=ROLE_ARN, external_id=EXTERNAL_ID, region="us-east-1")
