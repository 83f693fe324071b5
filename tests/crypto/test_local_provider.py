"""The local key file: private on disk, never silently replaced, shared safely between processes."""

from __future__ import annotations

import base64
import json
import os
import stat
import threading
from pathlib import Path

import pytest

from cloudwarden.crypto import keyfile
from cloudwarden.crypto.errors import InvalidWrappedKey, KeyUnavailable
from cloudwarden.crypto.providers import LocalKeyProvider, frame, unframe, wrapping_key_id

CONTEXT = {"purpose": "test", "workspace": "ws-1", "data_key": "k1"}
DATA_KEY = bytes(range(32))


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_key_file_is_created_0600_in_a_0700_directory_whatever_the_umask(key_path: Path) -> None:
    previous = os.umask(0o002)  # a permissive umask: group-writable by default
    try:
        provider = LocalKeyProvider(key_path)
        assert not key_path.exists()  # nothing happens before first use
        key_id = provider.key_id
    finally:
        os.umask(previous)
    assert _mode(key_path.parent) == 0o700
    assert _mode(key_path) == 0o600
    lock = key_path.with_name(".local-keys.json.lock")
    assert _mode(lock) == 0o600
    document = json.loads(key_path.read_text())
    assert [k["id"] for k in document["keys"]] == [key_id]
    assert len(base64.b64decode(document["keys"][0]["material"])) == 32
    # no temporary file is left beside it
    assert sorted(p.name for p in key_path.parent.iterdir()) == [".local-keys.json.lock", "local-keys.json"]


def test_updates_keep_the_file_private(local: LocalKeyProvider, key_path: Path) -> None:
    previous = os.umask(0o000)
    try:
        local.add_key()
    finally:
        os.umask(previous)
    assert _mode(key_path) == 0o600


def test_key_id_is_derived_from_the_key_and_reveals_nothing_of_it(
    local: LocalKeyProvider, key_path: Path
) -> None:
    key_id = local.key_id
    assert LocalKeyProvider(key_path).key_id == key_id  # stable across processes
    material = base64.b64decode(json.loads(key_path.read_text())["keys"][0]["material"])
    assert key_id == keyfile.derive_key_id(material)
    assert material.hex()[:8] not in key_id
    assert keyfile.derive_key_id(os.urandom(32)) != key_id


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660])
def test_a_key_file_others_can_access_is_refused(local: LocalKeyProvider, key_path: Path, mode: int) -> None:
    local.key_id
    key_path.chmod(mode)
    with pytest.raises(KeyUnavailable, match="accessible to other users") as failure:
        LocalKeyProvider(key_path).key_id
    assert failure.value.hint == f"chmod 600 {key_path}"


def test_a_directory_others_can_write_is_refused(local: LocalKeyProvider, key_path: Path) -> None:
    local.key_id
    key_path.parent.chmod(0o777)
    try:
        with pytest.raises(KeyUnavailable, match="writable by other users"):
            LocalKeyProvider(key_path).key_id
    finally:
        key_path.parent.chmod(0o700)


def test_a_missing_file_is_never_recreated_once_read(local: LocalKeyProvider, key_path: Path) -> None:
    wrapped = local.wrap(DATA_KEY, context=CONTEXT)
    key_path.unlink()
    with pytest.raises(KeyUnavailable, match="missing"):
        local.unwrap(wrapped, context=CONTEXT)
    assert not key_path.exists()


def test_create_false_refuses_a_missing_file(key_path: Path) -> None:
    with pytest.raises(KeyUnavailable, match="missing"):
        LocalKeyProvider(key_path, create=False).key_id
    assert not key_path.exists()


def test_an_edited_key_is_refused_without_quoting_the_file(local: LocalKeyProvider, key_path: Path) -> None:
    local.key_id
    document = json.loads(key_path.read_text())
    material = bytearray(base64.b64decode(document["keys"][0]["material"]))
    material[0] ^= 1
    document["keys"][0]["material"] = base64.b64encode(bytes(material)).decode()
    key_path.write_text(json.dumps(document))
    with pytest.raises(KeyUnavailable, match="does not match its material") as failure:
        LocalKeyProvider(key_path).key_id
    assert document["keys"][0]["material"] not in str(failure.value)

    key_path.write_text(
        '{"format": "cloudwarden-local-keys/1", "keys": [{"id": "x", "material": "c2hvcnQ=", "created_at": ""}]}'
    )
    with pytest.raises(KeyUnavailable, match="not a valid CloudWarden key file") as failure:
        LocalKeyProvider(key_path).key_id
    assert "c2hvcnQ=" not in str(failure.value)


def test_wrap_binds_the_context_and_detects_tampering(local: LocalKeyProvider) -> None:
    wrapped = local.wrap(DATA_KEY, context=CONTEXT)
    assert DATA_KEY not in wrapped
    assert wrapping_key_id(wrapped) == local.key_id
    assert local.unwrap(wrapped, context=dict(reversed(CONTEXT.items()))) == DATA_KEY  # order is irrelevant
    for other in ({**CONTEXT, "workspace": "ws-2"}, {**CONTEXT, "extra": "x"}, {}):
        with pytest.raises(InvalidWrappedKey):
            local.unwrap(wrapped, context=other)
    altered = bytearray(wrapped)
    altered[-5] ^= 1
    with pytest.raises(InvalidWrappedKey):
        local.unwrap(bytes(altered), context=CONTEXT)
    for broken in (b"", b"CWK\x01", wrapped[:-20], b"XYZ" + wrapped):
        with pytest.raises(InvalidWrappedKey):
            local.unwrap(broken, context=CONTEXT)


def test_a_payload_reframed_under_another_known_key_fails(local: LocalKeyProvider) -> None:
    wrapped = local.wrap(DATA_KEY, context=CONTEXT)
    new_id = local.add_key()
    _, payload = unframe(wrapped)
    with pytest.raises(InvalidWrappedKey):
        local.unwrap(frame(new_id, payload), context=CONTEXT)


def test_a_key_from_another_key_file_is_unavailable(local: LocalKeyProvider, tmp_path: Path) -> None:
    other = LocalKeyProvider(tmp_path / "other" / "keys.json")
    with pytest.raises(KeyUnavailable, match="not in"):
        local.unwrap(other.wrap(DATA_KEY, context=CONTEXT), context=CONTEXT)


def test_the_newest_key_wraps_and_every_known_key_unwraps(local: LocalKeyProvider) -> None:
    first = local.key_id
    old = local.wrap(DATA_KEY, context=CONTEXT)
    second = local.add_key()
    assert local.key_id == second and local.key_ids == (first, second)
    assert wrapping_key_id(local.wrap(DATA_KEY, context=CONTEXT)) == second
    assert local.unwrap(old, context=CONTEXT) == DATA_KEY


def test_the_wrapping_key_or_an_unknown_key_cannot_be_removed(local: LocalKeyProvider) -> None:
    with pytest.raises(KeyUnavailable, match="wraps new data keys"):
        local.remove_key(local.key_id)
    with pytest.raises(KeyUnavailable, match="not in"):
        local.remove_key("local:000000000000000000000000")
    assert len(local.key_ids) == 1


def test_another_process_adding_a_key_is_seen_without_restart(
    local: LocalKeyProvider, key_path: Path
) -> None:
    first = local.key_id
    elsewhere = LocalKeyProvider(key_path)  # stands for the CLI running `keys rotate`
    second = elsewhere.add_key()
    wrapped_elsewhere = elsewhere.wrap(DATA_KEY, context=CONTEXT)
    assert local.key_id == second
    assert local.unwrap(wrapped_elsewhere, context=CONTEXT) == DATA_KEY
    elsewhere.remove_key(first)
    assert local.key_ids == (second,)


def test_concurrent_key_additions_all_survive(local: LocalKeyProvider, key_path: Path) -> None:
    # A lost update here would drop a key that may already wrap data keys: unrecoverable.
    local.key_id
    writers = 8
    barrier = threading.Barrier(writers)
    added: list[str] = []

    def add() -> None:
        provider = LocalKeyProvider(key_path)
        barrier.wait()
        added.append(provider.add_key())

    threads = [threading.Thread(target=add) for _ in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(added) <= set(LocalKeyProvider(key_path).key_ids)
    assert len(LocalKeyProvider(key_path).key_ids) == writers + 1


def test_default_path_lives_under_the_data_dir(tmp_path: Path) -> None:
    from cloudwarden.crypto.providers import default_local_key_path

    assert default_local_key_path(tmp_path) == tmp_path / "keys" / "local-keys.json"
