"""Field encryption: round trips, and every way a token can be moved, altered or misread fails."""

from __future__ import annotations

import base64
import pickle

import pytest

from cloudwarden.crypto import envelope
from cloudwarden.crypto.envelope import DataKey, decrypt, decrypt_text, encrypt, new_data_key
from cloudwarden.crypto.errors import DecryptionFailed
from cloudwarden.crypto.providers import LocalKeyProvider

SECRET = "JBSWY3DPEHPK3PXP-totp-secret-of-alice"
FIELD = "users.totp_secret"


def _enc(
    value: bytes | str, key: DataKey, provider: LocalKeyProvider, *, field: str = FIELD, row: str = "user-1"
) -> str:
    return encrypt(value, data_key=key, provider=provider, field=field, row=row)


def _dec(
    token: str, key: DataKey, provider: LocalKeyProvider, *, field: str = FIELD, row: str = "user-1"
) -> bytes:
    return decrypt(token, data_key=key, provider=provider, field=field, row=row)


def _stored(key: DataKey) -> DataKey:
    """The data key as a fresh process would load it from its row: wrapped, nothing cached."""
    restored: DataKey = pickle.loads(pickle.dumps(key))
    return restored


def test_round_trip_of_text_and_bytes_through_a_stored_data_key(local: LocalKeyProvider) -> None:
    key = new_data_key(local, workspace_id="ws-1")
    text_token = _enc(SECRET, key, local)
    binary = bytes(range(256))
    binary_token = _enc(binary, key, local, field="channels.webhook_secret", row="ch-9")

    reloaded = _stored(key)
    assert not reloaded.unwrapped
    assert decrypt_text(text_token, data_key=reloaded, provider=local, field=FIELD, row="user-1") == SECRET
    assert _dec(binary_token, reloaded, local, field="channels.webhook_secret", row="ch-9") == binary
    assert _dec(_enc(b"", key, local), reloaded, local) == b""


def test_token_is_versioned_names_its_data_key_and_hides_the_value(local: LocalKeyProvider) -> None:
    key = new_data_key(local, workspace_id="ws-1")
    token = _enc(SECRET, key, local)
    version, key_id, nonce, sealed = token.split(".")
    assert (version, key_id) == ("cw1", key.key_id)
    assert len(base64.urlsafe_b64decode(nonce + "==")) == 12  # 96-bit nonce
    # ciphertext is the plaintext's length plus the 16-byte GCM tag: nothing else is stored.
    assert len(base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4))) == len(SECRET) + 16
    assert SECRET not in token and "alice" not in token
    assert envelope.token_key_id(token) == key.key_id


def test_nonces_never_repeat_and_equal_values_give_different_tokens(local: LocalKeyProvider) -> None:
    key = new_data_key(local, workspace_id="ws-1")
    tokens = [_enc(SECRET, key, local) for _ in range(5000)]
    nonces = {t.split(".")[2] for t in tokens}
    assert len(nonces) == len(tokens)
    assert len(set(tokens)) == len(tokens)


@pytest.mark.parametrize("part", [2, 3])  # the nonce, the ciphertext (and its tag)
def test_a_single_flipped_bit_anywhere_fails(local: LocalKeyProvider, part: int) -> None:
    key = new_data_key(local, workspace_id="ws-1")
    parts = _enc(SECRET, key, local).split(".")
    raw = bytearray(base64.urlsafe_b64decode(parts[part] + "=" * (-len(parts[part]) % 4)))
    for index in (0, len(raw) // 2, len(raw) - 1):
        altered = bytearray(raw)
        altered[index] ^= 0x01
        parts_altered = list(parts)
        parts_altered[part] = base64.urlsafe_b64encode(bytes(altered)).rstrip(b"=").decode()
        with pytest.raises(DecryptionFailed) as failure:
            _dec(".".join(parts_altered), key, local)
        assert failure.value.reason == "authentication_failed"


def test_a_truncated_ciphertext_fails(local: LocalKeyProvider) -> None:
    key = new_data_key(local, workspace_id="ws-1")
    token = _enc(SECRET, key, local)
    with pytest.raises(DecryptionFailed) as failure:
        _dec(token[:-4], key, local)
    assert failure.value.reason in {"authentication_failed", "malformed"}


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not a token",
        "cw1.a.b",
        "cw2.KEY.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA",
        "cw1.KEY.!!!!.AAAA",
        "cw1.KEY.AAAA.AAAAAAAAAAAAAAAAAAAAAA",
        "cw1.KEY.AAAAAAAAAAAAAAAA.AAAA",
        "cw1.KEY.AAAAAAAAAAAAAAAA.AA.AA",
    ],
)
def test_malformed_tokens_are_refused_as_such(local: LocalKeyProvider, token: str) -> None:
    key = new_data_key(local, workspace_id="ws-1")
    with pytest.raises(DecryptionFailed) as failure:
        _dec(token.replace("KEY", key.key_id), key, local)
    assert failure.value.reason == "malformed"


@pytest.mark.parametrize(
    ("field", "row"),
    [("users.recovery_email_secret", "user-1"), (FIELD, "user-2")],
    ids=["another field", "another row"],
)
def test_a_token_moved_to_another_field_or_row_fails(local: LocalKeyProvider, field: str, row: str) -> None:
    # Alice's TOTP secret copied into the attacker's own row would let them sign in as her.
    key = new_data_key(local, workspace_id="ws-1")
    token = _enc(SECRET, key, local)
    with pytest.raises(DecryptionFailed) as failure:
        _dec(token, key, local, field=field, row=row)
    assert failure.value.reason == "authentication_failed"
    assert (failure.value.field, failure.value.row, failure.value.workspace_id) == (field, row, "ws-1")


def test_extra_associated_data_is_bound_too(local: LocalKeyProvider) -> None:
    key = new_data_key(local, workspace_id="ws-1")
    token = encrypt(SECRET, data_key=key, provider=local, field=FIELD, row="user-1", aad={"purpose": "login"})
    assert (
        decrypt_text(token, data_key=key, provider=local, field=FIELD, row="user-1", aad={"purpose": "login"})
        == SECRET
    )
    for other in ({"purpose": "reset"}, {}, None):
        with pytest.raises(DecryptionFailed):
            decrypt(token, data_key=key, provider=local, field=FIELD, row="user-1", aad=other)


def test_a_token_moved_to_another_workspace_fails(local: LocalKeyProvider) -> None:
    key_a = new_data_key(local, workspace_id="ws-a")
    key_b = new_data_key(local, workspace_id="ws-b")
    token = _enc(SECRET, key_a, local)
    with pytest.raises(DecryptionFailed) as failure:
        _dec(token, key_b, local)
    assert failure.value.reason == "wrong_key" and failure.value.workspace_id == "ws-b"


def test_the_workspace_is_bound_even_when_the_key_bytes_and_id_match(local: LocalKeyProvider) -> None:
    # Not just the key-id check: with the very same key material and id under another workspace
    # (say a restore that reused a key), the associated data still refuses the token.
    key_a = new_data_key(local, workspace_id="ws-a")
    token = _enc(SECRET, key_a, local)
    impostor = DataKey(workspace_id="ws-b", key_id=key_a.key_id, wrapped=key_a.wrapped)
    impostor._plaintext = key_a._plaintext
    with pytest.raises(DecryptionFailed) as failure:
        _dec(token, impostor, local)
    assert failure.value.reason == "authentication_failed"


def test_a_wrapped_data_key_copied_to_another_workspace_does_not_unwrap(local: LocalKeyProvider) -> None:
    key_a = new_data_key(local, workspace_id="ws-a")
    token = _enc(SECRET, key_a, local)
    stolen = DataKey(workspace_id="ws-b", key_id=key_a.key_id, wrapped=key_a.wrapped)
    with pytest.raises(DecryptionFailed) as failure:
        _dec(token, stolen, local)
    assert failure.value.reason == "data_key_rejected" and failure.value.field is None
    # Under another data-key record of the same workspace it is refused as well.
    relabelled = DataKey(workspace_id="ws-a", key_id="0123456789abcdef", wrapped=key_a.wrapped)
    with pytest.raises(DecryptionFailed) as failure:
        encrypt("new value", data_key=relabelled, provider=local, field=FIELD, row="user-1")
    assert failure.value.reason == "data_key_rejected"


def test_a_token_of_another_data_key_fails_even_under_a_forged_key_id(local: LocalKeyProvider) -> None:
    key_1 = new_data_key(local, workspace_id="ws-1")
    key_2 = new_data_key(local, workspace_id="ws-1")
    token = _enc(SECRET, key_1, local)
    with pytest.raises(DecryptionFailed) as failure:
        _dec(token, key_2, local)
    assert failure.value.reason == "wrong_key"
    forged = token.replace(key_1.key_id, key_2.key_id, 1)
    with pytest.raises(DecryptionFailed) as failure:
        _dec(forged, key_2, local)
    assert failure.value.reason == "authentication_failed"


def test_a_tampered_wrapped_data_key_fails(local: LocalKeyProvider) -> None:
    key = new_data_key(local, workspace_id="ws-1")
    token = _enc(SECRET, key, local)
    wrapped = bytearray(key.wrapped)
    wrapped[-1] ^= 0x80
    with pytest.raises(DecryptionFailed) as failure:
        _dec(token, DataKey(workspace_id="ws-1", key_id=key.key_id, wrapped=bytes(wrapped)), local)
    assert failure.value.reason == "data_key_rejected"


def test_decryption_failed_names_the_place_but_never_the_secret_or_key(local: LocalKeyProvider) -> None:
    key = new_data_key(local, workspace_id="ws-1")
    token = _enc(SECRET, key, local)
    with pytest.raises(DecryptionFailed) as failure:
        _dec(token, key, local, row="user-2")
    error = failure.value
    text = " ".join((str(error), repr(error), str(error.as_json()), error.hint or ""))
    assert "users.totp_secret" in text and "ws-1" in text and "user-2" in text
    assert error.as_json()["error"]["code"] == "decryption_failed"
    assert error.__cause__ is None and error.__suppress_context__
    _assert_no_secret(text, key, local)
    assert token.split(".")[3] not in text


def test_no_plaintext_or_key_bytes_in_any_repr_str_or_pickle(local: LocalKeyProvider) -> None:
    key = new_data_key(local, workspace_id="ws-1")
    _enc(SECRET, key, local)
    assert key.unwrapped
    shown = " ".join(
        (repr(key), str(key), repr(local), str(local), repr(local._keys()), repr(local._snapshot))
    )
    assert "ws-1" in shown and key.key_id in shown
    _assert_no_secret(shown, key, local)
    pickled = pickle.dumps(key)
    assert key._plaintext is not None and key._plaintext not in pickled
    assert not pickle.loads(pickled).unwrapped


def test_data_key_ids_cannot_break_the_token_format() -> None:
    with pytest.raises(ValueError, match="separator"):
        DataKey(workspace_id="ws-1", key_id="a.b", wrapped=b"x")
    with pytest.raises(ValueError, match="workspace_id"):
        DataKey(workspace_id="", key_id="ab", wrapped=b"x")


def test_field_and_row_are_required(local: LocalKeyProvider) -> None:
    key = new_data_key(local, workspace_id="ws-1")
    with pytest.raises(ValueError, match="row"):
        encrypt(SECRET, data_key=key, provider=local, field=FIELD, row="")


def _assert_no_secret(text: str, key: DataKey, local: LocalKeyProvider) -> None:
    assert SECRET not in text
    materials = [key._plaintext] + [k.material for k in local._keys()]
    for material in materials:
        assert material is not None
        for encoded in (
            material.hex(),
            base64.b64encode(material).decode(),
            base64.urlsafe_b64encode(material).decode().rstrip("="),
            repr(material)[2:-1],
        ):
            assert encoded not in text
