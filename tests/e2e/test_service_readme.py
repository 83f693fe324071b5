"""The README's "service, start to finish" block runs as written: a real `cloudwarden serve`
process (uvicorn), the first owner from `admin bootstrap`, 2FA, an invitation, the simulated
account connected through the API, and an incident diagnosed and read by the invited responder.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.e2e.test_sim_readme import free_port, readme_block, run_block


def test_the_readme_service_journey_runs_start_to_finish(tmp_path: Path) -> None:
    block = readme_block("The service, start to finish")
    for step in (
        "admin bootstrap",
        "cloudwarden serve",
        "/2fa/confirm",
        "/invitations/accept",
        "/investigations",
    ):
        assert step in block
    ports = block.replace("5055", str(free_port())).replace("8000", str(free_port()))
    result = run_block(ports, tmp_path / "data")
    text = result.stdout + result.stderr
    assert result.returncode == 0, text[-3000:]
    assert "Traceback" not in text
    lines = result.stdout.splitlines()
    assert "owner@example.com is the owner of workspace Default" in " ".join(result.stdout.split())
    assert any(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", line) for line in lines), text[
        -2000:
    ]  # a backup code
    sources = [line for line in lines if line.endswith((": true", ": false"))]
    assert sources and all(line.endswith(": true") for line in sources), sources
    assert re.search(r"^bad_deploy on \S+", result.stdout, re.M), text[-3000:]
