"""A store CloudWarden cannot open is one line naming the setting, with the right exit code.

Never a traceback, never a password, nothing half-created; the SQLite file holds ExternalIds,
so it and the directories created for it are private to the user.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cloudwarden.cli.main import app
from cloudwarden.config import get_settings


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    for name in ("SIMULATOR_URL", "AWS_ENDPOINT_URL", "DATABASE_URL", "DATA_DIR"):
        monkeypatch.delenv(f"CLOUDWARDEN_{name}", raising=False)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _one_error(result: object, exit_code: int) -> str:
    assert result.exit_code == exit_code, result.output  # type: ignore[attr-defined]
    assert "Traceback" not in result.output  # type: ignore[attr-defined]
    lines = [line for line in result.stderr.splitlines() if line.strip()]  # type: ignore[attr-defined]
    assert 1 <= len(lines) <= 2 and lines[0].startswith("error: "), lines
    return "\n".join(lines)


def _postgres_server() -> str:
    url = os.environ.get("CLOUDWARDEN_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("CLOUDWARDEN_TEST_POSTGRES_URL is not set: no PostgreSQL server to test against")
    return url.rsplit("/", 1)[0]


def test_a_postgres_database_that_does_not_exist_is_a_configuration_error(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUDWARDEN_DATABASE_URL", _postgres_server() + "/cloudwarden_no_such_database")
    text = _one_error(cli.invoke(app, ["accounts"]), 2)
    assert "cloudwarden_no_such_database" in text and "does not exist" in text
    assert "CLOUDWARDEN_DATABASE_URL" in text


def test_a_postgres_server_that_is_down_is_unreachable_and_the_password_stays_hidden(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUDWARDEN_DATABASE_URL", "postgresql://cw:s3cret-pw@127.0.0.1:1/cloudwarden")
    result = cli.invoke(app, ["accounts"])
    text = _one_error(result, 4)
    assert "cannot reach the database server" in text and "CLOUDWARDEN_DATABASE_URL" in text
    assert "s3cret-pw" not in result.output
    as_json = cli.invoke(app, ["accounts", "--json"])
    assert as_json.exit_code == 4 and json.loads(as_json.stdout)["error"]["code"] == "unreachable"
    assert "s3cret-pw" not in as_json.output


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CLOUDWARDEN_DATABASE_URL", "sqlite:///{file}/cw.db"),  # a directory that is a file
        ("CLOUDWARDEN_DATABASE_URL", "sqlite:////proc/cloudwarden/cw.db"),  # cannot ever exist
        ("CLOUDWARDEN_DATA_DIR", "{file}/data"),
        ("CLOUDWARDEN_DATABASE_URL", "mysql://u@127.0.0.1/cw"),
        ("CLOUDWARDEN_DATABASE_URL", "not a url"),
    ],
)
def test_an_impossible_store_names_its_setting(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, variable: str, value: str
) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    monkeypatch.setenv(variable, value.format(file=a_file))
    text = _one_error(cli.invoke(app, ["accounts"]), 2)
    assert variable in text, text


def test_the_sqlite_store_is_private_to_the_user(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CLOUDWARDEN_DATA_DIR", str(tmp_path / "new" / "data"))
    result = cli.invoke(
        app, ["connect", "--role-arn", "arn:aws:iam::123456789012:role/CloudWardenReadOnly", "--json"]
    )
    assert "Traceback" not in result.output
    files = list((tmp_path / "new" / "data").glob("cloudwarden.db*"))
    assert any(f.name == "cloudwarden.db" for f in files)
    for path in [*files, tmp_path / "new" / "data", tmp_path / "new"]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path} is {oct(mode)}"
