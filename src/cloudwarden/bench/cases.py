"""Generated cases: seeded variants of a scenario file, with the same ground truth.

A variant is a new `Scenario` computed only from the base scenario and a seeded RNG. What is drawn
(bounds are the module constants below; every draw is recorded in `Variant.knobs`):

- magnitude: the deviation of the root resource's metric effects from the metric's baseline is
  scaled by m in MAGNITUDE (a `to` level moves toward or away from the baseline, a `factor`
  toward or away from 1), so a drop stays a drop and a rise a rise;
- retry amplification: the deviation of the callers' effects (every resource but the root) is
  scaled by a, drawn in AMPLIFIED with probability AMPLIFY_P (the caller's symptom is then
  larger than the root's), otherwise in NOT_AMPLIFIED; callers' log rates are scaled likewise;
- onset shape: step, or a ramp of RAMP_MINUTES, for effects that are steps or short ramps
  (leaks and fill-ups, ramps longer than LONG_RAMP, stay ramps);
- timing: the positive offsets of every effect (log starts, OOM kills, RDS events, long ramps)
  are scaled by r in TIMING_RATIO, and the root change's lead before the onset is redrawn in LEAD;
- alarm delay: the callers' effects and logs start d in ALARM_DELAY minutes after the onset, so
  the alarm fires minutes after the root went wrong;
- noise: the effects' relative noise is scaled by NOISE_FACTOR (at most NOISE_CAP); the case's
  seed also changes every baseline datapoint and log line;
- drops: with DROP_P, a traffic metric downstream of the alarm falls (DROP_FACTOR of baseline);
- distractors: with DISTRACTOR_CHANGE_P an unrelated deploy, scaling, parameter or concurrency
  change lands shortly before the onset (CHANGE_WINDOW), and with SPIKE_P a metric unrelated to
  the fault spikes by chance around the alarm.

- topology size: the storefront is deployed with k extra Lambda functions (each with its own role)
  that the web API calls, k drawn in EXTRA_FUNCTIONS, so an alarm on the web API has from about
  a dozen to over forty candidates, while alarms elsewhere (a queue, an instance) keep a handful.
- account size (`generate(..., unrelated=N)`, not drawn: the run chooses it): N more resources
  that have nothing to do with the storefront (other teams' ECS services, functions, queues,
  instances, target groups, databases: `simulator/unrelated_fleet.py`), and a few routine deploys
  and scalings of them around the onset. Their mix and their changes come from an RNG of their
  own, so a case's other knobs are the same at every account size.

The alarm's own metric effect is kept strong enough that the alarm fires (10 % past
its threshold at worst-case noise and daily cycle), and the onset is placed far enough back that
it has fired by the time the case's `now` comes.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field, replace
from typing import Any

from cloudwarden.simulator import alarms, telemetry, unrelated_fleet
from cloudwarden.simulator.scenario import MAX_EXTRA_FUNCTIONS, MetricEffect, Scenario

MAGNITUDE = (0.5, 1.5)
AMPLIFY_P = 0.5
AMPLIFIED = (1.5, 3.0)
NOT_AMPLIFIED = (0.8, 1.2)
RAMP_P = 0.5
RAMP_MINUTES = (3, 10)
LONG_RAMP = 10
TIMING_RATIO = (0.7, 1.4)
LEAD = (1, 10)
ALARM_DELAY = (0, 8)
NOISE_FACTOR = (0.5, 2.5)
NOISE_CAP = 0.3
DROP_P = 0.5
DROP_FACTOR = (0.3, 0.8)
DISTRACTOR_CHANGE_P = 0.6
CHANGE_WINDOW = (-12, 0)
SPIKE_P = 0.6
SPIKE_MINUTES = (2, 5)
SPIKE_FACTOR = (2.5, 5.0)
SPIKE_SMALL_TO = (10.0, 40.0)  # for metrics whose baseline is near zero (errors, throttles)
ONSET_MINUTES = (6, 58)
EXTRA_FUNCTIONS = (0, MAX_EXTRA_FUNCTIONS)
MAX_LOG_RATE = 600.0
CI_ACTOR = "arn:aws:sts::{account}:assumed-role/github-actions-deploy/gha-run-{run}"
AUTOSCALING_ACTOR = (
    "arn:aws:sts::{account}:assumed-role/AWSServiceRoleForApplicationAutoScaling_ECSService/AutoScaling"
)

# A traffic metric that falls when the alarm's symptom appears (clients give up, work stops).
DROP_SYMPTOM: dict[str, tuple[str, str]] = {
    "web_5xx": ("target_group:web", "RequestCount"),
    "web_latency": ("target_group:web", "RequestCount"),
    "worker_memory": ("sqs_queue:orders", "NumberOfMessagesDeleted"),
    "queue_backlog": ("sqs_queue:orders", "NumberOfMessagesDeleted"),
    "db_storage": ("sqs_queue:orders", "NumberOfMessagesDeleted"),
    "fn_throttles": ("lambda_function:resizer", "Invocations"),
}
SERVICES = ("ecs_service:web", "ecs_service:worker")
DESIRED = {"ecs_service:web": (4, 6), "ecs_service:worker": (2, 3)}


@dataclass(frozen=True)
class Variant:
    index: int
    seed: int  # the injector's noise seed for this case
    base: str  # the scenario it varies
    scenario: Scenario
    knobs: dict[str, Any]
    # The unrelated rest of the account (none by default); the runner deploys it beside the storefront.
    fleet: unrelated_fleet.FleetPlan = field(default_factory=lambda: unrelated_fleet.plan(0, random.Random()))


def case_seed(seed: int, index: int) -> int:
    return random.Random(f"cloudwarden-bench:{seed}:{index}:noise").randrange(1, 2**31)


def generate(scenarios: dict[str, Scenario], *, cases: int, seed: int, unrelated: int = 0) -> list[Variant]:
    """`cases` variants, cycling through the scenarios in name order, reproducible from `seed`.

    `unrelated`: resources unrelated to the storefront in each case's account (0, or at least
    `unrelated_fleet.MIN_RESOURCES`); every other knob of a case is the same whatever it is.
    """
    if not scenarios:
        raise ValueError("no scenarios to vary")
    names = sorted(scenarios)
    out = []
    for i in range(cases):
        variant = vary(
            scenarios[names[i % len(names)]],
            random.Random(f"cloudwarden-bench:{seed}:{i}:variant"),
            index=i,
            noise_seed=case_seed(seed, i),
        )
        fleet = unrelated_fleet.plan(unrelated, random.Random(f"cloudwarden-bench:{seed}:{i}:unrelated"))
        out.append(replace(variant, fleet=fleet, knobs={**variant.knobs, "unrelated": fleet.knobs()}))
    return out


def _specs(extra_functions: int = 0) -> dict[tuple[str, str], telemetry.MetricSpec]:
    return {(s.ref, s.metric): s for s in [*telemetry.metric_specs(extra_functions), *telemetry.late_specs()]}


def _uniform(rng: random.Random, bounds: tuple[float, float]) -> float:
    return round(rng.uniform(*bounds), 3)


def scale_deviation(effect: MetricEffect, spec: telemetry.MetricSpec, s: float) -> MetricEffect:
    """Scale how far the effect moves its metric from the baseline by `s`, keeping its direction."""
    if effect.to is not None:
        to = max(0.0, spec.base + (effect.to - spec.base) * s)
        if spec.ceiling is not None:
            to = min(to, spec.ceiling)
        return effect.model_copy(update={"to": float(f"{to:.6g}")})
    if effect.factor is not None:
        return effect.model_copy(update={"factor": round(max(0.0, 1 + (effect.factor - 1) * s), 4)})
    return effect


def _level(effect: MetricEffect, spec: telemetry.MetricSpec, *, low: bool) -> float:
    """The level the effect reaches, at the bottom (low) or top of the daily cycle and noise."""
    if effect.to is not None:
        level = effect.to
    else:
        daily = spec.base * ((1 - spec.diurnal) if low else (1 + spec.diurnal))
        level = daily * (effect.factor or 1.0)
    level *= (1 - 2 * effect.noise) if low else (1 + 2 * effect.noise)
    return min(level, spec.ceiling) if spec.ceiling is not None else level


def breaches(effect: MetricEffect, spec: telemetry.MetricSpec, logical_alarm: str) -> bool:
    """Whether the effect keeps the alarm's metric past its threshold, with a 5 % margin."""
    comparison, threshold = alarms.ALARMS[logical_alarm][5], alarms.ALARMS[logical_alarm][6]
    # The level is already the worst case of noise and daily cycle; the margin is for rounding.
    # At an "or equal" threshold the boundary itself breaches (a status check at 1 of 1).
    exact = "OrEqual" in comparison
    if comparison.startswith("Greater"):
        return _level(effect, spec, low=True) >= (1.0 if exact else 1.05) * threshold
    return _level(effect, spec, low=False) <= (1.0 if exact else 0.95) * threshold


def breach_minute(effect: MetricEffect, spec: telemetry.MetricSpec, logical_alarm: str) -> int:
    """Minutes after the onset by which the alarm has enough breaching datapoints to fire."""
    comparison, threshold = alarms.ALARMS[logical_alarm][5], alarms.ALARMS[logical_alarm][6]
    datapoints = alarms.ALARMS[logical_alarm][8]
    crossing = effect.start
    if effect.shape == "ramp":
        greater = comparison.startswith("Greater")
        start = spec.base * ((1 + spec.diurnal) if greater else (1 - spec.diurnal))
        end = _level(effect, spec, low=greater)
        needed = threshold * (1.05 if greater else 0.95)
        share = 1.0 if end == start else min(1.0, max(0.0, (needed - start) / (end - start)))
        crossing += max(0, math.ceil(share * effect.ramp_minutes) - 1)
    return crossing + datapoints + 1


def _alarm_metric(scenario: Scenario) -> tuple[str, str]:
    _, ref, _, metric, *_ = alarms.ALARMS[scenario.alarm]
    return ref, metric


def _scaled_offset(value: int, r: float) -> int:
    return round(value * r) if value > 0 else value


def _vary_metrics(
    scenario: Scenario, rng: random.Random, knobs: dict[str, Any], r: float, specs: dict[Any, Any]
) -> tuple[list[MetricEffect], int | None]:
    root, alarm_key = scenario.truth.resource, _alarm_metric(scenario)
    m, a, d = knobs["magnitude"], knobs["amplification"], knobs["alarm_delay_minutes"]
    out: list[MetricEffect] = []
    breach: int | None = None
    for effect in scenario.fault.metrics:
        spec = specs[(effect.resource, effect.metric)]
        is_root = effect.resource == root
        is_alarm = (effect.resource, effect.metric) == alarm_key
        e = effect.model_copy(update={"start": _scaled_offset(effect.start, r) + (0 if is_root else d)})
        if e.shape != "spike":
            if e.ramp_minutes > LONG_RAMP and e.shape == "ramp":
                e = e.model_copy(update={"ramp_minutes": max(1, round(e.ramp_minutes * r))})
            elif knobs["shape"] == "ramp":
                e = e.model_copy(update={"shape": "ramp", "ramp_minutes": knobs["ramp_minutes"]})
            else:
                e = e.model_copy(update={"shape": "step"})
        if not is_alarm:
            e = e.model_copy(update={"noise": round(min(NOISE_CAP, e.noise * knobs["noise_factor"]), 4)})
        s = m if is_root else a
        scaled = scale_deviation(e, spec, s)
        if is_alarm:
            while not breaches(scaled, spec, scenario.alarm) and s < 4.0:
                s = round(s * 1.05 + 0.01, 3)
                scaled = scale_deviation(e, spec, s)
            if not breaches(scaled, spec, scenario.alarm):
                scaled = e  # the file's own magnitude
            knobs["alarm_effect_scale"] = s
            breach = breach_minute(scaled, spec, scenario.alarm)
        out.append(scaled)
    drop = DROP_SYMPTOM.get(scenario.alarm)
    if drop and rng.random() < DROP_P and drop not in {(e.resource, e.metric) for e in out}:
        factor = _uniform(rng, DROP_FACTOR)
        out.append(
            MetricEffect(
                resource=drop[0],
                metric=drop[1],
                shape="step",
                start=0 if drop[0] == root else d,
                factor=factor,
                noise=0.05,
            )
        )
        knobs["drop"] = {"metric": f"{drop[0]} {drop[1]}", "factor": factor}
    return out, breach


def _distractor_change(scenario: Scenario, rng: random.Random, window: tuple[int, int]) -> dict[str, Any]:
    root = scenario.truth.resource
    kinds = ["deploy", "scale", "parameter"] + ([] if root == "lambda_function:resizer" else ["concurrency"])
    kind = rng.choice(kinds)
    at = rng.randint(*window)
    services = [s for s in SERVICES if s != root]
    if kind == "deploy":
        target = rng.choice(services)
        count = DESIRED[target][0]
        return {
            "at": at,
            "action": "deploy_new_revision",
            "target": target,
            "actor": CI_ACTOR.replace("{run}", str(rng.randint(48000, 49999))),
            "params": {
                "image_tag": f"v{rng.randint(1, 3)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}",
                "rollout_state": "COMPLETED",
                "desired_count": count,
                "running_count": count,
            },
        }
    if kind == "scale":
        target = rng.choice(services)
        return {
            "at": at,
            "action": "set_desired_count",
            "target": target,
            "actor": AUTOSCALING_ACTOR,
            "params": {"count": DESIRED[target][1]},
        }
    if kind == "parameter":
        flag = rng.choice(["reviews", "newsletter", "recommendations", "dark-mode"])
        return {
            "at": at,
            "action": "put_parameter",
            "target": "ssm",
            "params": {"name": f"/storefront/feature-flags/{flag}", "value": rng.choice(["on", "off"])},
        }
    return {
        "at": at,
        "action": "set_function_concurrency",
        "target": "lambda_function:resizer",
        "params": {"value": rng.choice([60, 80, 100])},
    }


def _distractor_spike(
    scenario: Scenario, rng: random.Random, taken: set[tuple[str, str]], latest: int, extra_functions: int
) -> dict[str, Any] | None:
    specs = telemetry.metric_specs(extra_functions)
    # A status check that fails for minutes is a real failure, not noise: never a distractor.
    pool = [
        s
        for s in specs
        if s.ref != scenario.truth.resource
        and (s.ref, s.metric) not in taken
        and not s.metric.startswith("StatusCheckFailed")
    ]
    if not pool:
        return None
    spec = rng.choice(pool)
    effect: dict[str, Any] = {
        "resource": spec.ref,
        "metric": spec.metric,
        "shape": "spike",
        "start": rng.randint(-15, latest),
        "duration": rng.randint(*SPIKE_MINUTES),
    }
    if spec.base < 5:
        effect["to"] = _uniform(rng, SPIKE_SMALL_TO)
    else:
        effect["factor"] = _uniform(rng, SPIKE_FACTOR)
    return effect


def vary(base: Scenario, rng: random.Random, *, index: int = 0, noise_seed: int = 7) -> Variant:
    """One variant of `base`: same alarm, same truth, different everything else."""
    extra_functions = rng.randint(*EXTRA_FUNCTIONS)
    specs = _specs(extra_functions)
    amplified = rng.random() < AMPLIFY_P
    ramp = rng.random() < RAMP_P
    knobs: dict[str, Any] = {
        "magnitude": _uniform(rng, MAGNITUDE),
        "amplification": _uniform(rng, AMPLIFIED if amplified else NOT_AMPLIFIED),
        "amplified": amplified,
        "shape": "ramp" if ramp else "step",
        "ramp_minutes": rng.randint(*RAMP_MINUTES) if ramp else None,
        "timing_ratio": _uniform(rng, TIMING_RATIO),
        "alarm_delay_minutes": rng.randint(*ALARM_DELAY),
        "noise_factor": _uniform(rng, NOISE_FACTOR),
        "root_change_lead_minutes": None,
        "drop": None,
        "distractors": [],
        "extra_functions": extra_functions,
    }
    r = knobs["timing_ratio"]
    root, d = base.truth.resource, knobs["alarm_delay_minutes"]
    metrics, breach = _vary_metrics(base, rng, knobs, r, specs)

    lead = rng.randint(*LEAD)
    changes = []
    for change in base.fault.changes:
        if change.at < 0:
            knobs["root_change_lead_minutes"] = lead
            changes.append(change.model_copy(update={"at": -lead}))
        else:
            changes.append(change.model_copy(update={"at": _scaled_offset(change.at, r)}))
    logs = []
    for log in base.fault.logs:
        caller = log.resource != root
        start = _scaled_offset(log.start, r) + (d if caller else 0)
        end = None if log.end is None else _scaled_offset(log.end, r) + (d if caller else 0)
        rate = log.per_minute * (knobs["amplification"] if caller and knobs["amplified"] else 1.0)
        logs.append(
            log.model_copy(update={"start": start, "end": end, "per_minute": min(MAX_LOG_RATE, rate)})
        )
    stopped = [s.model_copy(update={"start": _scaled_offset(s.start, r)}) for s in base.fault.stopped_tasks]
    rds_events = [e.model_copy(update={"at": _scaled_offset(e.at, r)}) for e in base.fault.rds_events]

    latest_offset = max(
        [0, *(e.start for e in metrics), *(x.start for x in logs), *(s.start for s in stopped)]
        + [e.at for e in rds_events]
    )
    onset = round(base.onset_minutes_ago * r)
    onset = max(onset, (breach or 0) + 2, latest_offset + 2)
    onset = min(max(onset, ONSET_MINUTES[0]), ONSET_MINUTES[1])
    knobs["onset_minutes_ago"] = onset

    distractors = base.distractors.model_dump()
    for item in distractors["changes"] + distractors["rds_events"]:
        item["at"] = min(_scaled_offset(item["at"], r), onset - 1)
    for item in distractors["metrics"] + distractors["logs"] + distractors["stopped_tasks"]:
        item["start"] = min(_scaled_offset(item["start"], r), onset - 1)
    if rng.random() < DISTRACTOR_CHANGE_P:
        extra = _distractor_change(base, rng, CHANGE_WINDOW)
        distractors["changes"].append(extra)
        knobs["distractors"].append({"kind": "change", **extra})
    if rng.random() < SPIKE_P:
        taken = {(e.resource, e.metric) for e in metrics} | {_alarm_metric(base)}
        taken |= {(e["resource"], e["metric"]) for e in distractors["metrics"]}
        spike = _distractor_spike(
            base, rng, taken, latest=min(d + 2, onset - 2), extra_functions=extra_functions
        )
        if spike is not None:
            distractors["metrics"].append(spike)
            knobs["distractors"].append({"kind": "spike", **spike})

    fault = base.fault.model_dump()  # effect kinds not varied here carry over unchanged
    fault.update(
        metrics=[e.model_dump() for e in metrics],
        logs=[x.model_dump() for x in logs],
        changes=[c.model_dump() for c in changes],
        stopped_tasks=[s.model_dump() for s in stopped],
        rds_events=[e.model_dump() for e in rds_events],
    )
    data = base.model_dump()
    data.update(
        name=f"{base.name}#{index}",
        description=f"Generated variant {index} of {base.name}. {base.description}",
        onset_minutes_ago=onset,
        fault=fault,
        distractors=distractors,
        topology={"extra_functions": extra_functions},
    )
    return Variant(
        index=index, seed=noise_seed, base=base.name, scenario=Scenario.model_validate(data), knobs=knobs
    )
