"""AC@k, Avg@k and the chance level, as the RCAEval benchmark defines them.

AC@k is the fraction of cases whose true root cause is among the first k answers of a ranking;
Avg@k is the mean of AC@1..AC@k. The chance level is what a uniformly random ranking over the
same candidates reaches: min(k, n)/n for a case with n candidates that include the answer, 0 for
a case whose candidates do not include it, averaged over the cases (RCAEval's
`Evaluator.chance_accuracy`).

The reliability table says how far the engine's top-1 confidence can be trusted: the cases are
put in buckets by that confidence and each bucket's share of right answers is counted; the
issue's target is that a top confidence of CONFIDENT or more is right at least CONFIDENT_TARGET
of the time.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable, Sequence
from typing import Any, TypeVar

K_MAX = 5
T = TypeVar("T", bound=Hashable)
# [low, high) each, the last one closed at 1.0.
CONFIDENCE_BUCKETS: tuple[tuple[float, float], ...] = (
    (0.0, 0.2),
    (0.2, 0.4),
    (0.4, 0.7),
    (0.7, 0.9),
    (0.9, 1.0),
)
CONFIDENT = 0.7
CONFIDENT_TARGET = 0.9


def rank_of(ranking: Sequence[Hashable], answer: Hashable) -> int | None:
    """1-based position of the answer in the ranking, None when absent."""
    for position, item in enumerate(ranking, start=1):
        if item == answer:
            return position
    return None


def dedupe(items: Sequence[T]) -> list[T]:
    """The items in order, each once."""
    return list(dict.fromkeys(items))


def ac_at(ranks: Sequence[int | None], k: int) -> float:
    """Fraction of cases whose answer is ranked k or better (ranks: 1-based, None = missed)."""
    if not ranks:
        return math.nan
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks)


def avg_at(ranks: Sequence[int | None], k: int = K_MAX) -> float:
    if not ranks:
        return math.nan
    return sum(ac_at(ranks, j) for j in range(1, k + 1)) / k


def chance_ac(candidates: Sequence[int], found: Sequence[bool], k: int) -> float:
    """AC@k of a uniformly random ranking over each case's `candidates` (RCAEval's definition)."""
    if not candidates:
        return math.nan
    return sum(min(k, n) / n if n and ok else 0.0 for n, ok in zip(candidates, found, strict=True)) / len(
        candidates
    )


def chance_avg(candidates: Sequence[int], found: Sequence[bool], k: int = K_MAX) -> float:
    if not candidates:
        return math.nan
    return sum(chance_ac(candidates, found, j) for j in range(1, k + 1)) / k


def summary(ranks: Sequence[int | None]) -> dict[str, float]:
    """AC@1..AC@5 and Avg@5 of one method over some cases."""
    out = {f"AC@{k}": round(ac_at(ranks, k), 4) for k in range(1, K_MAX + 1)}
    out[f"Avg@{K_MAX}"] = round(avg_at(ranks, K_MAX), 4)
    return out


def chance_summary(candidates: Sequence[int], found: Sequence[bool]) -> dict[str, float]:
    out = {f"AC@{k}": round(chance_ac(candidates, found, k), 4) for k in range(1, K_MAX + 1)}
    out[f"Avg@{K_MAX}"] = round(chance_avg(candidates, found, K_MAX), 4)
    return out


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100): the smallest value with at least q % at or below it."""
    if not values:
        return math.nan
    ordered = sorted(values)
    index = max(0, math.ceil(q / 100 * len(ordered)) - 1)
    return ordered[min(index, len(ordered) - 1)]


def top1_right(
    top: Hashable | None, confidence: float, truth: Hashable | None, *, confident: float = CONFIDENT
) -> bool:
    """Whether the first answer (`top`, None when nothing was ranked) of confidence `confidence` is right.

    A `truth` of None is a case without a fault: the engine is right there when it claims nothing
    with confidence (its top confidence is below `confident`), whatever it ranked first.
    """
    if truth is None:
        return top is None or confidence < confident
    return top is not None and top == truth


def _share(right: int, cases: int) -> float | None:
    return round(right / cases, 4) if cases else None


def reliability(
    cases: Sequence[tuple[float, bool]],
    *,
    buckets: Sequence[tuple[float, float]] = CONFIDENCE_BUCKETS,
    confident: float = CONFIDENT,
    target: float = CONFIDENT_TARGET,
) -> dict[str, Any]:
    """The reliability table of (top-1 confidence, right) pairs, one per case.

    Per bucket: cases, right answers, their share and the mean confidence (None for an empty
    bucket: strict JSON has no NaN). `confident`: the same over every case at or above the
    threshold, and whether that share reaches `target` (None without such cases).
    """
    if not buckets or buckets[0][0] != 0.0 or buckets[-1][1] != 1.0:
        raise ValueError("confidence buckets must start at 0 and end at 1")
    if any(a[1] != b[0] for a, b in itertools.pairwise(buckets)):
        raise ValueError("confidence buckets must be contiguous")
    for confidence, _ in cases:
        if not 0.0 <= confidence <= 1.0 or math.isnan(confidence):
            raise ValueError(f"a confidence must be within [0, 1], got {confidence}")
    rows = []
    for index, (low, high) in enumerate(buckets):
        last = index == len(buckets) - 1
        inside = [(c, ok) for c, ok in cases if low <= c < high or (last and c == high)]
        right = sum(ok for _, ok in inside)
        rows.append(
            {
                "bucket": f"[{low:g}, {high:g}{']' if last else ')'}",
                "low": low,
                "high": high,
                "cases": len(inside),
                "right": right,
                "share_right": _share(right, len(inside)),
                "mean_confidence": round(math.fsum(c for c, _ in inside) / len(inside), 4)
                if inside
                else None,
            }
        )
    sure = [ok for c, ok in cases if c >= confident]
    share = _share(sum(sure), len(sure))
    return {
        "cases": len(cases),
        "buckets": rows,
        "confident": {
            "threshold": confident,
            "cases": len(sure),
            "right": sum(sure),
            "share_right": share,
            "target": target,
            "met": None if share is None else share >= target,
        },
    }
