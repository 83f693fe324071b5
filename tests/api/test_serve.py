"""`cloudwarden serve`: the real server process (uvicorn) on a fresh data directory, and its errors."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from cloudwarden.cli.main import app
from cloudwarden.config import get_settings
from tests.conftest import REDIS_URL_ENV, throwaway_postgres_schema


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _environment(**variables: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDWARDEN_", "AWS_"))}
    env.update(COLUMNS="200", **variables)
    return env


def _start(args: list[str], env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "cloudwarden.cli.main", "serve", "--port", str(port), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # its own process group: --reload's worker is stopped with it
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    return process, base
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "serve did not answer /healthz:\n" + log.read_text()
            time.sleep(0.2)
    except BaseException:
        _kill(process)
        raise


def _kill(process: subprocess.Popen[bytes]) -> None:
    """After a failure: the server and anything it started (its own process group)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=20)


def _stop(process: subprocess.Popen[bytes], log: Path) -> str:
    process.send_signal(signal.SIGTERM)
    try:
        code = process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        _kill(process)
        raise AssertionError("SIGTERM did not stop cloudwarden serve:\n" + log.read_text()) from None
    output = log.read_text()
    assert code == 0, output
    assert "Traceback" not in output, output
    return output


@pytest.fixture
def server_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The variables that choose the store: a fresh data directory, or a PostgreSQL schema."""
    if request.param == "sqlite":
        yield {"CLOUDWARDEN_DATA_DIR": str(tmp_path / "fresh-clone" / ".cloudwarden")}
        return
    server_url: str = request.getfixturevalue("postgres_url")
    for url in throwaway_postgres_schema(server_url):
        yield {"CLOUDWARDEN_DATA_DIR": str(tmp_path / "data"), "CLOUDWARDEN_DATABASE_URL": url}


@pytest.mark.parametrize(
    "server_database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_serve_answers_over_http_and_stops_cleanly_on_sigterm(
    server_database: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    process, base = _start([], _environment(**server_database), log)
    try:
        health = httpx.get(f"{base}/healthz", timeout=5)
        assert health.json() == {"status": "ok"}
        ready = httpx.get(f"{base}/readyz", timeout=5)
        assert ready.status_code == 200 and ready.json() == {"database": "ok", "migrations": "current"}
        assert ready.headers["strict-transport-security"].startswith("max-age=")
        assert ready.headers["content-security-policy"].startswith("default-src 'none'")
        assert "server" not in ready.headers  # no version banner
        missing = httpx.get(f"{base}/api/v1/nope", timeout=5)
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
        document = httpx.get(f"{base}/api/v1/openapi.json", timeout=5).json()
        assert document["openapi"].startswith("3.")
        # The console, at the root: anonymous people are sent to its sign-in page.
        front = httpx.get(f"{base}/", timeout=5, follow_redirects=True)
        assert front.status_code == 200 and str(front.url) == f"{base}/sign-in"
        assert '<h1 id="sign-in-title">Sign in</h1>' in front.text
        assert httpx.get(f"{base}/static/htmx.min.js", timeout=5).status_code == 200
    except BaseException:
        _kill(process)
        raise
    output = _stop(process, log)
    assert f"CloudWarden API at {base}/api/v1" in output and f"console: {base}/" in output
    if "CLOUDWARDEN_DATABASE_URL" not in server_database:
        assert (Path(server_database["CLOUDWARDEN_DATA_DIR"]) / "cloudwarden.db").exists()


def test_serve_with_reload_answers_and_stops_cleanly(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    env = _environment(CLOUDWARDEN_DATA_DIR=str(tmp_path / "data"))
    process, base = _start(["--reload"], env, log)
    try:
        assert httpx.get(f"{base}/readyz", timeout=5).status_code == 200
    except BaseException:
        _kill(process)
        raise
    _stop(process, log)


def test_several_server_processes_answer_and_stop_cleanly(tmp_path: Path) -> None:
    broker = os.environ.get(REDIS_URL_ENV)
    if not broker:
        pytest.skip(f"several server processes need a broker: set {REDIS_URL_ENV} (CI sets it)")
    log = tmp_path / "serve.log"
    env = _environment(CLOUDWARDEN_DATA_DIR=str(tmp_path / "data"), CLOUDWARDEN_BROKER_URL=broker)
    process, base = _start(["--workers", "2"], env, log)
    try:
        assert httpx.get(f"{base}/readyz", timeout=5).status_code == 200
    except BaseException:
        _kill(process)
        raise
    output = _stop(process, log)
    assert "error" not in output.lower(), output


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    for name in ("SIMULATOR_URL", "AWS_ENDPOINT_URL", "DATABASE_URL", "API_HOST", "API_PORT"):
        monkeypatch.delenv(f"CLOUDWARDEN_{name}", raising=False)
    monkeypatch.setenv("CLOUDWARDEN_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _one_error(result: object, exit_code: int) -> str:
    assert result.exit_code == exit_code, result.output  # type: ignore[attr-defined]
    assert "Traceback" not in result.output  # type: ignore[attr-defined]
    lines = [line for line in result.stderr.splitlines() if line.strip()]  # type: ignore[attr-defined]
    assert 1 <= len(lines) <= 2 and lines[0].startswith("error: "), lines
    return "\n".join(lines)


def test_a_port_in_use_is_one_line(cli: CliRunner) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        text = _one_error(cli.invoke(app, ["serve", "--port", str(port)]), 2)
    assert f"port {port} on 127.0.0.1 is in use" in text and "--port" in text


def test_the_port_setting_is_used_and_checked(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDWARDEN_API_PORT", "70000")
    text = _one_error(cli.invoke(app, ["serve"]), 2)
    assert "CLOUDWARDEN_API_PORT" in text and "65535" in text


def test_a_database_that_cannot_be_reached_is_one_line_before_anything_listens(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUDWARDEN_DATABASE_URL", "postgresql://cw:s3cret-pw@127.0.0.1:1/cloudwarden")
    port = _free_port()
    text = _one_error(cli.invoke(app, ["serve", "--port", str(port)]), 4)
    assert "cannot reach the database server" in text and "s3cret-pw" not in text
    with socket.socket() as probe:  # nothing was left listening
        probe.bind(("127.0.0.1", port))


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({}, "CLOUDWARDEN_PRINCIPAL_ARN"),
        ({"PRINCIPAL_ARN": "arn:aws:iam::123456789012:role/CloudWarden"}, "CLOUDWARDEN_JWT_SECRET"),
        (
            {"PRINCIPAL_ARN": "arn:aws:iam::123456789012:role/CloudWarden", "JWT_SECRET": "changeme"},
            "CLOUDWARDEN_JWT_SECRET",
        ),
        (
            {
                "PRINCIPAL_ARN": "arn:aws:iam::123456789012:role/CloudWarden",
                "JWT_SECRET": "j" * 48,
                "BACKUP_CODE_PEPPER": "p" * 48,
            },
            "key file",
        ),
    ],
)
def test_in_production_default_secrets_stop_the_server_before_it_listens(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, settings: dict[str, str], named: str
) -> None:
    monkeypatch.setenv("CLOUDWARDEN_ENVIRONMENT", "production")
    for name in ("PRINCIPAL_ARN", "JWT_SECRET", "BACKUP_CODE_PEPPER", "KEY_FILE"):
        monkeypatch.delenv(f"CLOUDWARDEN_{name}", raising=False)
    for name, value in settings.items():
        monkeypatch.setenv(f"CLOUDWARDEN_{name}", value)
    text = _one_error(cli.invoke(app, ["serve", "--port", str(_free_port())]), 2)
    assert named in text
    assert "changeme" not in text
