"""Write a run's JSON (from `python -m heldout.run --json`) as a Markdown result page.

python -m heldout.report RESULT.json OUT.md --engine-commit SHA
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from heldout.run import Row, table


def _rate(entry: dict[str, Any]) -> str:
    if not entry["of"]:
        return "n/a"
    return f"{entry['hits']}/{entry['of']} = {entry['rate']:.2f}"


def render(data: dict[str, Any], *, engine_commit: str) -> str:
    rows = [Row(**r) for r in data["rows"]]
    t = data["totals"]
    lines = [
        f"# Held-out {data['batch']}: blind result",
        "",
        f"- Command: `{data['command']}` (from the worktree root, `.venv/bin/python`)",
        f"- Date: {data['date']}",
        f"- Engine: commit `{engine_commit}` (the main line the held-out branch was cut from; the engine was not changed)",
        f"- Incidents: {t['incidents']} ({t['scored']} scored); seed {data['seed']}; wall {data['wall_seconds']} s",
        "- Written blind: the author read no rule code and no shipped scenario (see ../README.md).",
        "",
        "## Totals",
        "",
        "| measure | result |",
        "|---|---|",
        f"| AC@1, all incidents (no-fault by its own rule) | {_rate(t['ac1_all'])} |",
        f"| AC@3, all incidents | {_rate(t['ac3_all'])} |",
        f"| correct by each incident's own rule | {_rate(t['correct_all'])} |",
        f"| AC@1, incidents with a fault | {_rate(t['ac1_faulty'])} |",
        f"| AC@3, incidents with a fault | {_rate(t['ac3_faulty'])} |",
        f"| resource AC@1, incidents with a fault | {_rate(t['resource_ac1_faulty'])} |",
        f"| single-fault AC@1 | {_rate(t['single_ac1'])} |",
        f"| single-fault AC@3 | {_rate(t['single_ac3'])} |",
        f"| two-fault correct (both in top 3) | {_rate(t['two_fault_correct'])} |",
        f"| no-fault correct (top confidence < 0.4 or none) | {_rate(t['no_fault_correct'])} |",
        f"| AWS calls per investigation, p50 / max | {t['aws_calls']['p50']:.0f} / {t['aws_calls']['max']:.0f} |",
        f"| time to diagnosis, p50 / max (ms) | {t['time_to_diagnosis_ms']['p50']:.0f} / "
        f"{t['time_to_diagnosis_ms']['max']:.0f} |",
        "",
        "## Per incident",
        "",
        "Y = right, . = wrong, - = not applicable. ok = the incident's own rule (single: AC@1; two-fault: "
        "both causes in the top 3; no-fault: top confidence below 0.4).",
        "",
        table(rows),
        "",
    ]
    if t["errors"]:
        lines += ["## Errors", ""] + [f"- {e['name']}: {e['error']}" for e in t["errors"]] + [""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m heldout.report")
    parser.add_argument("result")
    parser.add_argument("out")
    parser.add_argument("--engine-commit", required=True)
    args = parser.parse_args(argv)
    data = json.loads(Path(args.result).read_text())
    Path(args.out).write_text(render(data, engine_commit=args.engine_commit))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
