"""Password hashing (Argon2id), rehash on login, and the password policy.

Passwords are NFKC-normalised before anything else, so the same password typed on another
keyboard or OS (composed vs decomposed accents, full-width digits) matches (NIST SP 800-63B
§5.1.1.2). Every verification costs exactly one Argon2 hash, whether the user exists
(`verify_password`), does not (`dummy_verify`) or sent an over-long password, so response time
does not reveal which accounts exist.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Literal

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from cloudwarden.errors import UsageError

MIN_LENGTH = 12
# Bounds the work an attacker can make one login cost, and any passphrase fits in it.
MAX_LENGTH = 256
# A name or email fragment shorter than this is too likely to occur by chance ("ada" in "canada").
_MIN_PERSONAL_FRAGMENT = 4
_LEET = str.maketrans(
    {"0": "o", "1": "i", "!": "i", "3": "e", "4": "a", "@": "a", "5": "s", "$": "s", "7": "t"}
)
_NOT_ALNUM = re.compile(r"[\W_]+")  # keeps letters of any script: "José" stays "josé"
_DIGITS = "0123456789"
_MAX_AFFIX = 8

WeakPasswordRule = Literal["too_short", "too_long", "common", "personal"]


@dataclass(frozen=True)
class Argon2Parameters:
    """Argon2id cost parameters, explicit so that a change is a reviewed diff, not a library upgrade.

    The defaults are RFC 9106's second recommended option (64 MiB, 3 passes, 4 lanes), about
    150 ms on a 2-core server: above OWASP's minimum (19 MiB, 2 passes) and bearable at login rate.
    """

    time_cost: int = 3
    memory_cost_kib: int = 64 * 1024
    parallelism: int = 4
    hash_len: int = 32
    salt_len: int = 16


DEFAULT_PARAMETERS = Argon2Parameters()


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    # Set when the password was right but the stored hash used other parameters: store this one.
    new_hash: str | None = None


class WeakPassword(UsageError):
    """A password the policy refuses; `rule` says which rule, the message says why and what to do."""

    code = "weak_password"

    def __init__(self, rule: WeakPasswordRule, message: str):
        super().__init__(message, hint="a few unrelated words make a long password that is easy to remember")
        self.rule: WeakPasswordRule = rule


def normalize(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


@lru_cache(maxsize=8)
def _hasher(parameters: Argon2Parameters) -> PasswordHasher:
    return PasswordHasher(
        time_cost=parameters.time_cost,
        memory_cost=parameters.memory_cost_kib,
        parallelism=parameters.parallelism,
        hash_len=parameters.hash_len,
        salt_len=parameters.salt_len,
        type=Type.ID,
    )


@lru_cache(maxsize=8)
def _dummy_hash(parameters: Argon2Parameters) -> str:
    # Same parameters as real hashes, so a dummy verification costs what a real one does.
    return _hasher(parameters).hash("cloudwarden dummy password for unknown users")


def hash_password(password: str, *, parameters: Argon2Parameters = DEFAULT_PARAMETERS) -> str:
    """The Argon2id hash to store (PHC string: algorithm, parameters, salt and hash)."""
    password = normalize(password)
    if len(password) > MAX_LENGTH:
        raise WeakPassword("too_long", f"the password is longer than {MAX_LENGTH} characters")
    return _hasher(parameters).hash(password)


def verify_password(
    stored_hash: str, password: str, *, parameters: Argon2Parameters = DEFAULT_PARAMETERS
) -> VerifyResult:
    """Whether `password` matches; on a match with outdated parameters, a new hash to store.

    A stored value that is not an Argon2 hash raises ValueError: that is corrupt data to fix,
    not a wrong password to count against the user.
    """
    password = normalize(password)
    if len(password) > MAX_LENGTH:  # no stored password is this long; spend the same time anyway
        dummy_verify(parameters=parameters)
        return VerifyResult(ok=False)
    hasher = _hasher(parameters)
    try:
        hasher.verify(stored_hash, password)
    except VerifyMismatchError:
        return VerifyResult(ok=False)
    except InvalidHashError:
        raise ValueError("the stored password hash is not an Argon2 hash") from None
    except VerificationError:  # a well-formed hash that fails for another reason: still a refusal
        return VerifyResult(ok=False)
    if hasher.check_needs_rehash(stored_hash):
        return VerifyResult(ok=True, new_hash=hasher.hash(password))
    return VerifyResult(ok=True)


def dummy_verify(*, parameters: Argon2Parameters = DEFAULT_PARAMETERS) -> None:
    """Spend one verification for a sign-in to an account that does not exist.

    The service layer calls this when no user has the email given, so that the response takes
    as long as a wrong password for a real user. (The dummy hash is computed on first use; a
    service that cares about that first request calls this once at start-up.)
    """
    with contextlib.suppress(VerifyMismatchError):
        _hasher(parameters).verify(_dummy_hash(parameters), "not the dummy password")


def check_password(password: str, *, user_inputs: Iterable[str | None] = ()) -> None:
    """Raise WeakPassword saying which rule `password` breaks; return None when it is acceptable.

    `user_inputs` are the user's email address(es) and name: a password may not contain the
    email's local part, nor the name or any word of it (of 4 characters or more).
    """
    password = normalize(password)
    if len(password) < MIN_LENGTH:
        raise WeakPassword("too_short", f"the password is too short: use at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword("too_long", f"the password is too long: use at most {MAX_LENGTH} characters")
    if is_common(password):
        raise WeakPassword(
            "common",
            "the password is one of the most common passwords, or one with digits or symbols added, "
            "letters swapped for look-alikes, or repeated: attackers try these first",
        )
    source = _personal_source(password, user_inputs)
    if source is not None:
        raise WeakPassword("personal", f"the password contains {source}: choose one unrelated to you")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list (common_passwords.txt), lowercased; read once, on first use."""
    text = resources.files(__package__).joinpath("common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def is_common(password: str) -> bool:
    """Whether `password` is a listed common password or a trivial variant of one."""
    listed = common_passwords()
    lowered = normalize(password).casefold()
    # Also without spaces and separators: "correct horse battery staple" is the listed phrase.
    joined = _NOT_ALNUM.sub("", lowered)
    for candidate in itertools.chain(_variants(lowered), _variants(joined) if joined != lowered else ()):
        if candidate in listed or _is_sequence(candidate):
            return True
        unit = _repeating_unit(candidate)
        if unit != candidate and (unit in listed or (len(unit) <= 3 and len(candidate) >= 6)):
            return True
    return False


def _variants(lowered: str) -> Iterator[str]:
    """The password, and its letter core with any part of the digits/symbols around it removed.

    "2024Password12!" yields "password12", "password1", "password", ...; each also with
    look-alikes undone ("p@ssw0rd" -> "password").
    """
    letters = [i for i, ch in enumerate(lowered) if ch.isalpha()]
    if not letters:
        yield lowered
        return
    first, last = letters[0], letters[-1] + 1
    # Cut at most _MAX_AFFIX characters into each run ("bond007!!!!" -> "bond007"), or all of it:
    # enough for trivial variants and a bounded number of candidates however long the password.
    starts = {0, *range(max(0, first - _MAX_AFFIX), first + 1)}
    ends = {len(lowered), *range(last, min(len(lowered), last + _MAX_AFFIX) + 1)}
    for start in sorted(starts):
        for end in sorted(ends):
            core = lowered[start:end]
            yield core
            yield core.translate(_LEET)


def _repeating_unit(text: str) -> str:
    """The shortest string that `text` is a repetition of ("abcabc" -> "abc")."""
    for size in range(1, len(text) // 2 + 1):
        if len(text) % size == 0 and text[:size] * (len(text) // size) == text:
            return text[:size]
    return text


def _is_sequence(text: str) -> bool:
    """A run like "abcdefghijkl", "987654321098" or "345678901234" (digits wrap 9 -> 0)."""
    if len(text) < 6:
        return False

    def step(a: str, b: str) -> int:
        if a in _DIGITS and b in _DIGITS:
            return {1: 1, 9: -1}.get((int(b) - int(a)) % 10, 0)
        return ord(b) - ord(a)

    steps = {step(a, b) for a, b in itertools.pairwise(text)}
    return steps in ({1}, {-1})


def _personal_source(password: str, user_inputs: Iterable[str | None]) -> str | None:
    haystacks = {_NOT_ALNUM.sub("", password.casefold())}
    haystacks.add(_NOT_ALNUM.sub("", password.casefold().translate(_LEET)))
    for value in user_inputs:
        if not value or not value.strip():
            continue
        value = normalize(value).casefold().strip()
        is_email = "@" in value
        text = value.rsplit("@", 1)[0] if is_email else value
        fragments = {_NOT_ALNUM.sub("", text), *_NOT_ALNUM.split(text)}
        for fragment in fragments:
            if len(fragment) >= _MIN_PERSONAL_FRAGMENT and any(fragment in h for h in haystacks):
                return "your email address" if is_email else "your name"
    return None
