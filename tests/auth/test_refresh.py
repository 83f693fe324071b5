"""Refresh-token families: rotation on every use, reuse revokes the family, logout revokes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from cloudwarden.auth.refresh import (
    RefreshFamily,
    RefreshOutcome,
    RefreshPolicy,
    RefreshTokenRecord,
    hash_refresh_token,
    revoke_family,
    start_family,
    use_refresh_token,
)

T0 = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
POLICY = RefreshPolicy(token_ttl=timedelta(days=14), session_ttl=timedelta(days=30))


@dataclass
class Store:
    """The service layer's loop from refresh.py's docstring, over dicts instead of tables."""

    families: dict[str, RefreshFamily] = field(default_factory=dict)
    records: dict[str, RefreshTokenRecord] = field(default_factory=dict)

    def sign_in(self, subject: str, now: datetime = T0) -> str:
        session = start_family(subject=subject, now=now, policy=POLICY)
        self.families[session.family.id] = session.family
        self.records[session.issued.record.token_hash] = session.issued.record
        return session.issued.token

    def refresh(self, token: str, now: datetime) -> RefreshOutcome | None:
        record = self.records.get(hash_refresh_token(token))
        if record is None:
            return None
        outcome = use_refresh_token(
            family=self.families[record.family_id], record=record, now=now, policy=POLICY
        )
        self.families[outcome.family.id] = outcome.family
        if outcome.used is not None:
            self.records[outcome.used.token_hash] = outcome.used
        if outcome.issued is not None:
            self.records[outcome.issued.record.token_hash] = outcome.issued.record
        return outcome

    def rotate(self, token: str, now: datetime) -> str:
        outcome = self.refresh(token, now)
        assert outcome is not None and outcome.ok and outcome.issued is not None
        return outcome.issued.token


def test_a_sign_in_gives_a_random_token_stored_only_as_its_sha256() -> None:
    session = start_family(subject="user-1", now=T0, policy=POLICY)
    token, record = session.issued.token, session.issued.record
    assert len(token) >= 43  # 32 random bytes, URL-safe base64
    assert record.token_hash == hashlib.sha256(token.encode()).hexdigest() != token
    assert token not in repr(record)
    assert record.family_id == session.family.id and record.rotated_at is None
    assert session.family.expires_at == T0 + POLICY.session_ttl
    assert start_family(subject="user-1", now=T0, policy=POLICY).issued.token != token


def test_the_current_token_rotates() -> None:
    store = Store()
    first = store.sign_in("user-1")
    outcome = store.refresh(first, T0 + timedelta(minutes=14))
    assert outcome is not None and outcome.ok and outcome.refused is None
    assert outcome.used is not None and outcome.used.rotated_at == T0 + timedelta(minutes=14)
    assert outcome.issued is not None and outcome.issued.token != first
    assert outcome.issued.record.family_id == outcome.family.id and not outcome.family.revoked
    # The successor rotates too, again and again.
    second = outcome.issued.token
    third = store.rotate(second, T0 + timedelta(minutes=28))
    assert store.rotate(third, T0 + timedelta(minutes=42))


def test_reusing_a_rotated_token_revokes_the_family_and_its_sibling_tokens() -> None:
    store = Store()
    stolen = store.sign_in("user-1")
    users_token = store.rotate(stolen, T0 + timedelta(minutes=10))  # the user refreshed first
    outcome = store.refresh(stolen, T0 + timedelta(minutes=11))  # the thief tries the old one
    assert outcome is not None and outcome.refused == "reused" and not outcome.ok
    assert outcome.issued is None
    assert outcome.family.revoked and outcome.family.revoked_reason == "reuse_detected"
    # The user's current token (a sibling in the family) stops working too.
    sibling = store.refresh(users_token, T0 + timedelta(minutes=12))
    assert sibling is not None and sibling.refused == "revoked" and sibling.issued is None


def test_reuse_revokes_only_its_own_family() -> None:
    store = Store()
    laptop = store.sign_in("user-1")
    phone = store.sign_in("user-1")
    store.rotate(laptop, T0 + timedelta(minutes=1))
    store.refresh(laptop, T0 + timedelta(minutes=2))  # reuse on the laptop's family
    assert store.rotate(phone, T0 + timedelta(minutes=3))


def test_logout_revokes_every_token_of_the_family() -> None:
    store = Store()
    first = store.sign_in("user-1")
    second = store.rotate(first, T0 + timedelta(minutes=5))
    family_id = store.records[hash_refresh_token(second)].family_id
    store.families[family_id] = revoke_family(store.families[family_id], now=T0 + timedelta(minutes=6))
    for token in (first, second):
        outcome = store.refresh(token, T0 + timedelta(minutes=7))
        assert outcome is not None and outcome.refused == "revoked"
    # The reason stays "logout": a later reuse of a rotated token does not rewrite history.
    assert store.families[family_id].revoked_reason == "logout"


def test_revoking_twice_keeps_the_first_time_and_reason() -> None:
    family = start_family(subject="u", now=T0, policy=POLICY).family
    revoked = revoke_family(family, now=T0, reason="password_changed")
    assert revoke_family(revoked, now=T0 + timedelta(hours=1)) == revoked


def test_an_idle_token_expires() -> None:
    store = Store()
    token = store.sign_in("user-1")
    outcome = store.refresh(token, T0 + POLICY.token_ttl)
    assert outcome is not None and outcome.refused == "expired" and not outcome.family.revoked


def test_rotation_never_extends_a_session_past_its_absolute_limit() -> None:
    store = Store()
    token = store.sign_in("user-1")
    moment = T0
    for _ in range(3):  # refreshed every 13 days: each within the idle limit
        moment += timedelta(days=13)
        if moment >= T0 + POLICY.session_ttl:
            break
        token = store.rotate(token, moment)
    latest = store.records[hash_refresh_token(token)]
    assert latest.expires_at == T0 + POLICY.session_ttl  # capped, not moment + 14 days
    outcome = store.refresh(token, T0 + POLICY.session_ttl)
    assert outcome is not None and outcome.refused == "expired"


def test_an_unknown_token_matches_no_record() -> None:
    store = Store()
    store.sign_in("user-1")
    assert store.refresh("not-a-token", T0) is None


def test_a_record_of_another_family_is_a_bug() -> None:
    a = start_family(subject="u", now=T0, policy=POLICY)
    b = start_family(subject="u", now=T0, policy=POLICY)
    with pytest.raises(ValueError, match="another family"):
        use_refresh_token(family=a.family, record=b.issued.record, now=T0, policy=POLICY)


def test_naive_times_and_bad_policies_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        start_family(subject="u", now=datetime(2026, 1, 1), policy=POLICY)
    with pytest.raises(ValueError, match="session_ttl"):
        RefreshPolicy(token_ttl=timedelta(days=40), session_ttl=timedelta(days=30))
