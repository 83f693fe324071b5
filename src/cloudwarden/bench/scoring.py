"""AC@k, Avg@k and the chance level, as the RCAEval benchmark defines them.

AC@k is the fraction of cases whose true root cause is among the first k answers of a ranking;
Avg@k is the mean of AC@1..AC@k. The chance level is what a uniformly random ranking over the
same candidates reaches: min(k, n)/n for a case with n candidates that include the answer, 0 for
a case whose candidates do not include it, averaged over the cases (RCAEval's
`Evaluator.chance_accuracy`).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from typing import TypeVar

K_MAX = 5
T = TypeVar("T", bound=Hashable)


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
