"""Personal API tokens: cw_pat_<id>_<secret>, shown once, stored hashed, scoped, expiring, revocable."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cloudwarden.auth.api_tokens import (
    MAX_LIFETIME,
    ApiTokenRecord,
    NewApiToken,
    create_api_token,
    has_scope,
    parse_api_token,
    require_scope,
    revoke_api_token,
    validate_scopes,
    verify_api_token,
)
from cloudwarden.auth.errors import InvalidToken, MissingScope

T0 = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
FORMAT = re.compile(r"cw_pat_[0-9a-f]{16}_[A-Za-z0-9]{43}")


def _new(
    scopes: tuple[str, ...] = ("incidents:read",), lifetime: timedelta = timedelta(days=90)
) -> NewApiToken:
    return create_api_token(subject="user-1", name="ci checks", scopes=scopes, now=T0, lifetime=lifetime)


def _refused(token: str, record: ApiTokenRecord | None, now: datetime = T0) -> str:
    with pytest.raises(InvalidToken) as caught:
        verify_api_token(token, record=record, now=now)
    return caught.value.reason


def test_a_new_token_has_the_documented_format_and_only_its_hash_is_stored() -> None:
    new = _new()
    assert FORMAT.fullmatch(new.token)
    parsed = parse_api_token(new.token)
    assert parsed.token_id == new.record.token_id
    assert new.record.secret_hash == hashlib.sha256(parsed.secret.encode()).hexdigest()
    assert parsed.secret not in repr(new.record)
    assert new.record.expires_at == T0 + timedelta(days=90) and new.record.revoked_at is None
    assert _new().token != new.token and _new().record.token_id != new.record.token_id


def test_the_live_token_verifies() -> None:
    new = _new()
    assert verify_api_token(new.token, record=new.record, now=T0 + timedelta(days=1)) == new.record
    assert verify_api_token(f"  {new.token}\n", record=new.record, now=T0) == new.record  # pasted


def test_a_wrong_secret_an_unknown_id_and_a_missing_record_look_the_same() -> None:
    new, other = _new(), _new()
    wrong_secret = new.token[:-1] + ("A" if new.token[-1] != "A" else "B")
    assert _refused(wrong_secret, new.record) == "unknown"
    assert _refused(new.token, None) == "unknown"
    assert _refused(new.token, other.record) == "unknown"  # the store returned another id's record


def test_verification_does_the_same_work_whether_or_not_the_token_exists(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[int] = []
    original = hmac.compare_digest

    def counting(a: Any, b: Any) -> bool:
        calls.append(1)
        return original(a, b)

    monkeypatch.setattr(hmac, "compare_digest", counting)
    new = _new()
    counts = []
    for token, record in ((new.token, new.record), (new.token, None), (new.token[:-1] + "Z", new.record)):
        calls.clear()
        with contextlib.suppress(InvalidToken):
            verify_api_token(token, record=record, now=T0)
        counts.append(len(calls))
    assert counts[0] == counts[1] == counts[2] == 2


def test_a_revoked_token_is_refused() -> None:
    new = _new()
    revoked = revoke_api_token(new.record, now=T0 + timedelta(hours=1))
    assert revoked.revoked_at == T0 + timedelta(hours=1)
    assert _refused(new.token, revoked, T0 + timedelta(hours=2)) == "revoked"
    assert revoke_api_token(revoked, now=T0 + timedelta(days=3)) == revoked  # the first time is kept


def test_revocation_is_only_reported_to_the_holder_of_the_secret() -> None:
    new = _new()
    revoked = revoke_api_token(new.record, now=T0)
    assert _refused(new.token[:-1] + ("A" if new.token[-1] != "A" else "B"), revoked) == "unknown"


def test_an_expired_token_is_refused() -> None:
    new = _new(lifetime=timedelta(days=30))
    verify_api_token(new.token, record=new.record, now=T0 + timedelta(days=30) - timedelta(seconds=1))
    assert _refused(new.token, new.record, T0 + timedelta(days=30)) == "expired"


@pytest.mark.parametrize("lifetime", [timedelta(0), -timedelta(days=1), MAX_LIFETIME + timedelta(days=1)])
def test_every_token_expires_within_a_year(lifetime: timedelta) -> None:
    with pytest.raises(ValueError, match="expires within"):
        _new(lifetime=lifetime)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "ghp_0123456789abcdef0123456789abcdef01234567",
        "cw_pat_",
        "cw_pat_0123456789abcdef",
        "cw_pat_0123456789abcde_" + "a" * 43,  # id too short
        "cw_pat_0123456789ABCDEF_" + "a" * 43,  # id not lowercase hex
        "cw_pat_0123456789abcdef_" + "a" * 42,  # secret too short
        "cw_pat_0123456789abcdef_" + "a" * 42 + "-",  # not base62
    ],
)
def test_malformed_tokens_are_refused_before_any_lookup(token: str) -> None:
    with pytest.raises(InvalidToken) as caught:
        parse_api_token(token)
    assert caught.value.reason == "malformed"
    assert _refused(token, None) == "malformed"


def test_scopes_must_be_known_and_non_empty() -> None:
    with pytest.raises(ValueError, match="unknown scope incidents:delete"):
        _new(scopes=("incidents:read", "incidents:delete"))
    with pytest.raises(ValueError, match="at least one scope"):
        _new(scopes=())
    assert validate_scopes(["investigations:write", "investigations:write"]) == {"investigations:write"}


def test_write_implies_read_of_the_same_resource_only() -> None:
    record = _new(scopes=("investigations:write",)).record
    assert has_scope(record, "investigations:write") and has_scope(record, "investigations:read")
    assert not has_scope(record, "incidents:read")
    reader = _new(scopes=("incidents:read",)).record
    assert has_scope(reader, "incidents:read") and not has_scope(reader, "incidents:write")


def test_require_scope_refuses_what_the_token_does_not_grant() -> None:
    record = _new(scopes=("incidents:read",)).record
    require_scope(record, "incidents:read")
    with pytest.raises(MissingScope) as caught:
        require_scope(record, "incidents:write")
    assert caught.value.scope == "incidents:write" and "incidents:write" in caught.value.message
    with pytest.raises(ValueError, match="unknown scope"):
        require_scope(record, "incidents:reed")  # a typo in the API's code


def test_a_naive_time_is_a_bug() -> None:
    new = _new()
    with pytest.raises(ValueError, match="timezone-aware"):
        verify_api_token(new.token, record=new.record, now=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        create_api_token(
            subject="u",
            name="n",
            scopes=["incidents:read"],
            now=datetime(2026, 1, 1),
            lifetime=timedelta(days=1),
        )


def test_a_record_changed_in_the_store_no_longer_matches() -> None:
    new = _new()
    tampered = replace(new.record, secret_hash=hashlib.sha256(b"other").hexdigest())
    assert _refused(new.token, tampered) == "unknown"
