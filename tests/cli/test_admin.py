"""`cloudwarden admin bootstrap` (the first owner, once, never a default password) and `keys rotate`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from cloudwarden import runtime
from cloudwarden.cli.main import app
from cloudwarden.config import get_settings, load_settings
from cloudwarden.crypto.providers import KmsKeyProvider, LocalKeyProvider, default_local_key_path
from cloudwarden.errors import ConfigurationError
from cloudwarden.identity.config import key_provider
from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.store.tenancy import DEFAULT_WORKSPACE_ID, DataKeyRecord, Membership, User
from cloudwarden.vault import service as vault

PASSWORD = "quasar lantern pickle forty"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("CLOUDWARDEN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("CLOUDWARDEN_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


def bootstrap(email: str, password: str) -> object:
    return CliRunner().invoke(
        app,
        ["admin", "bootstrap", "--email", email, "--name", "Olga Owner", "--password-stdin", "--json"],
        input=password + "\n",
    )


def test_bootstrap_creates_the_owner_of_the_default_workspace_once(data_dir: Path) -> None:
    first = bootstrap("Olga@Example.com", PASSWORD)
    assert first.exit_code == 0, first.output  # type: ignore[attr-defined]
    assert json.loads(first.stdout)["email"] == "olga@example.com"  # type: ignore[attr-defined]
    factory = runtime.open_store(get_settings())
    with factory.begin() as db:
        user = db.scalars(select(User)).one()
        assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
        membership = db.scalars(select(Membership)).one()
        assert (membership.workspace_id, membership.role) == (DEFAULT_WORKSPACE_ID, "owner")
    again = bootstrap("someone@example.com", PASSWORD + " again")
    assert again.exit_code == 2  # type: ignore[attr-defined]
    assert json.loads(again.stdout)["error"]["code"] == "conflict"  # type: ignore[attr-defined]
    # development keys were generated once and kept private
    secrets_file = data_dir / "keys" / "service-secrets.json"
    assert secrets_file.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("password", ["password123456", "olgaowner2024!", "short"])
def test_bootstrap_refuses_a_weak_password_and_creates_nothing(data_dir: Path, password: str) -> None:
    result = bootstrap("olga@example.com", password)
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert json.loads(result.stdout)["error"]["code"] == "weak_password"  # type: ignore[attr-defined]
    with runtime.open_store(get_settings()).begin() as db:
        assert db.scalars(select(User)).all() == []


def test_bootstrap_without_a_password_source_is_refused(data_dir: Path) -> None:
    result = CliRunner().invoke(
        app, ["admin", "bootstrap", "--email", "a@example.com", "--name", "A"], input=""
    )
    assert result.exit_code == 2
    assert "--password-stdin" in result.output


def test_keys_rotate_rewraps_every_data_key_and_stored_secrets_still_open(data_dir: Path) -> None:
    settings = load_settings(data_dir=data_dir)
    factory = runtime.open_store(settings)
    provider = key_provider(settings)
    with factory.begin() as db:
        token = vault.seal(
            db, provider=provider, workspace_id=None, field="users.totp_secret", row="u1", value="S3CRET"
        )
        sealed_ws = vault.seal(
            db,
            provider=provider,
            workspace_id=DEFAULT_WORKSPACE_ID,
            field="channels.token",
            row="c1",
            value="xoxb",
        )
        before = {r.key_id: r.wrapping_key_id for r in db.scalars(select(DataKeyRecord))}
    old_key = provider.key_id

    result = CliRunner().invoke(app, ["keys", "rotate", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rewrapped"] == 2

    fresh = LocalKeyProvider(default_local_key_path(data_dir), create=False)
    assert fresh.key_ids == (fresh.key_id,) and fresh.key_id != old_key  # the old key is gone
    with factory.begin() as db:
        after = {r.key_id: r.wrapping_key_id for r in db.scalars(select(DataKeyRecord))}
        assert after.keys() == before.keys() and set(after.values()) == {fresh.key_id}
        assert (
            vault.unseal(
                db, provider=fresh, workspace_id=None, field="users.totp_secret", row="u1", token=token
            )
            == "S3CRET"
        )
        assert (
            vault.unseal(
                db,
                provider=fresh,
                workspace_id=DEFAULT_WORKSPACE_ID,
                field="channels.token",
                row="c1",
                token=sealed_ws,
            )
            == "xoxb"
        )
    factory.kw["bind"].dispose()


def test_outside_development_a_missing_key_file_or_default_secret_stops_the_service(
    tmp_path: Path,
) -> None:
    from cloudwarden.identity.config import from_settings

    base = {
        "environment": "production",
        "data_dir": tmp_path,
        "principal_arn": "arn:aws:iam::123456789012:role/CloudWardenService",
        "jwt_secret": "x" * 48,
        "backup_code_pepper": "y" * 48,
    }
    with pytest.raises(ConfigurationError, match="key file"):
        from_settings(load_settings(**base))
    keyfile = tmp_path / "keys.json"
    LocalKeyProvider(keyfile).key_id
    assert from_settings(load_settings(**base, key_file=keyfile)).access.key.ephemeral is False
    for field, value, variable in [
        ("jwt_secret", "changeme", "CLOUDWARDEN_JWT_SECRET"),
        ("jwt_secret", "", "CLOUDWARDEN_JWT_SECRET"),
        ("backup_code_pepper", "short", "CLOUDWARDEN_BACKUP_CODE_PEPPER"),
        ("principal_arn", "arn:aws:iam::111111111111:root", "CLOUDWARDEN_PRINCIPAL_ARN"),
    ]:
        with pytest.raises(ConfigurationError, match=variable):
            from_settings(load_settings(**{**base, "key_file": keyfile, field: value}))


def test_the_kms_key_provider_from_settings_seals_through_the_simulated_kms(
    data_dir: Path, sim: SimulatorClient
) -> None:
    key_arn = sim.client("kms").create_key(Description="cloudwarden data keys")["KeyMetadata"]["Arn"]
    settings = load_settings(
        data_dir=data_dir, simulator_url=sim.endpoint, key_provider="kms", kms_key_arn=key_arn
    )
    provider = key_provider(settings)
    assert isinstance(provider, KmsKeyProvider) and provider.key_id == key_arn
    factory = runtime.open_store(settings)
    with factory.begin() as db:
        token = vault.seal(
            db, provider=provider, workspace_id=None, field="users.totp_secret", row="u1", value="S"
        )
        wrapped = db.scalars(select(DataKeyRecord.wrapping_key_id)).one()
    assert wrapped == key_arn
    with factory.begin() as db:
        assert (
            vault.unseal(
                db, provider=provider, workspace_id=None, field="users.totp_secret", row="u1", token=token
            )
            == "S"
        )
    factory.kw["bind"].dispose()
    with pytest.raises(ConfigurationError, match="CLOUDWARDEN_KMS_KEY_ARN"):
        key_provider(load_settings(data_dir=data_dir, key_provider="kms"))
