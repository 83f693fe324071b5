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


def readme_block(heading: str) -> str:
    """The ```sh block of the README's section `heading` (## level)."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match, f"the README's section {heading!r} has no ```sh block"
    return match.group(1)


def run_block(block: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    """Run a README block in bash as a user would: no CLOUDWARDEN_ or AWS_ variable of ours, its own data."""
    script = "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null' EXIT\n" + block
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDWARDEN_", "AWS_"))}
    env["CLOUDWARDEN_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        ["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_readme_sequence_runs_start_to_finish(tmp_path: Path) -> None:
    block = readme_block("The simulated account on its own")
    assert "sim onboard" in block and block.count("sim inject") == 2 and "sim reset" in block
    assert "aws " not in block, "the README must not need another AWS client"
    result = run_block(block.replace("5055", str(free_port())), tmp_path / "data")
    text = result.stdout + result.stderr
    assert result.returncode == 0, text[-3000:]
    assert "Traceback" not in text
    answers = re.findall(r"most likely ([a-z ]+?) on ", " ".join(result.stdout.split()))
    assert answers == ["network block", "bad deploy"], text[-3000:]
    assert "is already injected" not in text
