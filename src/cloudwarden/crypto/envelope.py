"""Envelope encryption of secret fields: AES-256-GCM under per-workspace data keys.

Each workspace has a data key (`DataKey`): 32 random bytes, stored only wrapped by a key
provider, unwrapped on first use and kept in memory only. A secret field is encrypted into a
self-describing token:

    cw1.<data key id>.<nonce>.<ciphertext and tag>      (nonce and ciphertext base64url)

with a fresh random 96-bit nonce each time (at most about 2^32 encryptions per data key keep
the chance of a repeated nonce negligible; a workspace stores a few secrets). The associated
data binds the token to the workspace, the data key, the field name and the row, plus any
`aad` the caller adds, so a token copied to another row, field or workspace does not decrypt.

Rotation re-wraps data keys (`rewrap`): the data key bytes and id stay the same, so no field
token is ever rewritten, and until every data key is re-wrapped the old key still unwraps.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from cloudwarden.crypto.errors import DecryptionFailed, DecryptionFailedReason, InvalidWrappedKey
from cloudwarden.crypto.providers import KeyProvider, canonical, wrapping_key_id

TOKEN_VERSION = "cw1"  # noqa: S105 - a format tag, not a secret
DATA_KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # 96 bits, GCM's native nonce size
TAG_BYTES = 16
WRAP_PURPOSE = "cloudwarden-field-data-key"


class DataKey:
    """A workspace's data key: what is stored (wrapped), and the plain key once unwrapped.

    Store `workspace_id`, `key_id`, `wrapped` (and `wrapping_key_id`, to find what a rotation
    must still re-wrap). The plain key never leaves memory: it is not in the repr, and pickling
    (a task queue, a cache) carries the wrapped form only.
    """

    __slots__ = ("_plaintext", "key_id", "workspace_id", "wrapped")

    def __init__(self, *, workspace_id: str, key_id: str, wrapped: bytes) -> None:
        _require_text(workspace_id=workspace_id, key_id=key_id)
        if "." in key_id:
            raise ValueError("a data key id cannot contain '.' (it is a token separator)")
        self.workspace_id = workspace_id
        self.key_id = key_id
        self.wrapped = wrapped
        self._plaintext: bytes | None = None

    @property
    def wrapping_key_id(self) -> str:
        """The provider key that wrapped this data key (read from the wrapped bytes)."""
        try:
            return wrapping_key_id(self.wrapped)
        except InvalidWrappedKey:
            raise DecryptionFailed("data_key_rejected", workspace_id=self.workspace_id) from None

    @property
    def unwrapped(self) -> bool:
        return self._plaintext is not None

    def __repr__(self) -> str:
        state = "unwrapped in memory" if self._plaintext is not None else "wrapped"
        return (
            f"DataKey(workspace_id={self.workspace_id!r}, key_id={self.key_id!r}, "
            f"wrapped=<{len(self.wrapped)} bytes>, {state})"
        )

    def __getstate__(self) -> dict[str, object]:
        return {"workspace_id": self.workspace_id, "key_id": self.key_id, "wrapped": self.wrapped}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.workspace_id = str(state["workspace_id"])
        self.key_id = str(state["key_id"])
        wrapped = state["wrapped"]
        if not isinstance(wrapped, bytes):
            raise TypeError("a pickled DataKey holds its wrapped key as bytes")
        self.wrapped = wrapped
        self._plaintext = None


def wrap_context(*, workspace_id: str, key_id: str) -> dict[str, str]:
    """What a wrapped data key is bound to: KMS EncryptionContext, or the local wrap's AAD."""
    return {"purpose": WRAP_PURPOSE, "workspace": workspace_id, "data_key": key_id}


def new_data_key(provider: KeyProvider, *, workspace_id: str) -> DataKey:
    """A fresh data key for a workspace, wrapped by the provider's current key."""
    plaintext = AESGCM.generate_key(bit_length=DATA_KEY_BYTES * 8)
    key_id = secrets.token_hex(8)
    wrapped = provider.wrap(plaintext, context=wrap_context(workspace_id=workspace_id, key_id=key_id))
    data_key = DataKey(workspace_id=workspace_id, key_id=key_id, wrapped=wrapped)
    data_key._plaintext = plaintext
    return data_key


def encrypt(
    plaintext: bytes | str,
    *,
    data_key: DataKey,
    provider: KeyProvider,
    field: str,
    row: str,
    aad: Mapping[str, str] | None = None,
) -> str:
    """A `cw1.` token of `plaintext` (str is UTF-8), bound to the workspace, field and row.

    `field` names the column (`"channels.slack_token"`), `row` the record that owns the value
    (its primary key): both are required because a secret swapped between two rows of the same
    workspace (one user's TOTP secret into another's) is exactly what they prevent.
    """
    data = plaintext.encode() if isinstance(plaintext, str) else plaintext
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(_plain_key(data_key, provider)).encrypt(
        nonce, data, _field_aad(data_key, field=field, row=row, aad=aad)
    )
    return ".".join((TOKEN_VERSION, data_key.key_id, _b64(nonce), _b64(sealed)))


def decrypt(
    token: str,
    *,
    data_key: DataKey,
    provider: KeyProvider,
    field: str,
    row: str,
    aad: Mapping[str, str] | None = None,
) -> bytes:
    """The plaintext of a token made by `encrypt` with the same data key, field, row and aad.

    Raises `DecryptionFailed` naming the workspace, field and row (never the value) otherwise.
    """

    def failed(reason: DecryptionFailedReason) -> DecryptionFailed:
        return DecryptionFailed(reason, workspace_id=data_key.workspace_id, field=field, row=row)

    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 4 or parts[0] != TOKEN_VERSION:
        raise failed("malformed")
    _, key_id, nonce_text, sealed_text = parts
    if key_id != data_key.key_id:
        raise failed("wrong_key")
    try:
        nonce, sealed = _unb64(nonce_text), _unb64(sealed_text)
    except (ValueError, binascii.Error):
        raise failed("malformed") from None
    if len(nonce) != NONCE_BYTES or len(sealed) < TAG_BYTES:
        raise failed("malformed")
    aead = AESGCM(_plain_key(data_key, provider))
    try:
        return aead.decrypt(nonce, sealed, _field_aad(data_key, field=field, row=row, aad=aad))
    except InvalidTag:
        raise failed("authentication_failed") from None


def decrypt_text(
    token: str,
    *,
    data_key: DataKey,
    provider: KeyProvider,
    field: str,
    row: str,
    aad: Mapping[str, str] | None = None,
) -> str:
    """`decrypt` for a value that was encrypted from a str."""
    plaintext = decrypt(token, data_key=data_key, provider=provider, field=field, row=row, aad=aad)
    return plaintext.decode()


def token_key_id(token: str) -> str | None:
    """The data key id a token names (to pick among a workspace's keys), or None if malformed."""
    parts = token.split(".")
    return parts[1] if len(parts) == 4 and parts[0] == TOKEN_VERSION else None


def needs_rewrap(data_key: DataKey, provider: KeyProvider) -> bool:
    """Whether the data key is wrapped by another key than the provider's current one."""
    return data_key.wrapping_key_id != provider.key_id


def rewrap(
    data_key: DataKey, *, from_provider: KeyProvider, to_provider: KeyProvider | None = None
) -> DataKey:
    """The same data key wrapped by `to_provider`'s current key (`from_provider`'s by default).

    Unwraps with `from_provider` (any key it knows), wraps with the target's newest key. The
    data key's bytes and id do not change, so field tokens stay valid and are never touched.
    Already wrapped by the target key: returned as is, so an interrupted rotation can simply
    run again. Store the result's `wrapped` in place of the old one.
    """
    target = to_provider or from_provider
    if not needs_rewrap(data_key, target):
        return data_key
    plaintext = _plain_key(data_key, from_provider)
    context = wrap_context(workspace_id=data_key.workspace_id, key_id=data_key.key_id)
    rewrapped = DataKey(
        workspace_id=data_key.workspace_id,
        key_id=data_key.key_id,
        wrapped=target.wrap(plaintext, context=context),
    )
    rewrapped._plaintext = plaintext
    return rewrapped


def _plain_key(data_key: DataKey, provider: KeyProvider) -> bytes:
    if data_key._plaintext is None:
        context = wrap_context(workspace_id=data_key.workspace_id, key_id=data_key.key_id)
        try:
            plaintext = provider.unwrap(data_key.wrapped, context=context)
        except InvalidWrappedKey:
            raise DecryptionFailed("data_key_rejected", workspace_id=data_key.workspace_id) from None
        if len(plaintext) != DATA_KEY_BYTES:
            raise DecryptionFailed("data_key_rejected", workspace_id=data_key.workspace_id)
        data_key._plaintext = plaintext
    return data_key._plaintext


def _field_aad(data_key: DataKey, *, field: str, row: str, aad: Mapping[str, str] | None) -> bytes:
    _require_text(field=field, row=row)
    return canonical(
        {
            "version": TOKEN_VERSION,
            "workspace": data_key.workspace_id,
            "data_key": data_key.key_id,
            "field": field,
            "row": row,
            "aad": dict(aad or {}),
        }
    )


def _require_text(**values: str) -> None:
    for name, value in values.items():
        if not isinstance(value, str) or not value:
            raise ValueError(f"{name} must be a non-empty string")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    # Strict alphabet: urlsafe_b64decode alone would ignore stray characters.
    if not text or not set(text) <= _B64URL:
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
