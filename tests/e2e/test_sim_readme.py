"""The README's "simulated account on its own" block runs as written, with CloudWarden alone.

The block is read from the README itself, so the README and this test cannot drift apart: two
scenarios in one `sim up`, each onboarded, injected and investigated to the right answer.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _readme_block() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## The simulated account on its own", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match, "the README's simulated-account section has no ```sh block"
    return match.group(1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_readme_sequence_runs_start_to_finish(tmp_path: Path) -> None:
    block = _readme_block()
    assert "sim onboard" in block and block.count("sim inject") == 2 and "sim reset" in block
    assert "aws " not in block, "the README must not need another AWS client"
    port = str(_free_port())
    script = "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null' EXIT\n" + block.replace("5055", port)
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("CLOUDWARDEN_") and not k.startswith("AWS_")
    }
    env["CLOUDWARDEN_DATA_DIR"] = str(tmp_path / "data")
    result = subprocess.run(
        ["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    text = result.stdout + result.stderr
    assert result.returncode == 0, text[-3000:]
    assert "Traceback" not in text
    answers = re.findall(r"most likely ([a-z ]+?) on ", " ".join(result.stdout.split()))
    assert answers == ["network block", "bad deploy"], text[-3000:]
    assert "is already injected" not in text
