"""AC@k, Avg@5 and the chance level on hand-made rankings with known answers."""

from __future__ import annotations

import math

import pytest

from cloudwarden.bench import scoring


def test_rank_of_is_one_based_and_none_when_missing() -> None:
    assert scoring.rank_of(["a", "b", "c"], "a") == 1
    assert scoring.rank_of(["a", "b", "c"], "c") == 3
    assert scoring.rank_of(["a", "b"], "z") is None
    assert scoring.rank_of([("a", "x"), ("a", "y")], ("a", "y")) == 2


def test_ac_at_k_and_avg_at_5_on_known_rankings() -> None:
    rankings = [["t", "x", "y"], ["x", "t"], ["x", "y", "z"], ["x", "y", "z", "t"]]
    ranks = [scoring.rank_of(r, "t") for r in rankings]
    assert ranks == [1, 2, None, 4]
    assert scoring.ac_at(ranks, 1) == pytest.approx(0.25)
    assert scoring.ac_at(ranks, 2) == pytest.approx(0.5)
    assert scoring.ac_at(ranks, 3) == pytest.approx(0.5)
    assert scoring.ac_at(ranks, 5) == pytest.approx(0.75)
    # Avg@5 = mean of AC@1..AC@5 = (0.25 + 0.5 + 0.5 + 0.75 + 0.75) / 5
    assert scoring.avg_at(ranks, 5) == pytest.approx(0.55)
    assert scoring.summary(ranks) == {
        "AC@1": 0.25,
        "AC@2": 0.5,
        "AC@3": 0.5,
        "AC@4": 0.75,
        "AC@5": 0.75,
        "Avg@5": 0.55,
    }


def test_perfect_and_empty() -> None:
    assert scoring.summary([1, 1, 1])["Avg@5"] == 1.0
    assert scoring.summary([None, None])["Avg@5"] == 0.0
    assert math.isnan(scoring.ac_at([], 1))


def test_chance_level_is_min_k_n_over_n_averaged() -> None:
    candidates, found = [10, 4], [True, True]
    assert scoring.chance_ac(candidates, found, 1) == pytest.approx((0.1 + 0.25) / 2)
    assert scoring.chance_ac(candidates, found, 5) == pytest.approx((0.5 + 1.0) / 2)
    # a truth that is not among the candidates cannot be found by any ranking over them
    assert scoring.chance_ac([10, 4], [True, False], 1) == pytest.approx(0.05)
    expected_avg = sum(scoring.chance_ac(candidates, found, k) for k in range(1, 6)) / 5
    assert scoring.chance_avg(candidates, found) == pytest.approx(expected_avg)
    assert scoring.chance_summary([2], [True])["AC@2"] == 1.0


def test_dedupe_keeps_first_occurrence() -> None:
    assert scoring.dedupe(["b", "a", "b", "c", "a"]) == ["b", "a", "c"]


def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(1, 21)]
    assert scoring.percentile(values, 50) == 10
    assert scoring.percentile(values, 95) == 19
    assert scoring.percentile(values, 100) == 20
    assert scoring.percentile([7.0], 95) == 7.0
