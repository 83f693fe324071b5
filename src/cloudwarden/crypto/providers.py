"""Key providers: what wraps (encrypts) the per-workspace data keys.

A provider holds one or more key-encryption keys. The newest wraps new data keys (`key_id`);
every key it knows unwraps, which is what rotation needs: add a key, re-wrap each data key with
it (`envelope.rewrap`), then retire the old one.

`wrap` binds a context (the workspace and data-key record) to the wrapped bytes: unwrapping
with any other context fails, so a wrapped key copied to another workspace's row is useless.

Every provider here frames its output as `CWK\\x01 | len(key id) | key id | payload`, so a
wrapped key names the key that wrapped it (`wrapping_key_id`) without asking the provider: a
rotation can tell what still needs re-wrapping, and unwrapping knows which key to use.

- `LocalKeyProvider`: keys in a local file (`keyfile.py`), AES-256-GCM wrapping; the embedded
  default.
- `KmsKeyProvider`: AWS KMS Encrypt/Decrypt with the context as EncryptionContext; production.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from cloudwarden.crypto import keyfile
from cloudwarden.crypto.errors import InvalidWrappedKey, KeyProviderUnreachable, KeyUnavailable

log = logging.getLogger(__name__)

WRAP_FORMAT = b"CWK\x01"
NONCE_BYTES = 12
TAG_BYTES = 16
DEFAULT_KEY_FILE = Path("keys") / "local-keys.json"


class KeyProvider(Protocol):
    """Wraps and unwraps data keys; implementations never log or show key material."""

    @property
    def key_id(self) -> str:
        """The key that wraps new data keys (stable; safe to store and show)."""
        ...

    def wrap(self, data_key: bytes, *, context: Mapping[str, str]) -> bytes:
        """`data_key` encrypted under `key_id`, bound to `context`, framed (see module doc)."""
        ...

    def unwrap(self, wrapped: bytes, *, context: Mapping[str, str]) -> bytes:
        """The data key; `InvalidWrappedKey` if `wrapped` or `context` does not authenticate,
        `KeyUnavailable` if the key that wrapped it is not usable here."""
        ...


def frame(key_id: str, payload: bytes) -> bytes:
    encoded = key_id.encode()
    if not 0 < len(encoded) < 256:
        raise ValueError("a key id is 1 to 255 bytes")
    return WRAP_FORMAT + bytes([len(encoded)]) + encoded + payload


def unframe(wrapped: bytes) -> tuple[str, bytes]:
    """(key id, provider payload) of a wrapped key."""
    header = len(WRAP_FORMAT)
    if len(wrapped) <= header or not wrapped.startswith(WRAP_FORMAT):
        raise InvalidWrappedKey("not a wrapped key of a known format")
    end = header + 1 + wrapped[header]
    if len(wrapped) <= end:
        raise InvalidWrappedKey("wrapped key truncated")
    try:
        return wrapped[header + 1 : end].decode(), wrapped[end:]
    except UnicodeDecodeError:
        raise InvalidWrappedKey("wrapped key has an invalid key id") from None


def wrapping_key_id(wrapped: bytes) -> str:
    """The id of the key that wrapped `wrapped` (read from its frame; no key needed)."""
    return unframe(wrapped)[0]


def canonical(value: Mapping[str, Any]) -> bytes:
    """One unambiguous byte string per mapping, for associated data."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def default_local_key_path(data_dir: Path) -> Path:
    """Where the embedded default keeps its key file under CLOUDWARDEN_DATA_DIR."""
    return data_dir.expanduser() / DEFAULT_KEY_FILE


class LocalKeyProvider:
    """Key-encryption keys in a local file; AES-256-GCM wrapping with the context as associated data.

    Nothing happens on construction; the first use creates the file (unless `create=False`) or
    reads it. Each use checks whether the file was replaced (another process added or removed a
    key) and reads it again, so a server and a worker follow a rotation without restarting. A
    file that disappears after it was read is an error, never silently recreated: a new key
    would leave every existing data key unreadable.
    """

    def __init__(self, path: Path, *, create: bool = True) -> None:
        self.path = path.expanduser()
        self._create = create
        self._snapshot: keyfile.Snapshot | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"LocalKeyProvider(path={str(self.path)!r})"

    @property
    def key_id(self) -> str:
        return self._keys()[-1].key_id

    @property
    def key_ids(self) -> tuple[str, ...]:
        """Every key this provider can unwrap with, oldest first; the last one wraps."""
        return tuple(k.key_id for k in self._keys())

    def add_key(self) -> str:
        """Generate a key, make it the one that wraps, and return its id (rotation's first step)."""
        self._keys()  # creates the file if it is missing and allowed
        added = keyfile.new_key()
        keyfile.update(self.path, lambda keys: (*keys, added))
        log.info("local key %s added to %s; it now wraps new data keys", added.key_id, self.path)
        return added.key_id

    def remove_key(self, key_id: str) -> None:
        """Forget a key. Only once no data key is wrapped by it (`envelope.needs_rewrap`): any that
        still is can never be decrypted again. The key that wraps cannot be removed."""

        def without(keys: tuple[keyfile.LocalKey, ...]) -> tuple[keyfile.LocalKey, ...]:
            if key_id not in {k.key_id for k in keys}:
                raise KeyUnavailable(f"local key {key_id} is not in {self.path}")
            if keys[-1].key_id == key_id:
                raise KeyUnavailable(
                    f"local key {key_id} is the one that wraps new data keys",
                    hint="add a key and re-wrap the data keys with it before removing this one",
                )
            return tuple(k for k in keys if k.key_id != key_id)

        keyfile.update(self.path, without)
        log.info("local key %s removed from %s", key_id, self.path)

    def wrap(self, data_key: bytes, *, context: Mapping[str, str]) -> bytes:
        if not data_key:
            raise ValueError("nothing to wrap")
        key = self._keys()[-1]
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(key.material).encrypt(nonce, data_key, self._aad(key.key_id, context))
        return frame(key.key_id, nonce + sealed)

    def unwrap(self, wrapped: bytes, *, context: Mapping[str, str]) -> bytes:
        key_id, payload = unframe(wrapped)
        key = next((k for k in self._keys() if k.key_id == key_id), None)
        if key is None:
            raise KeyUnavailable(
                f"local key {key_id} is not in {self.path}: it was removed or this is another key file",
                hint="restore the key file from a backup that still holds this key",
            )
        if len(payload) < NONCE_BYTES + TAG_BYTES:
            raise InvalidWrappedKey("wrapped key truncated")
        nonce, sealed = payload[:NONCE_BYTES], payload[NONCE_BYTES:]
        try:
            return AESGCM(key.material).decrypt(nonce, sealed, self._aad(key_id, context))
        except InvalidTag:
            raise InvalidWrappedKey("wrapped key or context does not authenticate") from None

    @staticmethod
    def _aad(key_id: str, context: Mapping[str, str]) -> bytes:
        # The key id is bound too, so a payload re-framed under another id fails as well.
        return canonical({"format": "local-wrap/1", "key": key_id, "context": dict(context)})

    def _keys(self) -> tuple[keyfile.LocalKey, ...]:
        with self._lock:
            signature = keyfile.file_signature(self.path)
            if signature is None and self._snapshot is None and self._create:
                keyfile.create_if_missing(self.path)
                signature = keyfile.file_signature(self.path)
            if self._snapshot is None or signature != self._snapshot.signature:
                self._snapshot = keyfile.read(self.path)
            return self._snapshot.keys


# KMS key ARNs only: an alias can be re-pointed to another key, and then the key id recorded with
# a data key would no longer say which key wrapped it.
_KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")
_REJECTED_CODES = frozenset({"InvalidCiphertextException", "IncorrectKeyException"})
_UNUSABLE_KEY_CODES = frozenset(
    {
        "AccessDeniedException",
        "DisabledException",
        "NotFoundException",
        "KMSInvalidStateException",
        "KeyUnavailableException",
        "InvalidKeyUsageException",
    }
)


class KmsKeyProvider:
    """AWS KMS wraps the data keys: Encrypt/Decrypt with the context as EncryptionContext.

    KMS enforces the context (and records it in CloudTrail, so a key policy can condition on
    `kms:EncryptionContext:workspace`). `previous_key_arns` are keys that only unwrap: moving to
    a new KMS key is `envelope.rewrap` from a provider that knows both. KMS's own automatic
    rotation keeps the key ARN and needs no re-wrapping at all.

    The client is passed in (no client at import time); it needs kms:Encrypt and kms:Decrypt.
    """

    def __init__(self, client: Any, *, key_arn: str, previous_key_arns: Sequence[str] = ()) -> None:
        for arn in (key_arn, *previous_key_arns):
            if not _KMS_KEY_ARN.match(arn):
                raise KeyUnavailable(
                    f"KMS key {arn!r} is not a key ARN",
                    hint="use the key's full ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), not an alias",
                )
        self._client = client
        self._key_arn = key_arn
        self._known = frozenset((key_arn, *previous_key_arns))
        _hide_kms_plaintext_from_botocore_logs()

    def __repr__(self) -> str:
        return f"KmsKeyProvider(key_arn={self._key_arn!r}, keys={len(self._known)})"

    @property
    def key_id(self) -> str:
        return self._key_arn

    def wrap(self, data_key: bytes, *, context: Mapping[str, str]) -> bytes:
        if not data_key:
            raise ValueError("nothing to wrap")
        response = self._call("Encrypt", self._key_arn, Plaintext=data_key, EncryptionContext=dict(context))
        return frame(self._key_arn, response["CiphertextBlob"])

    def unwrap(self, wrapped: bytes, *, context: Mapping[str, str]) -> bytes:
        key_arn, blob = unframe(wrapped)
        if key_arn not in self._known:
            raise KeyUnavailable(
                f"KMS key {key_arn} wrapped this data key but is not configured",
                hint="list it among the previous keys until every data key is re-wrapped",
            )
        # KeyId makes KMS refuse a blob made under any other key, even one we may use.
        response = self._call("Decrypt", key_arn, CiphertextBlob=blob, EncryptionContext=dict(context))
        plaintext: bytes = response["Plaintext"]
        return plaintext

    def _call(self, operation: str, key_arn: str, **params: Any) -> dict[str, Any]:
        method = self._client.encrypt if operation == "Encrypt" else self._client.decrypt
        try:
            response: dict[str, Any] = method(KeyId=key_arn, **params)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "Unknown")
            if operation == "Decrypt" and code in _REJECTED_CODES:
                raise InvalidWrappedKey(f"KMS refused the wrapped key ({code})") from None
            if code in _UNUSABLE_KEY_CODES:
                raise KeyUnavailable(
                    f"KMS key {key_arn} cannot be used for kms:{operation} ({code})",
                    hint="check that the key is enabled and that CloudWarden's principal may use it",
                ) from None
            raise KeyProviderUnreachable(f"KMS kms:{operation} failed ({code}); try again") from None
        except BotoCoreError as exc:
            raise KeyProviderUnreachable(f"KMS could not be reached ({type(exc).__name__})") from None
        return response


# botocore logs request bodies (Encrypt's Plaintext) and response bodies (Decrypt's Plaintext)
# at DEBUG, before we see them, so the key cannot be registered for redaction in advance.
_PLAINTEXT_FIELD = re.compile(r"""(?P<pre>["']Plaintext["']\s*:\s*b?["'])[A-Za-z0-9+/=]*""")
_BOTOCORE_BODY_LOGGERS = ("botocore.endpoint", "botocore.parsers")


class _KmsPlaintextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if "Plaintext" in str(record.msg) or any("Plaintext" in str(a) for a in _args(record)):
            message = record.getMessage()
            cleaned = _PLAINTEXT_FIELD.sub(lambda m: m["pre"] + "[REDACTED]", message)
            if cleaned != message:
                record.msg, record.args = cleaned, None
        return True


def _args(record: logging.LogRecord) -> tuple[Any, ...]:
    if isinstance(record.args, tuple):
        return record.args
    return () if record.args is None else (record.args,)


def _hide_kms_plaintext_from_botocore_logs() -> None:
    # A logger's own filters see every record it emits, whatever handlers are configured later.
    for name in _BOTOCORE_BODY_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _KmsPlaintextFilter) for f in logger.filters):
            logger.addFilter(_KmsPlaintextFilter())
