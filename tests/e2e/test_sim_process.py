"""`cloudwarden sim up` as its own process, shared by `sim inject` and the CLI."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from cloudwarden.cli.main import app
from cloudwarden.simulator.client import SimulatorClient


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_sim_up_then_inject_fires_the_scenario_alarm(tmp_path: Path) -> None:
    port = _free_port()
    log = (tmp_path / "sim.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "cloudwarden.cli.main", "sim", "up", "--port", str(port), "--tick", "0"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "COLUMNS": "200"},
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while f"127.0.0.1:{port}" not in (tmp_path / "sim.log").read_text():
            assert process.poll() is None, (tmp_path / "sim.log").read_text()
            assert time.monotonic() < deadline, "sim up did not print its endpoint"
            time.sleep(0.5)
        result = CliRunner().invoke(app, ["sim", "inject", "throttling", "--endpoint", endpoint, "--json"])
        assert result.exit_code == 0, result.output
        alarm = (
            SimulatorClient(endpoint)
            .client("cloudwatch")
            .describe_alarms(AlarmNames=["image-resizer-throttled"])
        )
        assert alarm["MetricAlarms"][0]["StateValue"] == "ALARM"
        # A second scenario would land on top of the first one's changes: refused, saying why.
        again = CliRunner().invoke(app, ["sim", "inject", "bad_deploy", "--endpoint", endpoint])
        assert again.exit_code == 2
        assert "scenario throttling is already injected" in again.stderr and "sim reset" in again.stderr
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()
