"""Run generated cases through the whole journey and score the engine beside the baselines.

Each case is `cloudwarden demo` with a variant scenario: the workload is deployed, the
onboarding stack connects CloudWarden through its read-only role, the variant is injected, the
alarm arrives through SNS and CloudWarden collects evidence and diagnoses through the AWS APIs
only. The baselines then rank the same EvidenceBundle; the truth (resource, fault, onset) is
read from the injection only for scoring, and for the onset RCAEval's methods are given.

At a larger account size (`unrelated`), each case's account also holds resources unrelated to
the storefront, deployed right after it (`simulator/unrelated_fleet.py`), and every case records
how many resources its account held.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cloudwarden.bench import baselines, cases, scoring
from cloudwarden.bench.baselines import Ranking
from cloudwarden.config import Settings
from cloudwarden.demo import DemoRun, run_demo
from cloudwarden.simulator import scenario, unrelated_fleet
from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.server import SimulatorServer

METHODS = ("cloudwarden", "baro", "nsigma", "random", "most_recent_change")
LABELS = {
    "cloudwarden": "CloudWarden",
    "baro": "BARO",
    "nsigma": "N-Sigma",
    "random": "random",
    "most_recent_change": "recent change",
    "chance": "chance",
}
LEVELS = ("resource", "resource_fault")
TOP = 5
INJECT_TIME = (
    "BARO and N-Sigma get the true onset as inject_time, as in RCAEval's protocol; "
    "CloudWarden gets no onset and estimates it from the evidence"
)
TOPOLOGY = (
    "varied: the storefront plus 0-15 extra Lambda functions (each with its role) that the web API "
    "calls, drawn per case (knob extra_functions); each case's candidate count is in its row"
)
ACCOUNT_SIZE = (
    "the storefront's account, plus --unrelated N resources that have nothing to do with it (other "
    "teams' ECS services, Lambda functions, SQS queues, EC2 instances, target groups, RDS "
    "instances, with their roles, security groups and log groups, in a VPC of their own) and a few "
    "routine deploys and scalings of them around the onset; each case's resource count is in its row"
)
CALL_BUDGET = 30  # the target: at most 30 AWS API calls per investigation
CHANCE = (
    "min(k, n)/n per case, averaged (0 when the truth is not a candidate); resource level: n = the "
    "engine's candidate resources; resource+fault level: n = the (resource, fault type) pairs whose "
    "fault signature applies to the resource's kind"
)


@dataclass
class CaseResult:
    variant: cases.Variant
    truth_resource: str = ""
    truth_fault: str = ""
    truth_onset: str = ""
    alarm: str = ""
    alarm_fired_at: str = ""
    candidates: int = 0
    pair_candidates: int = 0
    truth_in_candidates: bool = False
    engine_candidates: int = 0
    time_to_diagnosis_ms: int = 0
    aws_calls: int = 0
    rankings: dict[str, Ranking] = field(default_factory=dict)
    ranks: dict[str, dict[str, int | None]] = field(default_factory=dict)
    method_errors: dict[str, str] = field(default_factory=dict)
    top_confidence: float = 0.0
    top1_right: bool = False
    account_resources: int = 0
    account_resources_by_type: dict[str, int] = field(default_factory=dict)
    unrelated_resources: int = 0
    fleet_deploy_ms: int = 0
    error: str | None = None
    wall_ms: int = 0

    def row(self) -> dict[str, Any]:
        v = self.variant
        return {
            "index": v.index,
            "scenario": v.base,
            "variant": v.scenario.name,
            "seed": v.seed,
            "knobs": v.knobs,
            "error": self.error,
            "truth": {"resource": self.truth_resource, "fault": self.truth_fault, "onset": self.truth_onset},
            "alarm": {"name": self.alarm, "fired_at": self.alarm_fired_at},
            "candidates": {
                "resource": self.candidates,
                "resource_fault": self.pair_candidates,
                "truth_in_candidates": self.truth_in_candidates,
                "engine_reported": self.engine_candidates,
            },
            "time_to_diagnosis_ms": self.time_to_diagnosis_ms,
            "aws_calls": self.aws_calls,
            "top_confidence": self.top_confidence,
            "top1_right": self.top1_right,
            "account": {
                "resources": self.account_resources,
                "by_type": self.account_resources_by_type,
                "unrelated_resources": self.unrelated_resources,
                "unrelated_deploy_ms": self.fleet_deploy_ms,
            },
            "wall_ms": self.wall_ms,
            "rank_of_truth": self.ranks,
            "top": {
                method: [[resource, fault] for resource, fault in ranking.pairs[:TOP]]
                for method, ranking in self.rankings.items()
            },
            "method_errors": self.method_errors,
        }


def score_case(variant: cases.Variant, run: DemoRun, *, seed: int, rcaeval: bool) -> CaseResult:
    """Rank the case's evidence with every method and find where each put the truth."""
    bundle, truth = run.bundle, (run.injection.truth_resource, run.injection.truth_fault)
    cands = baselines.candidates(bundle)
    hypotheses = run.diagnosis.hypotheses
    rankings: dict[str, Ranking] = {
        "cloudwarden": Ranking(
            resources=scoring.dedupe([h.resource for h in hypotheses]),
            pairs=[(h.resource, h.fault) for h in hypotheses],
        ),
        "random": baselines.random_ranking(
            cands, random.Random(f"cloudwarden-bench:{seed}:{variant.index}:random")
        ),
        "most_recent_change": baselines.most_recent_change(bundle),
    }
    top = hypotheses[0] if hypotheses else None
    confidence = top.confidence if top else 0.0
    errors: dict[str, str] = {}
    if rcaeval:
        for method in ("baro", "nsigma"):
            try:
                rankings[method] = baselines.rcaeval_ranking(
                    bundle, method=method, inject_time=run.injection.onset, kinds=cands.kinds
                )
            except Exception as exc:  # counted as a miss and reported, never dropped
                errors[method] = f"{type(exc).__name__}: {exc}"
                rankings[method] = Ranking(resources=[], pairs=[])
    return CaseResult(
        variant=variant,
        truth_resource=truth[0],
        truth_fault=truth[1],
        truth_onset=run.injection.onset.isoformat(),
        alarm=run.injection.alarm_name,
        alarm_fired_at=bundle.alarm.state_changed_at.isoformat(),
        candidates=len(cands.resources),
        pair_candidates=len(cands.pairs),
        truth_in_candidates=truth[0] in cands.resources,
        engine_candidates=run.diagnosis.candidates,
        time_to_diagnosis_ms=run.time_to_diagnosis_ms,
        aws_calls=run.diagnosis.aws_calls,
        top_confidence=round(confidence, 4),
        # A case whose truth names no fault (none is generated yet) is right when nothing is claimed.
        top1_right=scoring.top1_right(
            (top.resource, top.fault) if top else None, confidence, truth if truth[1] else None
        ),
        rankings=rankings,
        ranks={
            method: {
                "resource": scoring.rank_of(r.resources, truth[0]),
                "resource_fault": scoring.rank_of(r.pairs, truth),
            }
            for method, r in rankings.items()
        },
        method_errors=errors,
    )


def _group_scores(rows: list[CaseResult], methods: list[str]) -> dict[str, Any]:
    found = [r.truth_in_candidates for r in rows]
    counts = {"resource": [r.candidates for r in rows], "resource_fault": [r.pair_candidates for r in rows]}
    out: dict[str, Any] = {
        "cases": len(rows),
        "mean_candidates": {level: round(statistics.fmean(counts[level]), 2) for level in LEVELS},
    }
    for level in LEVELS:
        out[level] = {m: scoring.summary([r.ranks[m][level] for r in rows]) for m in methods}
        out[level]["chance"] = scoring.chance_summary(counts[level], found)
    return out


def report(
    results: list[CaseResult], *, command: str, config: dict[str, Any], rcaeval: dict[str, Any]
) -> dict[str, Any]:
    ok = [r for r in results if r.error is None]
    available = [m for m in METHODS if m not in ("baro", "nsigma") or rcaeval["installed"]]
    methods: dict[str, Any] = {}
    for m in METHODS:
        status = "ok" if m in available else "not installed"
        entry: dict[str, Any] = {"label": LABELS[m], "status": status}
        if m in ("baro", "nsigma"):
            entry["function"] = ".".join(baselines.RCAEVAL_METHODS[m])
            entry["package"] = f"rcaeval {rcaeval['version']}" if rcaeval["installed"] else None
            entry["detail"] = rcaeval["detail"]
            entry["case_errors"] = sum(1 for r in ok if m in r.method_errors)
        methods[m] = entry
    groups: dict[str, list[CaseResult]] = {"overall": ok}
    for fault in sorted({r.truth_fault for r in ok}):
        groups[fault] = [r for r in ok if r.truth_fault == fault]
    times = [float(r.time_to_diagnosis_ms) for r in ok]
    calls = [float(r.aws_calls) for r in ok]
    sizes = [float(r.account_resources) for r in ok]
    deploys = [float(r.fleet_deploy_ms) for r in ok if r.unrelated_resources]
    return {
        "command": command,
        "config": config,
        "methods": methods,
        "cases_run": len(results),
        "cases_scored": len(ok),
        "cases_failed": [
            {"index": r.variant.index, "variant": r.variant.scenario.name, "error": r.error}
            for r in results
            if r.error is not None
        ],
        "scores": {name: _group_scores(rows, available) for name, rows in groups.items() if rows},
        "time_to_diagnosis_ms": {
            "p50": scoring.percentile(times, 50) if times else None,
            "p95": scoring.percentile(times, 95) if times else None,
        },
        "aws_calls_per_investigation": {
            "p50": scoring.percentile(calls, 50) if calls else None,
            "max": max(calls) if calls else None,
            "over_budget": sum(1 for c in calls if c > CALL_BUDGET),
            "budget": CALL_BUDGET,
        },
        "reliability": scoring.reliability([(r.top_confidence, r.top1_right) for r in ok]),
        "account_resources": {
            "min": min(sizes) if sizes else None,
            "p50": scoring.percentile(sizes, 50) if sizes else None,
            "max": max(sizes) if sizes else None,
            "unrelated_deploy_ms_p50": scoring.percentile(deploys, 50) if deploys else None,
            "unrelated_deploy_ms_max": max(deploys) if deploys else None,
        },
        "cases": [r.row() for r in results],
    }


class FleetDeployment:
    """Deploys a case's unrelated fleet beside the storefront (run_demo's `beside_workload`)."""

    def __init__(self, variant: cases.Variant) -> None:
        self.variant = variant
        self.deployed: unrelated_fleet.DeployedFleet | None = None
        self.deploy_ms = 0

    def __call__(self, sim: SimulatorClient, now: datetime) -> None:
        if not self.variant.fleet.units:
            return
        started = time.perf_counter()
        onset = now - timedelta(minutes=self.variant.scenario.onset_minutes_ago)
        self.deployed = unrelated_fleet.deploy(sim, self.variant.fleet, now=now, onset=onset)
        self.deploy_ms = int((time.perf_counter() - started) * 1000)


def run_case(
    variant: cases.Variant, *, settings: Settings, server: SimulatorServer, seed: int, rcaeval: bool
) -> CaseResult:
    """One case end to end: the journey (with the unrelated fleet), the scores, the account's size."""
    fleet = FleetDeployment(variant)
    demo = run_demo(
        variant.scenario.name,
        settings=settings,
        server=server,
        seed=variant.seed,
        chosen=variant.scenario,
        beside_workload=fleet,
    )
    result = score_case(variant, demo, seed=seed, rcaeval=rcaeval)
    by_type = unrelated_fleet.inventory(SimulatorClient(server.endpoint, region=settings.default_region))
    result.account_resources = sum(by_type.values())
    result.account_resources_by_type = by_type
    result.unrelated_resources = fleet.deployed.resources if fleet.deployed else 0
    result.fleet_deploy_ms = fleet.deploy_ms
    return result


def run(
    *,
    cases_count: int,
    seed: int,
    scenarios_dir: Path | None = None,
    server: SimulatorServer | None = None,
    settings: Settings | None = None,
    on_case: Callable[[CaseResult], None] | None = None,
    command: str | None = None,
    unrelated: int = 0,
) -> dict[str, Any]:
    """Generate `cases_count` cases from the scenario files and run them; returns the report.

    `unrelated`: resources unrelated to the storefront in every case's account (0: none).
    """
    started = time.perf_counter()
    variants = cases.generate(
        scenario.load_all(scenarios_dir), cases=cases_count, seed=seed, unrelated=unrelated
    )
    rcaeval = baselines.rcaeval_status()
    own_server = server is None
    server = server or SimulatorServer(tick_seconds=0).start()
    results: list[CaseResult] = []
    try:
        with tempfile.TemporaryDirectory(prefix="cw-bench-") as folder:
            base = settings or Settings()
            settings = base.model_copy(
                update={"data_dir": Path(folder), "database_url": f"sqlite:///{Path(folder) / 'bench.db'}"}
            )
            for variant in variants:
                case_started = time.perf_counter()
                try:
                    result = run_case(
                        variant, settings=settings, server=server, seed=seed, rcaeval=rcaeval["installed"]
                    )
                except Exception as exc:  # reported in the output, never dropped silently
                    result = CaseResult(variant=variant, error=f"{type(exc).__name__}: {exc}")
                result.wall_ms = int((time.perf_counter() - case_started) * 1000)
                results.append(result)
                if on_case is not None:
                    on_case(result)
    finally:
        if own_server:
            server.stop()
    config = {
        "cases": cases_count,
        "seed": seed,
        "scenarios_dir": str(scenarios_dir) if scenarios_dir else None,
        "scenarios": sorted({v.base for v in variants}),
        "inject_time": INJECT_TIME,
        "topology_size": TOPOLOGY,
        "unrelated_resources": unrelated,
        "account_size": ACCOUNT_SIZE,
        "chance": CHANCE,
        "rcaeval_dataset_argument": baselines.RCAEVAL_DATASET,
        "percentiles": "nearest rank",
    }
    out = report(
        results,
        command=command
        or f"cloudwarden bench diagnose --cases {cases_count} --seed {seed}"
        + (f" --unrelated {unrelated}" if unrelated else ""),
        config=config,
        rcaeval=rcaeval,
    )
    out["wall_seconds"] = round(time.perf_counter() - started, 1)
    return out
