"""TOTP enrolment and verification (no step reused) and one-time backup codes."""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import pyotp
import pytest

from cloudwarden.auth.keys import ServerKey
from cloudwarden.auth.totp import (
    BACKUP_CODE_ALPHABET,
    BackupCodeUse,
    current_step,
    generate_backup_codes,
    hash_backup_code,
    new_enrolment,
    use_backup_code,
    verify_totp,
)

NOW = datetime(2026, 3, 14, 9, 26, 53, tzinfo=UTC)
PEPPER = ServerKey(secrets.token_bytes(32))
FIXED_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _code(secret: str, at: datetime) -> str:
    return pyotp.TOTP(secret).at(at)  # an authenticator app's view of the same secret


def test_enrolment_gives_a_random_160_bit_secret_and_a_scannable_uri() -> None:
    enrolment = new_enrolment(account_label="alice@example.com")
    assert len(base64.b32decode(enrolment.secret)) == 20
    assert new_enrolment(account_label="alice@example.com").secret != enrolment.secret
    uri = urlsplit(enrolment.provisioning_uri)
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert unquote(uri.path) == "/CloudWarden:alice@example.com"
    query = parse_qs(uri.query)
    assert query["issuer"] == ["CloudWarden"] and query["secret"] == [enrolment.secret]
    # An authenticator app reading the URI produces codes the server accepts.
    app = pyotp.parse_uri(enrolment.provisioning_uri)
    assert isinstance(app, pyotp.TOTP)
    assert verify_totp(enrolment.secret, app.at(NOW), last_used_step=None, at=NOW) == current_step(NOW)


@pytest.mark.parametrize("label", ["", "  ", "evil:alice@example.com"])
def test_a_label_that_would_break_the_uri_is_refused(label: str) -> None:
    with pytest.raises(ValueError, match="label"):
        new_enrolment(account_label=label)


def test_the_current_code_returns_its_step() -> None:
    secret = new_enrolment(account_label="a").secret
    assert verify_totp(secret, _code(secret, NOW), last_used_step=None, at=NOW) == current_step(NOW)


def test_one_step_of_drift_either_side_is_accepted_two_are_not() -> None:
    secret = FIXED_SECRET  # fixed, so the five codes below are known to differ
    step = current_step(NOW)
    codes = {offset: _code(secret, NOW + timedelta(seconds=30 * offset)) for offset in range(-2, 3)}
    assert len(set(codes.values())) == 5
    for offset in (-1, 0, 1):
        assert verify_totp(secret, codes[offset], last_used_step=None, at=NOW) == step + offset
    for offset in (-2, 2):
        assert verify_totp(secret, codes[offset], last_used_step=None, at=NOW) is None


def test_a_used_step_is_refused_even_within_the_window() -> None:
    secret = new_enrolment(account_label="a").secret
    code = _code(secret, NOW)
    used = verify_totp(secret, code, last_used_step=None, at=NOW)
    assert used is not None
    assert verify_totp(secret, code, last_used_step=used, at=NOW) is None  # replay
    assert verify_totp(secret, code, last_used_step=used, at=NOW + timedelta(seconds=20)) is None
    # An older code, still inside the window, is refused once a newer step was used.
    older = _code(secret, NOW - timedelta(seconds=30))
    assert verify_totp(secret, older, last_used_step=used, at=NOW) is None
    # The next step's code is fine.
    newer = _code(secret, NOW + timedelta(seconds=30))
    assert verify_totp(secret, newer, last_used_step=used, at=NOW + timedelta(seconds=30)) == used + 1


def test_wrong_and_malformed_codes_are_refused() -> None:
    secret = new_enrolment(account_label="a").secret
    right = _code(secret, NOW)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for code in (wrong, "", "12345", "1234567", "abcdef", "١٢٣٤٥٦", right + "0"):
        assert verify_totp(secret, code, last_used_step=None, at=NOW) is None


def test_spaces_as_apps_display_them_are_ignored() -> None:
    secret = new_enrolment(account_label="a").secret
    code = _code(secret, NOW)
    assert verify_totp(secret, f"{code[:3]} {code[3:]}", last_used_step=None, at=NOW) == current_step(NOW)


def test_a_naive_time_is_a_bug() -> None:
    secret = new_enrolment(account_label="a").secret
    with pytest.raises(ValueError, match="timezone-aware"):
        verify_totp(secret, "123456", last_used_step=None, at=NOW.replace(tzinfo=None))


# Backup codes


def test_backup_codes_are_ten_typable_unique_codes_stored_only_as_hashes() -> None:
    codes = generate_backup_codes(pepper=PEPPER, subject="user-1")
    assert len(codes.codes) == len(set(codes.codes)) == 10
    assert len(codes.hashes) == len(set(codes.hashes)) == 10
    for code, stored in zip(codes.codes, codes.hashes, strict=True):
        head, dash, tail = code.partition("-")
        assert dash and len(head) == len(tail) == 5 and set(head + tail) <= set(BACKUP_CODE_ALPHABET)
        assert code not in stored and head not in stored and stored.startswith("hmac-sha256$")


def test_a_backup_code_works_once_and_says_which_it_was() -> None:
    codes = generate_backup_codes(pepper=PEPPER, subject="user-1")
    use = use_backup_code(codes.codes[3], codes.hashes, pepper=PEPPER, subject="user-1")
    assert use == BackupCodeUse(index=3, remaining=codes.hashes[:3] + codes.hashes[4:])
    assert use_backup_code(codes.codes[3], use.remaining, pepper=PEPPER, subject="user-1") is None
    # The others still work against what remains.
    assert use_backup_code(codes.codes[0], use.remaining, pepper=PEPPER, subject="user-1") is not None


def test_backup_codes_tolerate_capitals_spaces_and_dashes() -> None:
    codes = generate_backup_codes(pepper=PEPPER, subject="user-1")
    typed = codes.codes[0].upper().replace("-", " ")
    assert use_backup_code(typed, codes.hashes, pepper=PEPPER, subject="user-1") is not None
    assert use_backup_code(codes.codes[0].replace("-", ""), codes.hashes, pepper=PEPPER, subject="user-1")


def test_backup_codes_are_bound_to_the_user_and_the_pepper() -> None:
    codes = generate_backup_codes(pepper=PEPPER, subject="user-1")
    assert use_backup_code(codes.codes[0], codes.hashes, pepper=PEPPER, subject="user-2") is None
    other_pepper = ServerKey(secrets.token_bytes(32))
    assert use_backup_code(codes.codes[0], codes.hashes, pepper=other_pepper, subject="user-1") is None
    assert hash_backup_code("abcde-fghjk", pepper=PEPPER, subject="user-1") != hash_backup_code(
        "abcde-fghjk", pepper=PEPPER, subject="user-2"
    )


def test_a_wrong_backup_code_matches_nothing() -> None:
    codes = generate_backup_codes(pepper=PEPPER, subject="user-1")
    assert use_backup_code("zzzzz-zzzzz", codes.hashes, pepper=PEPPER, subject="user-1") is None
    assert use_backup_code("", codes.hashes, pepper=PEPPER, subject="user-1") is None
