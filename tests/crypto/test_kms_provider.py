"""KMS wraps data keys with the workspace as EncryptionContext, enforced by KMS itself."""

from __future__ import annotations

import base64
import logging
import pickle
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from cloudwarden.crypto import envelope
from cloudwarden.crypto.envelope import DataKey, decrypt_text, encrypt, new_data_key, rewrap, wrap_context
from cloudwarden.crypto.errors import (
    DecryptionFailed,
    InvalidWrappedKey,
    KeyProviderUnreachable,
    KeyUnavailable,
)
from cloudwarden.crypto.providers import KmsKeyProvider, unframe
from cloudwarden.simulator.client import SimulatorClient

FIELD = "channels.webhook_token"
SECRET = "whsec-very-secret-webhook-token"


@pytest.fixture
def kms(sim: SimulatorClient) -> Any:
    return sim.client("kms")


def _key(kms: Any) -> str:
    arn: str = kms.create_key(Description="cloudwarden data keys")["KeyMetadata"]["Arn"]
    return arn


def _enc(key: DataKey, provider: KmsKeyProvider) -> str:
    return encrypt(SECRET, data_key=key, provider=provider, field=FIELD, row="hook-1")


def _dec(token: str, key: DataKey, provider: KmsKeyProvider) -> str:
    return decrypt_text(token, data_key=key, provider=provider, field=FIELD, row="hook-1")


def test_round_trip_through_kms(kms: Any) -> None:
    provider = KmsKeyProvider(kms, key_arn=_key(kms))
    key = new_data_key(provider, workspace_id="ws-1")
    assert key.wrapping_key_id == provider.key_id
    token = _enc(key, provider)
    stored = pickle.loads(pickle.dumps(key))  # a later process: unwraps through KMS
    assert _dec(token, stored, provider) == SECRET


def test_kms_itself_enforces_the_encryption_context(kms: Any) -> None:
    provider = KmsKeyProvider(kms, key_arn=_key(kms))
    key = new_data_key(provider, workspace_id="ws-1")
    _, blob = unframe(key.wrapped)
    context = wrap_context(workspace_id="ws-1", key_id=key.key_id)
    # The blob is a KMS ciphertext bound to exactly this context: KMS decrypts it with it...
    assert len(kms.decrypt(CiphertextBlob=blob, EncryptionContext=context)["Plaintext"]) == 32
    # ...and refuses it without it or with any other, whoever asks.
    for other in (None, {}, {**context, "workspace": "ws-2"}, {**context, "extra": "1"}):
        kwargs = {} if other is None else {"EncryptionContext": other}
        with pytest.raises(kms.exceptions.InvalidCiphertextException):
            kms.decrypt(CiphertextBlob=blob, **kwargs)
    with pytest.raises(InvalidWrappedKey):
        provider.unwrap(key.wrapped, context={**context, "workspace": "ws-2"})


def test_a_wrapped_data_key_moved_to_another_workspace_is_refused_by_kms(kms: Any) -> None:
    provider = KmsKeyProvider(kms, key_arn=_key(kms))
    key = new_data_key(provider, workspace_id="ws-a")
    stolen = DataKey(workspace_id="ws-b", key_id=key.key_id, wrapped=key.wrapped)
    with pytest.raises(DecryptionFailed) as failure:
        _enc(stolen, provider)
    assert failure.value.reason == "data_key_rejected" and failure.value.workspace_id == "ws-b"


def test_a_data_key_wrapped_by_an_unconfigured_kms_key_is_unavailable(kms: Any) -> None:
    old = KmsKeyProvider(kms, key_arn=_key(kms))
    key = new_data_key(old, workspace_id="ws-1")
    token = _enc(key, old)
    new = KmsKeyProvider(kms, key_arn=_key(kms))
    with pytest.raises(KeyUnavailable, match=old.key_id):
        _dec(token, pickle.loads(pickle.dumps(key)), new)


def test_moving_to_a_new_kms_key(kms: Any) -> None:
    old_arn, new_arn = _key(kms), _key(kms)
    old = KmsKeyProvider(kms, key_arn=old_arn)
    key = new_data_key(old, workspace_id="ws-1")
    token = _enc(key, old)
    during = KmsKeyProvider(kms, key_arn=new_arn, previous_key_arns=[old_arn])
    assert envelope.needs_rewrap(key, during)
    moved = rewrap(pickle.loads(pickle.dumps(key)), from_provider=during)
    assert moved.wrapping_key_id == new_arn
    after = KmsKeyProvider(kms, key_arn=new_arn)
    assert _dec(token, pickle.loads(pickle.dumps(moved)), after) == SECRET


def test_only_key_arns_are_accepted(kms: Any) -> None:
    with pytest.raises(KeyUnavailable, match="not a key ARN"):
        KmsKeyProvider(kms, key_arn="alias/cloudwarden")


def test_no_data_key_reaches_the_logs_even_at_debug(kms: Any, caplog: pytest.LogCaptureFixture) -> None:
    # botocore logs KMS request and response bodies (with Plaintext) at DEBUG.
    provider = KmsKeyProvider(kms, key_arn=_key(kms))
    with caplog.at_level(logging.DEBUG):
        key = new_data_key(provider, workspace_id="ws-1")
        stored = pickle.loads(pickle.dumps(key))
        token = _enc(stored, provider)
    assert any("Plaintext" in r.getMessage() for r in caplog.records)  # the bodies were logged
    plain = stored._plaintext
    assert plain is not None and plain == key._plaintext
    logged = caplog.text + " ".join(r.getMessage() for r in caplog.records)
    for encoded in (base64.b64encode(plain).decode(), plain.hex(), repr(plain)[2:-1]):
        assert encoded not in logged
    assert SECRET not in logged
    assert _dec(token, stored, provider) == SECRET
    assert plain not in repr(provider).encode() and "whsec" not in repr(provider)


ARN = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"


def _stubbed(code: str, operation: str) -> tuple[KmsKeyProvider, Stubber]:
    client = boto3.client("kms", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    stubber = Stubber(client)
    stubber.add_client_error(operation, service_error_code=code, http_status_code=400)
    stubber.activate()
    return KmsKeyProvider(client, key_arn=ARN), stubber


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("AccessDeniedException", KeyUnavailable),
        ("DisabledException", KeyUnavailable),
        ("KMSInvalidStateException", KeyUnavailable),
        ("ThrottlingException", KeyProviderUnreachable),
        ("KMSInternalException", KeyProviderUnreachable),
    ],
)
def test_kms_failures_become_readable_errors(code: str, error: type[Exception]) -> None:
    provider, stubber = _stubbed(code, "encrypt")
    with pytest.raises(error, match=code) as failure:
        new_data_key(provider, workspace_id="ws-1")
    stubber.assert_no_pending_responses()
    assert failure.value.__cause__ is None


def test_kms_rejecting_the_ciphertext_is_a_decryption_failure() -> None:
    provider, _ = _stubbed("InvalidCiphertextException", "decrypt")
    wrapped = b"CWK\x01" + bytes([len(ARN)]) + ARN.encode() + b"blob"
    with pytest.raises(DecryptionFailed) as failure:
        encrypt(
            SECRET,
            data_key=DataKey(workspace_id="ws-1", key_id="ab", wrapped=wrapped),
            provider=provider,
            field=FIELD,
            row="r",
        )
    assert failure.value.reason == "data_key_rejected"
