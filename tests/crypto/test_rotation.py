"""Rotation re-wraps data keys only: field tokens are never rewritten and never stop decrypting."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from cloudwarden.crypto import envelope
from cloudwarden.crypto.envelope import DataKey, decrypt_text, encrypt, new_data_key, rewrap
from cloudwarden.crypto.errors import KeyUnavailable
from cloudwarden.crypto.providers import LocalKeyProvider

WORKSPACES = ("ws-a", "ws-b", "ws-c")
FIELD = "channels.slack_token"


def _fresh(key: DataKey) -> DataKey:
    """As loaded from its row by another process: wrapped only."""
    restored: DataKey = pickle.loads(pickle.dumps(key))
    return restored


def _seed(provider: LocalKeyProvider) -> tuple[dict[str, DataKey], dict[str, str]]:
    keys = {ws: new_data_key(provider, workspace_id=ws) for ws in WORKSPACES}
    tokens = {
        ws: encrypt(f"xoxb-secret-of-{ws}", data_key=keys[ws], provider=provider, field=FIELD, row=f"ch-{ws}")
        for ws in WORKSPACES
    }
    return keys, tokens


def _assert_all_decrypt(keys: dict[str, DataKey], tokens: dict[str, str], provider: LocalKeyProvider) -> None:
    for ws in WORKSPACES:
        plain = decrypt_text(
            tokens[ws], data_key=_fresh(keys[ws]), provider=provider, field=FIELD, row=f"ch-{ws}"
        )
        assert plain == f"xoxb-secret-of-{ws}"


def test_rotation_from_key_a_to_key_b_then_retiring_a(local: LocalKeyProvider, key_path: Path) -> None:
    key_a = local.key_id
    keys, tokens = _seed(local)
    tokens_before = dict(tokens)

    key_b = local.add_key()
    # Between adding B and re-wrapping, nothing stops working (no downtime).
    _assert_all_decrypt(keys, tokens, local)
    assert all(envelope.needs_rewrap(k, local) for k in keys.values())

    rewrapped = {ws: rewrap(_fresh(k), from_provider=local) for ws, k in keys.items()}
    assert all(k.wrapping_key_id == key_b and not envelope.needs_rewrap(k, local) for k in rewrapped.values())
    assert all(rewrapped[ws].key_id == keys[ws].key_id for ws in WORKSPACES)
    assert all(rewrapped[ws].wrapped != keys[ws].wrapped for ws in WORKSPACES)
    assert tokens == tokens_before  # no field ciphertext was touched
    _assert_all_decrypt(rewrapped, tokens, local)

    local.remove_key(key_a)
    restarted = LocalKeyProvider(key_path, create=False)  # a process started after the rotation
    assert restarted.key_ids == (key_b,)
    _assert_all_decrypt(rewrapped, tokens, restarted)
    # The old wrapped keys really depended on A: they are now unreadable, which is the point.
    with pytest.raises(KeyUnavailable, match=key_a):
        decrypt_text(
            tokens["ws-a"], data_key=_fresh(keys["ws-a"]), provider=restarted, field=FIELD, row="ch-ws-a"
        )


def test_rewrap_is_idempotent_so_an_interrupted_rotation_can_run_again(local: LocalKeyProvider) -> None:
    keys, _ = _seed(local)
    local.add_key()
    done = rewrap(keys["ws-a"], from_provider=local)  # the run stopped after one workspace
    again = {ws: rewrap(k if ws != "ws-a" else done, from_provider=local) for ws, k in keys.items()}
    assert again["ws-a"] is done
    assert not any(envelope.needs_rewrap(k, local) for k in again.values())


def test_migrating_from_the_local_key_file_to_another_provider(
    local: LocalKeyProvider, tmp_path: Path
) -> None:
    keys, tokens = _seed(local)
    target = LocalKeyProvider(tmp_path / "target" / "keys.json")
    moved = {ws: rewrap(_fresh(k), from_provider=local, to_provider=target) for ws, k in keys.items()}
    assert all(k.wrapping_key_id == target.key_id for k in moved.values())
    _assert_all_decrypt(moved, tokens, target)
    with pytest.raises(KeyUnavailable):
        _assert_all_decrypt(moved, tokens, local)
