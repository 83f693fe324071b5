"""Run every shipped scenario through the full demo journey and report what was measured.

    .venv/bin/python bench/demo_scenarios.py --seeds 3 [--json]

Per scenario and seed: whether the top hypothesis names the true resource and fault, the time
from the alarm notification arriving to the diagnosis being stored, and the AWS API calls the
investigation made. This is the foundation's figure; the generated-case benchmark with
baselines is `cloudwarden bench diagnose` (a later issue).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

from cloudwarden.config import Settings
from cloudwarden.demo import run_demo
from cloudwarden.simulator import scenario
from cloudwarden.simulator.server import SimulatorServer


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=3, help="noise seeds per scenario")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    server = SimulatorServer(tick_seconds=0).start()
    rows = []
    try:
        for name in sorted(scenario.load_all()):
            for seed in range(1, args.seeds + 1):
                folder = Path(tempfile.mkdtemp(prefix="cw-bench-"))
                settings = Settings(data_dir=folder, database_url=f"sqlite:///{folder / 'cw.db'}")
                run = run_demo(name, settings=settings, server=server, seed=seed)
                rows.append(
                    {
                        "scenario": name,
                        "seed": seed,
                        "correct": run.correct(),
                        "top": [run.diagnosis.hypotheses[0].fault, run.diagnosis.hypotheses[0].resource_name]
                        if run.diagnosis.hypotheses
                        else None,
                        "time_to_diagnosis_ms": run.time_to_diagnosis_ms,
                        "aws_calls": run.diagnosis.aws_calls,
                    }
                )
    finally:
        server.stop()
    times = sorted(r["time_to_diagnosis_ms"] for r in rows)
    calls = [r["aws_calls"] for r in rows]
    summary = {
        "runs": len(rows),
        "top1_correct": sum(r["correct"] for r in rows),
        "accuracy_at_1": round(sum(r["correct"] for r in rows) / len(rows), 3),
        "time_to_diagnosis_ms_p50": statistics.median(times),
        "time_to_diagnosis_ms_p95": times[min(len(times) - 1, int(0.95 * len(times)))],
        "aws_calls_p50": statistics.median(calls),
        "aws_calls_max": max(calls),
    }
    if args.json:
        print(json.dumps({"summary": summary, "runs": rows}, indent=2))
        return
    for r in rows:
        mark = "ok " if r["correct"] else "MISS"
        timing = f"{r['time_to_diagnosis_ms']:>6} ms {r['aws_calls']:>3} calls"
        print(f"{mark} {r['scenario']:<26} seed={r['seed']} {timing}  top={r['top']}")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
