"""TOTP two-factor authentication (RFC 6238) and one-time backup codes.

Enrolment gives a random secret and the otpauth:// URI an authenticator app scans; the service
layer stores the secret (encrypted, with the crypto package) and turns 2FA on only after the
user has typed one valid code. Verification accepts the current 30-second step and one either
side (clock drift), never a step at or before the last one used: a code seen over a shoulder or
replayed from a log cannot be used again (RFC 6238 §5.2).

Backup codes are hashed with HMAC-SHA256 under a server pepper, bound to the user, not with
Argon2: each code is random with ~49.5 bits of entropy, so there is no dictionary for a slow hash
to slow down, while a sign-in with a backup code must try every one of the user's ten codes (ten
Argon2 hashes would be over a second of server work per attempt, an easy denial of service). The
pepper lives outside the database, so a database dump alone cannot be brute-forced at all, and
the user id in the HMAC means one guess never tests the codes of every user at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import pyotp

from cloudwarden.auth.errors import require_aware
from cloudwarden.auth.keys import ServerKey

ISSUER = "CloudWarden"
DIGITS = 6
INTERVAL_SECONDS = 30
WINDOW_STEPS = 1  # one step either side: up to ~30 s of clock drift between phone and server
SECRET_BYTES = 20  # 160 bits, the HMAC-SHA1 key length RFC 4226 §4 recommends
BACKUP_CODE_COUNT = 10
BACKUP_CODE_LENGTH = 10
# Lowercase letters and digits without look-alikes (0/o, 1/i/l): 31 symbols, easy to type from paper.
BACKUP_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_CODE = re.compile(rf"[0-9]{{{DIGITS}}}")
_HASH_PREFIX = "hmac-sha256$"


@dataclass(frozen=True)
class Enrolment:
    secret: str  # base32, to store (encrypted) once the user confirms with a code
    provisioning_uri: str  # otpauth://totp/CloudWarden:<label>?secret=...&issuer=CloudWarden


@dataclass(frozen=True)
class BackupCodes:
    codes: tuple[str, ...]  # show to the user once, never store
    hashes: tuple[str, ...]  # store these


@dataclass(frozen=True)
class BackupCodeUse:
    index: int  # which stored hash matched
    remaining: tuple[str, ...]  # the stored hashes without it: store these instead


def new_enrolment(*, account_label: str) -> Enrolment:
    """A fresh secret and its provisioning URI, labelled "CloudWarden:<account_label>"."""
    secret = base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")  # 32 chars, no padding
    return enrolment_of(secret, account_label=account_label)


def enrolment_of(secret: str, *, account_label: str) -> Enrolment:
    """An existing secret with its provisioning URI (an enrolment shown again until it is confirmed)."""
    label = account_label.strip()
    if not label or ":" in label:
        raise ValueError("the account label must be non-empty and contain no ':' (the issuer separator)")
    uri = _totp(secret).provisioning_uri(name=label, issuer_name=ISSUER)
    return Enrolment(secret=secret, provisioning_uri=uri)


def current_step(at: datetime | None = None) -> int:
    """The TOTP time step (30-second counter since the epoch) at `at`."""
    moment = require_aware(at, "at") if at is not None else datetime.now(UTC)
    return int(moment.timestamp()) // INTERVAL_SECONDS


def verify_totp(
    secret: str, code: str, *, last_used_step: int | None, at: datetime | None = None
) -> int | None:
    """The time step `code` belongs to, or None when it is wrong, stale or already used.

    Store the returned step as the user's new `last_used_step`: a later call refuses that step and
    any earlier one. Spaces in the code are ignored ("123 456" as apps display it).
    """
    candidate = code.replace(" ", "")
    if not _CODE.fullmatch(candidate):
        return None
    totp = _totp(secret)
    now_step = current_step(at)
    matched = None
    # Every step in the window is generated and compared, matched or not, in constant time.
    for step in range(now_step - WINDOW_STEPS, now_step + WINDOW_STEPS + 1):
        expected = totp.generate_otp(step)
        if hmac.compare_digest(expected, candidate) and (last_used_step is None or step > last_used_step):
            matched = step if matched is None else matched
    return matched


def generate_backup_codes(*, pepper: ServerKey, subject: str, count: int = BACKUP_CODE_COUNT) -> BackupCodes:
    """`count` new codes like "k7wq2-mhd9x" and their hashes; a new set replaces the old one."""
    if count < 1:
        raise ValueError("count must be at least 1")
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(BACKUP_CODE_ALPHABET) for _ in range(BACKUP_CODE_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return BackupCodes(
        codes=tuple(codes),
        hashes=tuple(hash_backup_code(code, pepper=pepper, subject=subject) for code in codes),
    )


def hash_backup_code(code: str, *, pepper: ServerKey, subject: str) -> str:
    """HMAC-SHA256(pepper, subject, normalised code), hex, with an algorithm prefix for later change."""
    message = b"cloudwarden-backup-code\x00" + subject.encode() + b"\x00" + _normalize_code(code).encode()
    return _HASH_PREFIX + hmac.new(pepper.value, message, hashlib.sha256).hexdigest()


def use_backup_code(
    code: str, stored_hashes: Sequence[str], *, pepper: ServerKey, subject: str
) -> BackupCodeUse | None:
    """Which stored code `code` is, with the remaining hashes to store; None when it is none of them.

    Verify and consume are one step: the caller stores `remaining` in the same transaction as the
    sign-in (under a row lock, so two requests cannot both spend the same code).
    """
    presented = hash_backup_code(code, pepper=pepper, subject=subject)
    matched = None
    for index, stored in enumerate(stored_hashes):  # no early exit: time does not say which matched
        if hmac.compare_digest(presented.encode(), stored.encode()) and matched is None:
            matched = index
    if matched is None:
        return None
    remaining = tuple(h for i, h in enumerate(stored_hashes) if i != matched)
    return BackupCodeUse(index=matched, remaining=remaining)


def _normalize_code(code: str) -> str:
    # What people do when typing from paper: capitals, spaces, a missing or extra dash.
    return "".join(ch for ch in code.lower() if ch not in " -")


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL_SECONDS, issuer=ISSUER)
