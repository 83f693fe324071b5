"""Access JWTs: pinned algorithm, required claims, ≤ 15 minutes; each bad token crafted by hand."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cloudwarden.auth import tokens
from cloudwarden.auth.errors import InvalidToken
from cloudwarden.auth.keys import ServerKey
from cloudwarden.auth.tokens import (
    MAX_ACCESS_TTL,
    AccessTokenSettings,
    decode_access,
    issue_access_token,
)

KEY = ServerKey(secrets.token_bytes(32))
SETTINGS = AccessTokenSettings(key=KEY)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _json(obj: dict[str, Any]) -> str:
    return _b64(json.dumps(obj, separators=(",", ":")).encode())


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(datetime.now(UTC).timestamp())
    claims: dict[str, Any] = {
        "iss": "cloudwarden",
        "aud": "cloudwarden-api",
        "sub": "user-1",
        "jti": "j-1",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _hs(
    header: dict[str, Any], payload: dict[str, Any], key: bytes = KEY.value, digest: Any = hashlib.sha256
) -> str:
    signing_input = f"{_json(header)}.{_json(payload)}"
    signature = hmac.new(key, signing_input.encode(), digest).digest()
    return f"{signing_input}.{_b64(signature)}"


def _refused(token: str, settings: AccessTokenSettings = SETTINGS) -> str:
    with pytest.raises(InvalidToken) as caught:
        decode_access(token, settings=settings)
    return caught.value.reason


def test_an_issued_token_decodes_to_its_claims() -> None:
    now = datetime.now(UTC)
    issued = issue_access_token(subject="user-1", settings=SETTINGS, now=now, claims={"sid": "family-1"})
    claims = decode_access(issued.token, settings=SETTINGS)
    assert claims.subject == "user-1" and claims.jti == issued.jti
    assert claims.expires_at == issued.expires_at == now.replace(microsecond=0) + MAX_ACCESS_TTL
    assert claims.extra == {"sid": "family-1"}
    header = jwt.get_unverified_header(issued.token)
    assert header == {"alg": "HS256", "typ": "at+jwt"}
    payload = jwt.decode(issued.token, options={"verify_signature": False})
    assert set(tokens.REQUIRED_CLAIMS) <= set(payload)


def test_each_token_has_its_own_jti() -> None:
    first = issue_access_token(subject="u", settings=SETTINGS)
    assert first.jti != issue_access_token(subject="u", settings=SETTINGS).jti


def test_the_handcrafted_helper_makes_tokens_that_are_accepted() -> None:
    # So every refusal below is about the one thing each test changes.
    assert (
        decode_access(_hs({"alg": "HS256", "typ": "at+jwt"}, _claims()), settings=SETTINGS).subject
        == "user-1"
    )


def test_ttl_above_15_minutes_is_refused_at_issue_time() -> None:
    with pytest.raises(ValueError, match="15 minutes"):
        issue_access_token(subject="u", settings=SETTINGS, ttl=timedelta(minutes=15, seconds=1))
    with pytest.raises(ValueError, match="15 minutes"):
        AccessTokenSettings(key=KEY, ttl=timedelta(minutes=16))
    with pytest.raises(ValueError, match="15 minutes"):
        issue_access_token(subject="u", settings=SETTINGS, ttl=timedelta(0))
    issue_access_token(subject="u", settings=SETTINGS, ttl=timedelta(minutes=15))


def test_leeway_is_small() -> None:
    with pytest.raises(ValueError, match="leeway"):
        AccessTokenSettings(key=KEY, leeway=timedelta(minutes=5))


def test_claims_may_not_override_the_registered_ones() -> None:
    with pytest.raises(ValueError, match="sub"):
        issue_access_token(subject="u", settings=SETTINGS, claims={"sub": "admin"})


def test_a_naive_now_is_a_bug() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        issue_access_token(subject="u", settings=SETTINGS, now=datetime.now())


def test_expired() -> None:
    issued = issue_access_token(subject="u", settings=SETTINGS, now=datetime.now(UTC) - timedelta(minutes=16))
    assert _refused(issued.token) == "expired"


def test_expired_within_the_leeway_is_still_accepted() -> None:
    issued = issue_access_token(
        subject="u", settings=SETTINGS, now=datetime.now(UTC) - MAX_ACCESS_TTL - timedelta(seconds=3)
    )
    assert decode_access(issued.token, settings=SETTINGS).subject == "u"


def test_not_yet_valid() -> None:
    later = int(datetime.now(UTC).timestamp()) + 300
    assert _refused(_hs({"alg": "HS256", "typ": "at+jwt"}, _claims(nbf=later))) == "not_yet_valid"
    assert _refused(_hs({"alg": "HS256", "typ": "at+jwt"}, _claims(iat=later))) == "not_yet_valid"


def test_wrong_audience() -> None:
    other = AccessTokenSettings(key=KEY, audience="another-api")
    issued = issue_access_token(subject="u", settings=other)
    assert _refused(issued.token) == "wrong_audience"
    # A list that contains ours is not enough either (strict audience).
    listed = _hs({"alg": "HS256", "typ": "at+jwt"}, _claims(aud=["cloudwarden-api", "another-api"]))
    assert _refused(listed) == "wrong_audience"


def test_wrong_issuer() -> None:
    issued = issue_access_token(subject="u", settings=AccessTokenSettings(key=KEY, issuer="someone-else"))
    assert _refused(issued.token) == "wrong_issuer"


def test_tampered_payload() -> None:
    issued = issue_access_token(subject="user-1", settings=SETTINGS)
    header, _, signature = issued.token.split(".")
    forged_payload = _json(_claims(sub="admin"))
    assert _refused(f"{header}.{forged_payload}.{signature}") == "bad_signature"


def test_signed_with_another_key() -> None:
    issued = issue_access_token(
        subject="u", settings=AccessTokenSettings(key=ServerKey(secrets.token_bytes(32)))
    )
    assert _refused(issued.token) == "bad_signature"


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_alg_none_is_refused(alg: str) -> None:
    unsigned = f"{_json({'alg': alg, 'typ': 'at+jwt'})}.{_json(_claims())}."
    assert _refused(unsigned) == "alg_none"


def test_a_header_without_alg_is_refused() -> None:
    assert _refused(f"{_json({'typ': 'at+jwt'})}.{_json(_claims())}.") == "alg_none"


def test_hs512_with_the_right_key_is_refused() -> None:
    token = _hs({"alg": "HS512", "typ": "at+jwt"}, _claims(), digest=hashlib.sha512)
    assert _refused(token) == "wrong_algorithm"


def test_an_eddsa_token_is_refused() -> None:
    token = jwt.encode(_claims(), Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"typ": "at+jwt"})
    assert _refused(token) == "wrong_algorithm"


def test_rs256_key_confusion_is_refused() -> None:
    # The classic attack: "RS256" in the header, HMAC'd with something the server knows.
    token = _hs({"alg": "RS256", "typ": "at+jwt"}, _claims())
    assert _refused(token) == "wrong_algorithm"


def test_the_algorithm_is_pinned_in_the_decode_call_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    original = jwt.decode

    def spy(*args: Any, **kwargs: Any) -> dict[str, Any]:
        seen.update(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(jwt, "decode", spy)
    decode_access(issue_access_token(subject="u", settings=SETTINGS).token, settings=SETTINGS)
    assert seen["algorithms"] == ["HS256"]
    assert seen["audience"] == "cloudwarden-api" and seen["issuer"] == "cloudwarden"


def test_a_token_of_another_type_is_refused() -> None:
    assert _refused(_hs({"alg": "HS256", "typ": "JWT"}, _claims())) == "wrong_type"
    assert _refused(_hs({"alg": "HS256"}, _claims())) == "wrong_type"


@pytest.mark.parametrize("claim", ["exp", "iat", "nbf", "iss", "aud", "sub", "jti"])
def test_every_required_claim_is_required(claim: str) -> None:
    token = _hs({"alg": "HS256", "typ": "at+jwt"}, _claims(**{claim: None}))
    assert _refused(token) == "missing_claim"


def test_a_token_claiming_a_longer_life_is_refused() -> None:
    now = int(datetime.now(UTC).timestamp())
    token = _hs({"alg": "HS256", "typ": "at+jwt"}, _claims(iat=now, nbf=now, exp=now + 3600))
    assert _refused(token) == "lifetime_too_long"


@pytest.mark.parametrize("token", ["", "not-a-jwt", "a.b", "a.b.c", "x" * 10_000])
def test_garbage_is_malformed(token: str) -> None:
    assert _refused(token) == "malformed"


def test_a_non_string_subject_is_malformed() -> None:
    assert _refused(_hs({"alg": "HS256", "typ": "at+jwt"}, _claims(sub=42))) == "malformed"


def test_an_invalid_token_is_a_cloudwarden_error_with_a_readable_message() -> None:
    issued = issue_access_token(subject="u", settings=SETTINGS, now=datetime.now(UTC) - timedelta(hours=1))
    with pytest.raises(InvalidToken) as caught:
        decode_access(issued.token, settings=SETTINGS)
    assert caught.value.code == "invalid_token" and "expired" in caught.value.message
