"""Baselines, run on exactly the EvidenceBundle the engine collected for the case.

- BARO and N-Sigma: RCAEval's own `RCAEval.e2e.baro.baro` and `RCAEval.e2e.nsigma`, fed one
  DataFrame column per collected metric series. Both score a column by the largest robust (BARO)
  or standard (N-Sigma) z-score of its post-injection points, i.e. only increases count; so each
  series is given twice, as collected and negated, and a fall (free storage, deleted messages,
  invocations) shows as the rise of its negated column. `inject_time` is the true onset, as in
  RCAEval's protocol (the engine gets no such hint: it estimates the onset itself). `dataset` is
  left at the functions' default, None: with a dataset name, RCAEval's `preprocess` drops every
  column that is constant within the normal or the anomalous period, which hides exactly the
  signals that go flat (throttles at 0 before a throttling fault, deleted messages at 0 after a
  permission fault). With None the `time` column is scored too; it names no resource and is
  left out of the ranking.
  A ranked column names its resource; at resource+fault level it also names the fault whose
  defining metric it is (DEFINING_METRIC, the metrics the engine's fault signatures read first),
  or no fault (a slot that cannot be right at that level).
- random: a seeded shuffle of the engine's candidate resources (or resource+fault pairs).
- most recent change: resources ranked by their latest change (CloudTrail write or ECS
  deployment) in the evidence window up to the alarm, attributed by identifiers as the engine attributes them;
  at resource+fault level the change's kind names the fault (a deploy: bad_deploy, a concurrency
  change: throttling, a security-group change: network_block, an IAM change: permission_denied).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import random
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cloudwarden.bench.scoring import dedupe
from cloudwarden.diagnosis import context, engine
from cloudwarden.diagnosis.faults import FAULTS
from cloudwarden.diagnosis.topology import identifiers
from cloudwarden.evidence.collect import CANDIDATE_DEPTH
from cloudwarden.evidence.model import Change, EvidenceBundle

Answer = tuple[str, str | None]  # (resource key, fault type or None)
RCAEVAL_DATASET: str | None = None  # the default of RCAEval's baro() and nsigma()
RCAEVAL_METHODS = {"baro": ("RCAEval.e2e.baro", "baro"), "nsigma": ("RCAEval.e2e", "nsigma")}


def _defining_metrics() -> dict[tuple[str, str, int], str]:
    """(resource kind, metric, +1 rise / -1 fall) -> the fault type that metric points at, read
    from the fault specs: a metric a fault requires before one it is only supported by."""
    found: dict[tuple[str, str, int], str] = {}
    for signs in ("requires", "supports"):
        for name, spec in FAULTS.items():
            for sign in getattr(spec, signs):
                if sign.metric and sign.kind in spec.kinds:
                    found.setdefault((sign.kind, sign.metric, sign.direction), name)
    return found


DEFINING_METRIC = _defining_metrics()
# (change names, resource kinds, fault) for every fault that suspects changes, from the specs.
CHANGE_FAULT: list[tuple[tuple[str, ...], tuple[str, ...], str]] = [
    (spec.changes, spec.kinds, name) for name, spec in FAULTS.items() if spec.changes
]


class BaselineUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class Ranking:
    resources: list[str]
    pairs: list[Answer]


@dataclass(frozen=True)
class Candidates:
    """The engine's candidate set: resources within three hops of the alarm, or touched by a change."""

    resources: list[str]
    pairs: list[tuple[str, str]]  # every (resource, fault) a fault signature applies to
    kinds: dict[str, str]
    names: dict[str, str]


def candidates(bundle: EvidenceBundle) -> Candidates:
    graph, roots = engine.candidates(bundle)
    ctx = context.build(bundle, graph, roots)
    near = {key for key, distance in ctx.distances.items() if distance <= CANDIDATE_DEPTH}
    keys = sorted(k for k in near | set(ctx.changes) if k in graph.resources)
    kinds: dict[str, str] = {k: r.kind for k, r in graph.resources.items()}
    pairs = [(k, fault) for k in keys for fault, spec in FAULTS.items() if kinds[k] in spec.kinds]
    names = {k: r.name for k, r in graph.resources.items()}
    return Candidates(resources=keys, pairs=pairs, kinds=kinds, names=names)


def random_ranking(cands: Candidates, rng: random.Random) -> Ranking:
    """A seeded shuffle. Keys hold ids AWS draws at random, so the shuffle starts from the order
    of kinds and names, which are the same on every run: a seed then gives the same ranking."""
    stable = {k: (cands.kinds[k], cands.names.get(k, ""), k) for k in cands.resources}
    resources = sorted(cands.resources, key=stable.__getitem__)
    rng.shuffle(resources)
    pairs: list[Answer] = sorted(cands.pairs, key=lambda p: (stable[p[0]], p[1]))
    rng.shuffle(pairs)
    return Ranking(resources=resources, pairs=pairs)


def _matches(value: str, ids: set[str]) -> bool:
    # The engine's attribution rule (diagnosis/context.py): exact, or a path/ARN ending in an id.
    return value in ids or any(value.endswith(("/" + i, ":" + i)) for i in ids if len(i) >= 6)


def _fault_of_change(change: Change, kind: str) -> str | None:
    for names, kinds, fault in CHANGE_FAULT:
        if change.name in names and kind in kinds:
            return fault
    return None


def most_recent_change(bundle: EvidenceBundle) -> Ranking:
    graph, _ = engine.candidates(bundle)
    ids = {key: identifiers(r) for key, r in graph.resources.items()}
    alarm_time = bundle.alarm.state_changed_at
    # key -> (change, position of the first value naming the key in the change's resources)
    latest: dict[str, tuple[Change, int]] = {}
    for change in bundle.changes:
        if not bundle.window_start <= change.time <= alarm_time:
            continue
        for key, resource_ids in ids.items():
            position = next(
                (i for i, value in enumerate(change.resources) if _matches(value, resource_ids)), None
            )
            if position is not None and (key not in latest or change.time >= latest[key][0].time):
                latest[key] = (change, position)

    def order_key(key: str) -> tuple[float, int, str, str]:
        # Latest first; within one change, the resource it was made to (CloudTrail lists it first)
        # before those it only mentions; then by kind and name, which are stable across runs.
        change, position = latest[key]
        resource = graph.resources[key]
        return (-change.time.timestamp(), position, resource.kind, resource.name)

    order = sorted(latest, key=order_key)
    pairs: list[Answer] = [(k, _fault_of_change(latest[k][0], graph.resources[k].kind)) for k in order]
    return Ranking(resources=order, pairs=pairs)


def _rcaeval_function(method: str) -> Callable[..., dict[str, Any]]:
    module_name, attribute = RCAEVAL_METHODS[method]
    # RCAEval switches every warning off at import; keep that to itself.
    with warnings.catch_warnings():
        module = importlib.import_module(module_name)
    function: Callable[..., dict[str, Any]] = getattr(module, attribute)
    return function


def rcaeval_status() -> dict[str, Any]:
    """Whether BARO and N-Sigma can run: the package, its version, or why not."""
    try:
        for method in RCAEVAL_METHODS:
            _rcaeval_function(method)
    except Exception as exc:  # an ImportError, or a dependency failing at import
        return {
            "installed": False,
            "version": None,
            "detail": f"not installed ({type(exc).__name__}: {exc}); pip install 'cloudwarden[bench]'",
        }
    return {"installed": True, "version": importlib.metadata.version("rcaeval"), "detail": "ok"}


def metric_frame(bundle: EvidenceBundle) -> tuple[Any, dict[str, tuple[str, str, int]]]:
    """A DataFrame as RCAEval expects (numeric `time` in seconds, one column per series and sign).

    Returns the frame and, per column, (resource key, metric name, +1 as collected / -1 negated).
    Points are aligned on the minute; gaps are carried forward (then backward at the start).
    """
    pd = importlib.import_module("pandas")
    columns: dict[str, dict[float, float]] = {}
    meaning: dict[str, tuple[str, str, int]] = {}
    for index, series in enumerate(bundle.metrics):
        if len(series.points) < 2:
            continue
        values = {float(int(t.timestamp()) // 60 * 60): float(v) for t, v in series.points}
        for sign, suffix in ((1, "up"), (-1, "down")):
            name = f"s{index}{suffix}"
            columns[name] = {t: sign * v for t, v in values.items()}
            meaning[name] = (series.resource, series.metric, sign)
    frame = pd.DataFrame(columns).sort_index().ffill().bfill()
    frame.insert(0, "time", frame.index.to_numpy(dtype=float))
    return frame.reset_index(drop=True), meaning


def rcaeval_ranking(
    bundle: EvidenceBundle, *, method: str, inject_time: datetime, kinds: dict[str, str]
) -> Ranking:
    try:
        function = _rcaeval_function(method)
    except Exception as exc:
        raise BaselineUnavailable(f"{method}: rcaeval not installed ({exc})") from None
    frame, meaning = metric_frame(bundle)
    if not meaning:
        return Ranking(resources=[], pairs=[])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = function(frame, inject_time=inject_time.timestamp(), dataset=RCAEVAL_DATASET)
    ranked = [meaning[c] for c in result["ranks"] if c in meaning]
    resources = dedupe([resource for resource, _, _ in ranked])
    pairs: list[Answer] = dedupe(
        [
            (resource, DEFINING_METRIC.get((kinds.get(resource, "other"), metric, sign)))
            for resource, metric, sign in ranked
        ]
    )
    return Ranking(resources=resources, pairs=pairs)
