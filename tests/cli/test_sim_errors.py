"""The simulated account's commands fail as one line with the documented exit code."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cloudwarden.cli.main import app
from cloudwarden.config import get_settings


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    for name in ("SIMULATOR_URL", "AWS_ENDPOINT_URL", "DATABASE_URL"):
        monkeypatch.delenv(f"CLOUDWARDEN_{name}", raising=False)
    monkeypatch.setenv("CLOUDWARDEN_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.strip()]


def test_inject_into_a_simulator_that_is_down_is_unreachable(cli: CliRunner) -> None:
    result = cli.invoke(app, ["sim", "inject", "bad_deploy", "--endpoint", "http://127.0.0.1:9"])
    assert result.exit_code == 4, result.output
    lines = _lines(result.stderr)
    assert len(lines) == 2 and lines[0].startswith(
        "error: cannot reach the simulated account at http://127.0.0.1:9"
    )
    assert "CLOUDWARDEN_SIMULATOR_URL" in lines[1]


@pytest.mark.parametrize("command", [["sim", "onboard"], ["sim", "reset"]])
def test_onboard_and_reset_refuse_without_the_simulator_setting(cli: CliRunner, command: list[str]) -> None:
    result = cli.invoke(app, command)
    assert result.exit_code == 2
    assert _lines(result.stderr)[0] == (
        "error: CLOUDWARDEN_SIMULATOR_URL is not set: this command works on the simulated account only"
    )


def test_sim_up_on_a_port_in_use_says_so(cli: CliRunner) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli.invoke(app, ["sim", "up", "--port", str(port)])
    assert result.exit_code == 2
    assert _lines(result.stderr)[0] == f"error: port {port} is already in use"
