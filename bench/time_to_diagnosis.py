"""Time to diagnosis with realistic AWS latency: every shipped scenario, concurrent vs sequential.

    .venv/bin/python bench/time_to_diagnosis.py --seeds 1 [--workers 8] [--no-sequential] [--json]

The simulated account answers each API call after a latency drawn from a per-API p50/p95 table
(simulator/patches/latency.py: LookupEvents ~450 ms, FilterLogEvents ~380 ms, Describe* ~100-200
ms) and throttles CloudTrail LookupEvents beyond 2 requests per second, as AWS does. Each
scenario runs the full demo journey (bench/demo_scenarios.py): time to diagnosis is from the
alarm notification arriving through SNS to the diagnosis being stored; "collect" is the evidence
collection inside it. Collection runs with `--workers` concurrent reads, and (unless
--no-sequential) again with one worker, the sequential baseline, on the same scenario and seed.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import shlex
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

from cloudwarden.config import Settings
from cloudwarden.demo import run_demo
from cloudwarden.evidence import collect as collect_module
from cloudwarden.incidents import flows as incident_flows
from cloudwarden.simulator import scenario
from cloudwarden.simulator.patches import latency
from cloudwarden.simulator.server import SimulatorServer


@contextmanager
def collection(workers: int, timings: list[float]) -> Iterator[None]:
    """Collect with `workers` concurrent reads, and time each collection (appended to `timings`)."""
    original: Callable[..., Any] = collect_module.collect

    @functools.wraps(original)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            timings.append((time.perf_counter() - started) * 1000)

    with (
        mock.patch.object(collect_module, "MAX_WORKERS", workers),
        mock.patch.object(incident_flows, "collect", timed),
    ):
        yield


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def summarise(mode: str, workers: int, rows: list[dict[str, Any]]) -> dict[str, Any]:
    times = [r["time_to_diagnosis_ms"] for r in rows]
    collects = [r["collect_ms"] for r in rows]
    calls = [r["aws_calls"] for r in rows]
    return {
        "mode": mode,
        "workers": workers,
        "runs": len(rows),
        "top1_correct": sum(r["correct"] for r in rows),
        "time_to_diagnosis_ms_p50": round(statistics.median(times)),
        "time_to_diagnosis_ms_p95": round(percentile(times, 0.95)),
        "collect_ms_p50": round(statistics.median(collects)),
        "collect_ms_p95": round(percentile(collects, 0.95)),
        "aws_calls_p50": statistics.median(calls),
        "aws_calls_max": max(calls),
        "throttled_calls": sum(r["throttled"] for r in rows),
    }


def markdown(summaries: list[dict[str, Any]]) -> str:
    lines = [
        "| collection | runs | top-1 correct | time to diagnosis p50 | p95 | collect p50 | p95 "
        "| AWS calls p50 (max) | throttled |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for s in summaries:
        lines.append(
            f"| {s['mode']} ({s['workers']} worker{'s' if s['workers'] != 1 else ''}) | {s['runs']} "
            f"| {s['top1_correct']}/{s['runs']} | {s['time_to_diagnosis_ms_p50'] / 1000:.2f} s "
            f"| {s['time_to_diagnosis_ms_p95'] / 1000:.2f} s | {s['collect_ms_p50'] / 1000:.2f} s "
            f"| {s['collect_ms_p95'] / 1000:.2f} s | {s['aws_calls_p50']:g} ({s['aws_calls_max']}) "
            f"| {s['throttled_calls']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=1, help="noise seeds per scenario")
    parser.add_argument("--workers", type=int, default=collect_module.MAX_WORKERS, help="concurrent reads")
    parser.add_argument("--no-sequential", action="store_true", help="skip the one-worker baseline")
    parser.add_argument("--latency-seed", type=int, default=1, help="seed of the latency draws")
    parser.add_argument("--scenario", action="append", help="only these scenarios (repeatable)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    modes = [("concurrent", args.workers)] + ([] if args.no_sequential else [("sequential", 1)])
    names = sorted(args.scenario or scenario.load_all())
    command = "$ .venv/bin/python " + shlex.join(["bench/time_to_diagnosis.py", *sys.argv[1:]])

    server = SimulatorServer(tick_seconds=0, latency=latency.realistic(args.latency_seed)).start()
    rows: dict[str, list[dict[str, Any]]] = {mode: [] for mode, _ in modes}
    try:
        for name in names:
            for seed in range(1, args.seeds + 1):
                for mode, workers in modes:  # interleaved: both see the same machine load
                    folder = Path(tempfile.mkdtemp(prefix="cw-ttd-"))
                    settings = Settings(data_dir=folder, database_url=f"sqlite:///{folder / 'cw.db'}")
                    timings: list[float] = []
                    with collection(workers, timings):
                        run = run_demo(name, settings=settings, server=server, seed=seed)
                    row = {
                        "scenario": name,
                        "seed": seed,
                        "mode": mode,
                        "correct": run.correct(),
                        "time_to_diagnosis_ms": run.time_to_diagnosis_ms,
                        "collect_ms": round(timings[-1]),
                        "aws_calls": run.diagnosis.aws_calls,
                        "throttled": sum(1 for g in run.bundle.gaps if "Throttl" in g.code),
                    }
                    rows[mode].append(row)
                    print(
                        f"{mode:<10} {name:<26} seed={seed} {row['time_to_diagnosis_ms']:>6} ms "
                        f"(collect {row['collect_ms']:>5} ms) {row['aws_calls']:>3} calls "
                        f"{'ok' if row['correct'] else 'MISS'}",
                        file=sys.stderr,
                    )
    finally:
        server.stop()
    summaries = [summarise(mode, workers, rows[mode]) for mode, workers in modes]
    if args.json:
        print(
            json.dumps({"summary": summaries, "runs": [r for mode, _ in modes for r in rows[mode]]}, indent=2)
        )
        return
    print(command)
    print()
    print(markdown(summaries))


if __name__ == "__main__":
    main()
