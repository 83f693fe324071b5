"""Password hashing (Argon2id, rehash on login, one hash per attempt) and the password policy."""

from __future__ import annotations

import secrets
import string
from importlib import resources

import pytest
from argon2 import PasswordHasher
from argon2._utils import extract_parameters

from cloudwarden.auth import passwords
from cloudwarden.auth.passwords import (
    DEFAULT_PARAMETERS,
    MAX_LENGTH,
    MIN_LENGTH,
    Argon2Parameters,
    WeakPassword,
    check_password,
    common_passwords,
    dummy_verify,
    hash_password,
    verify_password,
)
from cloudwarden.errors import UsageError

# Cheap parameters keep the suite fast where the cost itself is not what a test is about.
CHEAP = Argon2Parameters(time_cost=1, memory_cost_kib=1024, parallelism=1)
CHEAP_STRONGER = Argon2Parameters(time_cost=2, memory_cost_kib=2048, parallelism=1)
GOOD = "tangerine-lighthouse-42"
ADA = ("ada.lovelace@example.com", "Ada Lovelace")


def _random_password(length: int) -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(length))


def test_default_hash_is_argon2id_with_the_explicit_parameters() -> None:
    stored = hash_password(GOOD)
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    params = extract_parameters(stored)
    assert (params.salt_len, params.hash_len) == (DEFAULT_PARAMETERS.salt_len, DEFAULT_PARAMETERS.hash_len)
    assert verify_password(stored, GOOD).ok


def test_the_same_password_hashes_differently_each_time() -> None:
    assert hash_password(GOOD, parameters=CHEAP) != hash_password(GOOD, parameters=CHEAP)


def test_verify_accepts_the_password_and_refuses_any_other() -> None:
    stored = hash_password(GOOD, parameters=CHEAP)
    assert verify_password(stored, GOOD, parameters=CHEAP) == passwords.VerifyResult(ok=True, new_hash=None)
    assert not verify_password(stored, GOOD + "x", parameters=CHEAP).ok
    assert not verify_password(stored, GOOD.upper(), parameters=CHEAP).ok
    assert not verify_password(stored, "", parameters=CHEAP).ok


def test_a_hash_with_old_parameters_is_rehashed_on_login() -> None:
    stored = hash_password(GOOD, parameters=CHEAP)
    result = verify_password(stored, GOOD, parameters=CHEAP_STRONGER)
    assert result.ok and result.new_hash is not None
    assert "m=2048,t=2,p=1" in result.new_hash
    # The new hash verifies under the new parameters and needs no further rehash.
    assert verify_password(result.new_hash, GOOD, parameters=CHEAP_STRONGER) == passwords.VerifyResult(
        ok=True
    )


def test_a_wrong_password_never_yields_a_new_hash() -> None:
    stored = hash_password(GOOD, parameters=CHEAP)
    assert verify_password(stored, "not-the-password!", parameters=CHEAP_STRONGER) == passwords.VerifyResult(
        ok=False
    )


def test_an_argon2i_hash_is_upgraded_to_argon2id() -> None:
    from argon2 import Type

    legacy = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, type=Type.I).hash(GOOD)
    result = verify_password(legacy, GOOD, parameters=CHEAP)
    assert result.ok and result.new_hash is not None and result.new_hash.startswith("$argon2id$")


def test_unicode_forms_of_the_same_password_match() -> None:
    composed, decomposed = "caf\u00e9-lighthouse-42", "cafe\u0301-lighthouse-42"
    stored = hash_password(composed, parameters=CHEAP)
    assert verify_password(stored, decomposed, parameters=CHEAP).ok


def test_a_corrupt_stored_hash_is_an_error_not_a_wrong_password() -> None:
    with pytest.raises(ValueError, match="not an Argon2 hash"):
        verify_password("$2b$12$notargon", GOOD, parameters=CHEAP)


def test_hash_password_refuses_an_overlong_password() -> None:
    with pytest.raises(WeakPassword) as caught:
        hash_password("x" * (MAX_LENGTH + 1), parameters=CHEAP)
    assert caught.value.rule == "too_long"


@pytest.fixture
def verify_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The stored hashes Argon2 verified against, in order."""
    calls: list[str] = []
    original = PasswordHasher.verify

    def spy(self: PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:
        calls.append(hash if isinstance(hash, str) else hash.decode())
        return original(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", spy)
    return calls


def test_dummy_verify_costs_one_hash_with_the_real_parameters(verify_calls: list[str]) -> None:
    dummy_verify(parameters=CHEAP_STRONGER)
    assert len(verify_calls) == 1
    params = extract_parameters(verify_calls[0])
    assert (params.time_cost, params.memory_cost, params.parallelism) == (2, 2048, 1)


def test_an_overlong_password_still_costs_one_hash(verify_calls: list[str]) -> None:
    stored = hash_password(GOOD, parameters=CHEAP)
    assert not verify_password(stored, "x" * 100_000, parameters=CHEAP).ok
    assert len(verify_calls) == 1  # the dummy: as long as any refusal, without hashing 100 kB


# Policy


def test_too_short_says_the_minimum() -> None:
    with pytest.raises(WeakPassword) as caught:
        check_password(_random_password(MIN_LENGTH - 1))
    assert caught.value.rule == "too_short"
    assert "too short" in caught.value.message and str(MIN_LENGTH) in caught.value.message
    check_password(_random_password(MIN_LENGTH))  # exactly the minimum is enough


def test_too_long_says_the_maximum() -> None:
    with pytest.raises(WeakPassword) as caught:
        check_password(_random_password(MAX_LENGTH + 1))
    assert caught.value.rule == "too_long" and str(MAX_LENGTH) in caught.value.message
    check_password(_random_password(MAX_LENGTH))


@pytest.mark.parametrize(
    "password",
    [
        "password1234",  # listed as is
        "PASSWORD1234",  # any case
        "Password12345!",  # digits and a "!" added
        "2024Password!!",  # in front too
        "P@ssw0rd2024!!",  # listed look-alike
        "Dr@g0n-2024!!",  # look-alikes undone: "dragon"
        "5h@d0w123456",
        "iloveyou1234",
        "Qwertyuiop!!",
        "bond007!!!!!",  # a listed entry that itself ends in digits
        "passwordpassword",  # a listed word repeated
        "lovelovelove",
        "aaaaaaaaaaaa",  # one character repeated
        "121212121212",
        "123456789012",
        "abcdefghijkl",  # a run
        "987654321098",
        "correct horse battery staple",  # the famous phrase, with its spaces
        "cloudwarden2024!",  # the service's own name
    ],
)
def test_common_passwords_and_trivial_variants_are_refused(password: str) -> None:
    with pytest.raises(WeakPassword) as caught:
        check_password(password)
    assert caught.value.rule == "common"
    assert "most common passwords" in caught.value.message
    assert password not in caught.value.message  # an error may be logged: never echo the password


@pytest.mark.parametrize(
    "password",
    [
        "tangerine-lighthouse-42",
        "Glacier+Marmot+Kettle",
        "ee9382716450",
        "Canada-maple-syrup",
        "7g$Kq2!vLm9#pZ",
    ],
)
def test_uncommon_passwords_pass(password: str) -> None:
    check_password(password, user_inputs=ADA)


def test_the_shipped_list_has_over_a_thousand_lowercase_entries_including_the_top_ones() -> None:
    listed = common_passwords()
    assert len(listed) >= 1000
    assert all(entry == entry.lower() and entry.strip() == entry and entry for entry in listed)
    for top in (
        "123456",
        "password",
        "123456789",
        "qwerty",
        "12345678",
        "111111",
        "iloveyou",
        "abc123",
        "letmein",
        "monkey",
        "dragon",
        "football",
        "admin",
        "welcome",
        "sunshine",
        "trustno1",
    ):
        assert top in listed
    # Read through importlib.resources, as an installed package would.
    text = resources.files("cloudwarden.auth").joinpath("common_passwords.txt").read_text(encoding="utf-8")
    assert text.startswith("#")


@pytest.mark.parametrize(
    ("password", "source"),
    [
        ("Lovelace-rocks-2024", "your email address"),  # a word of the local part
        ("ada.lovelace99!!", "your email address"),
        ("l0v3l4c3-and-more", "your email address"),  # look-alikes undone
        ("Byron-family-1815", "your name"),
    ],
)
def test_a_password_containing_the_users_email_or_name_is_refused(password: str, source: str) -> None:
    with pytest.raises(WeakPassword) as caught:
        check_password(password, user_inputs=("ada.lovelace@example.com", "Augusta Byron"))
    assert caught.value.rule == "personal"
    assert source in caught.value.message


def test_short_name_fragments_and_the_email_domain_do_not_count() -> None:
    # "bo" and "li" are too short to ban; the domain is not the user's.
    check_password("bold-lilac-example-42", user_inputs=("bo.li@example.com", "Bo Li", None, ""))


def test_weak_password_is_a_usage_error_with_a_hint() -> None:
    with pytest.raises(UsageError) as caught:
        check_password("short")
    assert caught.value.code == "weak_password" and caught.value.hint
