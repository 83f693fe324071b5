"""Personal API tokens for the CLI and automation: `cw_pat_<id>_<secret>`.

- Shown once: `create_api_token` returns the token beside the record to store; the record keeps
  only the secret's SHA-256 (the secret is 256 random bits, so a slow hash adds nothing, see
  refresh.py), and the id, which is public, is the lookup key.
- The `cw_pat_` prefix lets secret scanners (GitHub's, gitleaks) recognise a leaked token, and the
  base62 secret selects with one double-click.
- Scoped: each token grants a set of `<resource>:<read|write>` scopes from `SCOPES`; `write`
  implies `read` of the same resource. Workspace roles still apply on top (the API checks both).
- Expiring (at most a year: a token no one remembers creating should not live forever) and
  revocable.
- Verified in constant time: an unknown id costs the same digest and comparison as a wrong secret,
  and both get the same reason, so a caller cannot tell which ids exist.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from cloudwarden.auth.errors import InvalidToken, MissingScope, require_aware

PREFIX = "cw_pat_"
ID_BYTES = 8  # 16 hex characters: a lookup key, not a secret
SECRET_LENGTH = 43  # base62: 43 * log2(62) ≈ 256 bits
MAX_LIFETIME = timedelta(days=366)
_BASE62 = string.ascii_letters + string.digits
_HEX = frozenset("0123456789abcdef")
# Compared against when no record exists, so an unknown id costs what a known one does.
_DUMMY_HASH = hashlib.sha256(b"cloudwarden: no such api token").hexdigest()

SCOPES = frozenset(
    f"{resource}:{access}"
    for resource in ("accounts", "incidents", "investigations", "actions", "posture", "audit")
    for access in ("read", "write")
)


@dataclass(frozen=True)
class ApiTokenRecord:
    token_id: str
    secret_hash: str
    subject: str  # the user the token acts as
    name: str  # what the user called it ("ci deploy checks")
    scopes: frozenset[str]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class NewApiToken:
    token: str  # show once, never store
    record: ApiTokenRecord  # store this


@dataclass(frozen=True)
class ParsedApiToken:
    token_id: str
    secret: str


def validate_scopes(scopes: Iterable[str]) -> frozenset[str]:
    """The scopes as a set; ValueError naming any unknown one (and listing the known)."""
    chosen = frozenset(scopes)
    if not chosen:
        raise ValueError("a token needs at least one scope")
    unknown = sorted(chosen - SCOPES)
    if unknown:
        raise ValueError(f"unknown scope {', '.join(unknown)}; known: {', '.join(sorted(SCOPES))}")
    return chosen


def create_api_token(
    *, subject: str, name: str, scopes: Iterable[str], now: datetime, lifetime: timedelta
) -> NewApiToken:
    """A new token (to show once) and the record to store."""
    require_aware(now)
    if not subject or not name.strip():
        raise ValueError("a token needs a subject and a name")
    if not timedelta(0) < lifetime <= MAX_LIFETIME:
        raise ValueError(f"a token expires within {MAX_LIFETIME.days} days")
    token_id = secrets.token_hex(ID_BYTES)
    secret = "".join(secrets.choice(_BASE62) for _ in range(SECRET_LENGTH))
    record = ApiTokenRecord(
        token_id=token_id,
        secret_hash=_digest(secret),
        subject=subject,
        name=name.strip(),
        scopes=validate_scopes(scopes),
        created_at=now,
        expires_at=now + lifetime,
    )
    return NewApiToken(token=f"{PREFIX}{token_id}_{secret}", record=record)


def parse_api_token(token: str) -> ParsedApiToken:
    """The id (to look the record up by) and the secret; InvalidToken("malformed") otherwise."""
    token = token.strip()
    if token.startswith(PREFIX):
        token_id, _, secret = token.removeprefix(PREFIX).partition("_")
        if (
            len(token_id) == 2 * ID_BYTES
            and set(token_id) <= _HEX
            and len(secret) == SECRET_LENGTH
            and all(ch in _BASE62 for ch in secret)
        ):
            return ParsedApiToken(token_id=token_id, secret=secret)
    raise InvalidToken("malformed", "this is not a CloudWarden API token (cw_pat_...)")


def verify_api_token(token: str, *, record: ApiTokenRecord | None, now: datetime) -> ApiTokenRecord:
    """`record` when `token` is its live token; InvalidToken otherwise.

    `record` is what the store holds for `parse_api_token(token).token_id`, or None. Revocation and
    expiry are reported only to a holder of the right secret.
    """
    require_aware(now)
    parsed = parse_api_token(token)
    # The same work on every path: one id comparison, one digest, one secret comparison.
    stored_id, stored_hash = (
        (record.token_id, record.secret_hash) if record else (parsed.token_id, _DUMMY_HASH)
    )
    known = hmac.compare_digest(stored_id, parsed.token_id)
    expected = stored_hash if known else _DUMMY_HASH
    matches = hmac.compare_digest(_digest(parsed.secret).encode(), expected.encode())
    if record is None or not known or not matches:
        raise InvalidToken("unknown", "the API token is not valid", hint="create a new token")
    if record.revoked_at is not None:
        raise InvalidToken("revoked", "the API token was revoked", hint="create a new token")
    if now >= record.expires_at:
        raise InvalidToken("expired", "the API token has expired", hint="create a new token")
    return record


def revoke_api_token(record: ApiTokenRecord, *, now: datetime) -> ApiTokenRecord:
    """The record revoked; revoking again keeps the first time."""
    require_aware(now)
    return record if record.revoked_at is not None else replace(record, revoked_at=now)


def has_scope(record: ApiTokenRecord, scope: str) -> bool:
    return grants(record.scopes, scope)


def grants(scopes: Iterable[str], scope: str) -> bool:
    """Whether `scopes` grant `scope` (a write scope grants the read of the same resource)."""
    resource, _, access = scope.partition(":")
    held = frozenset(scopes)
    return scope in held or (access == "read" and f"{resource}:write" in held)


def require_scope(record: ApiTokenRecord, scope: str) -> None:
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope}")  # a typo in the API's code, not the caller's fault
    if not has_scope(record, scope):
        raise MissingScope(scope)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
