"""The local key file: the key-encryption keys of `LocalKeyProvider`, oldest first.

Format (JSON, one file, mode 0600 in a 0700 directory):

    {"format": "cloudwarden-local-keys/1",
     "keys": [{"id": "local:<24 hex>", "created_at": "...", "material": "<base64, 32 bytes>"}]}

The last key is the active one (it wraps new data keys); every listed key unwraps. Losing this
file loses every secret it protects: back it up with the database, never beside it in the same
place an attacker could read both.

Writes happen under an exclusive lock on a sibling lock file and replace the file atomically, so
two processes adding keys at once cannot drop one (a dropped key would make every data key it
wrapped unreadable), and a reader never sees half a file.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cloudwarden.crypto.errors import KeyUnavailable

FORMAT = "cloudwarden-local-keys/1"
KEY_BYTES = 32  # AES-256
FILE_MODE = 0o600
DIR_MODE = 0o700
_KEY_ID_LABEL = b"cloudwarden local key id v1"


class LocalKey:
    """One key-encryption key; its repr shows the id only."""

    __slots__ = ("created_at", "key_id", "material")

    def __init__(self, material: bytes, *, created_at: str) -> None:
        if len(material) != KEY_BYTES:
            raise ValueError("a local key is 32 bytes")
        self.material = material
        self.created_at = created_at
        self.key_id = derive_key_id(material)

    def __repr__(self) -> str:
        return f"LocalKey(key_id={self.key_id!r}, created_at={self.created_at!r})"


def derive_key_id(material: bytes) -> str:
    """A stable id from the key itself (HMAC, so it reveals nothing about the key).

    The same file on two hosts gives the same ids, and an edited key no longer matches its id.
    """
    return "local:" + hmac.new(material, _KEY_ID_LABEL, hashlib.sha256).hexdigest()[:24]


def new_key() -> LocalKey:
    return LocalKey(os.urandom(KEY_BYTES), created_at=datetime.now(UTC).isoformat(timespec="seconds"))


@dataclass(frozen=True)
class Snapshot:
    """The keys as read, and the file's identity then (to notice a replacement by another process)."""

    keys: tuple[LocalKey, ...]
    signature: tuple[int, int, int]


def file_signature(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def read(path: Path) -> Snapshot:
    """The keys in `path`; refuses a file or directory others could read or replace."""
    _check_private(path)
    try:
        with path.open("rb") as handle:
            signature = os.fstat(handle.fileno())
            raw = handle.read()
    except FileNotFoundError:
        raise KeyUnavailable(
            f"local key file {path} is missing",
            hint="restore it from your backup: without it no stored secret can be decrypted",
        ) from None
    except OSError as exc:
        raise KeyUnavailable(f"cannot read local key file {path}: {exc.strerror}") from None
    keys = _parse(raw, path)
    return Snapshot(keys, (signature.st_ino, signature.st_mtime_ns, signature.st_size))


def create_if_missing(path: Path) -> None:
    """Create the directory (0700) and a file (0600) holding one new key, unless it exists."""
    directory = path.parent
    if not directory.exists():
        directory.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        # mkdir's mode is filtered by the umask; make it exactly 0700 either way.
        os.chmod(directory, DIR_MODE)
    with _locked(path):
        if not path.exists():
            _write(path, (new_key(),))


def update(
    path: Path, change: Callable[[tuple[LocalKey, ...]], tuple[LocalKey, ...]]
) -> tuple[LocalKey, ...]:
    """Read, apply `change(keys) -> keys` and write back, all under the lock."""
    with _locked(path):
        keys = read(path).keys
        updated = change(keys)
        _write(path, updated)
        return updated


def _parse(raw: bytes, path: Path) -> tuple[LocalKey, ...]:
    problem = f"local key file {path} is not a valid CloudWarden key file"
    try:
        document = json.loads(raw)
        if document.get("format") != FORMAT:
            raise KeyUnavailable(f"{problem} (format {document.get('format')!r}, expected {FORMAT!r})")
        keys = []
        for entry in document["keys"]:
            key = LocalKey(base64.b64decode(entry["material"], validate=True), created_at=entry["created_at"])
            if key.key_id != entry["id"]:
                raise KeyUnavailable(f"{problem}: key {entry['id']} does not match its material")
            keys.append(key)
    except KeyUnavailable:
        raise
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
        # ValueError covers bad JSON and a wrong key length; no detail, it could quote the key.
        raise KeyUnavailable(problem) from None
    if not keys:
        raise KeyUnavailable(f"{problem}: it holds no key")
    return tuple(keys)


def _serialize(keys: tuple[LocalKey, ...]) -> bytes:
    document = {
        "format": FORMAT,
        "keys": [
            {"id": k.key_id, "created_at": k.created_at, "material": base64.b64encode(k.material).decode()}
            for k in keys
        ],
    }
    return (json.dumps(document, indent=2) + "\n").encode()


def _write(path: Path, keys: tuple[LocalKey, ...]) -> None:
    # mkstemp creates the file 0600 and exclusively; replace() swaps it in atomically.
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(_serialize(keys))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # the rename itself survives a crash
    finally:
        os.close(dir_fd)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    lock_path = path.with_name(f".{path.name}.lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _check_private(path: Path) -> None:
    """Refuse keys others can read, or a directory others can write (they could swap the file)."""
    try:
        file_mode = stat.S_IMODE(path.stat().st_mode)
        dir_mode = stat.S_IMODE(path.parent.stat().st_mode)
    except FileNotFoundError:
        return  # reported by the read itself
    if file_mode & 0o077:
        raise KeyUnavailable(
            f"local key file {path} is accessible to other users (mode {file_mode:04o})",
            hint=f"chmod 600 {path}",
        )
    if dir_mode & 0o022:
        raise KeyUnavailable(
            f"the directory of local key file {path} is writable by other users (mode {dir_mode:04o})",
            hint=f"chmod 700 {path.parent}",
        )
