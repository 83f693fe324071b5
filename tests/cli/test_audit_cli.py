"""What the CLI changes or reads is in the audit log, and `audit verify` finds tampering."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cloudwarden.cli.main import app
from cloudwarden.config import get_settings

ROLE = "arn:aws:iam::123456789012:role/CloudWardenReadOnly"


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    for name in ("AWS_ENDPOINT_URL", "DATABASE_URL"):
        monkeypatch.delenv(f"CLOUDWARDEN_{name}", raising=False)
    monkeypatch.setenv("CLOUDWARDEN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CLOUDWARDEN_SIMULATOR_URL", "http://127.0.0.1:9")  # nothing answers
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_connect_investigate_and_remove_are_recorded_and_the_chain_verifies(
    cli: CliRunner, tmp_path: Path
) -> None:
    assert cli.invoke(app, ["connect", "--role-arn", ROLE]).exit_code == 4  # registered, unreachable
    assert cli.invoke(app, ["investigate", "--alarm", "api-5xx"]).exit_code == 4
    assert cli.invoke(app, ["accounts", "remove", "123456789012", "--yes"]).exit_code == 0
    entries = json.loads(cli.invoke(app, ["audit", "export", "--format", "json"]).stdout)
    assert [(e["action"], e["outcome"]) for e in entries] == [
        ("account.register", "success"),
        ("incident.investigate", "failure"),
        ("account.remove", "success"),
    ]
    assert all(e["actor"].startswith("cli:") for e in entries)
    assert entries[1]["details"]["error"] == "unreachable"
    verified = cli.invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0 and "3 entries" in verified.stdout

    # Someone with the database file rewrites history, going around the append-only trigger.
    with sqlite3.connect(tmp_path / "cloudwarden.db") as connection:
        connection.execute("DROP TRIGGER audit_entries_no_update")
        connection.execute("UPDATE audit_entries SET actor = 'cli:nobody' WHERE seq = 2")
    broken = cli.invoke(app, ["audit", "verify"])
    assert broken.exit_code == 6
    assert "broken at entry 2: entry 2 was changed after it was written" in broken.stderr
    as_json = json.loads(cli.invoke(app, ["audit", "verify", "--json"]).stdout)
    assert as_json["error"]["code"] == "integrity" and as_json["first_broken"] == 2
