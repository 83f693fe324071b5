"""A bad CLOUDWARDEN_* setting is one line naming the variable, exit 2, on every command; never a traceback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cloudwarden.cli.main import app
from cloudwarden.config import get_settings


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    for name in ("SIMULATOR_URL", "AWS_ENDPOINT_URL", "LOG_LEVEL"):
        monkeypatch.delenv(f"CLOUDWARDEN_{name}", raising=False)
    monkeypatch.setenv("CLOUDWARDEN_DATABASE_URL", f"sqlite:///{tmp_path / 'cw.db'}")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("CLOUDWARDEN_CREDENTIAL_TTL_SECONDS", "abc", "valid integer"),
        ("CLOUDWARDEN_CREDENTIAL_TTL_SECONDS", "5000", "less than or equal to 600"),
        ("CLOUDWARDEN_CREDENTIAL_TTL_SECONDS", "10", "greater than or equal to 60"),
        ("CLOUDWARDEN_LOOKBACK_MINUTES", "0", "greater than or equal to 15"),
        ("CLOUDWARDEN_AWS_MAX_ATTEMPTS", "99", "less than or equal to 10"),
        ("CLOUDWARDEN_LOG_LEVEL", "verbose", "DEBUG, INFO, WARNING, ERROR"),
        ("CLOUDWARDEN_AWS_ENDPOINT_URL", "not-a-url", "http:// or https:// URL"),
        ("CLOUDWARDEN_SIMULATOR_URL", "http://127.0.0.1:99999", "invalid port"),
        ("CLOUDWARDEN_ENVIRONMENT", "staging", "development"),
        (
            "CLOUDWARDEN_PRINCIPAL_ARN",
            "arn:aws:iam::123456789012:group/ops",
            "the resource must be role/<name>",
        ),
        ("CLOUDWARDEN_GITHUB_REPOSITORIES", "{not json", "CLOUDWARDEN_GITHUB_REPOSITORIES is not valid JSON"),
    ],
)
@pytest.mark.parametrize("command", [["accounts"], ["investigate", "--alarm", "a"], ["purge", "--json"]])
def test_a_bad_setting_names_its_variable(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, says: str, command: list[str]
) -> None:
    monkeypatch.setenv(variable, value)
    result = cli.invoke(app, command)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    if "--json" in command:
        error = json.loads(result.stdout)["error"]
        assert error["code"] == "configuration"
        text = error["message"]
    else:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) <= 2 and lines[0].startswith("error: "), lines
        text = lines[0]
    assert variable in text and says in text, text


def test_both_simulator_and_endpoint_urls_are_refused(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUDWARDEN_SIMULATOR_URL", "http://127.0.0.1:5055")
    monkeypatch.setenv("CLOUDWARDEN_AWS_ENDPOINT_URL", "https://sts.us-east-1.amazonaws.com")
    result = cli.invoke(app, ["accounts"])
    assert result.exit_code == 2
    assert "CLOUDWARDEN_SIMULATOR_URL and CLOUDWARDEN_AWS_ENDPOINT_URL are both set" in result.stderr


@pytest.mark.parametrize("level", ["debug", "Info", "WARNING", " error "])
def test_the_log_level_is_accepted_in_any_case(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, level: str
) -> None:
    monkeypatch.setenv("CLOUDWARDEN_LOG_LEVEL", level)
    result = cli.invoke(app, ["accounts", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []
