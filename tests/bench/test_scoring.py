"""AC@k, Avg@5 and the chance level on hand-made rankings with known answers."""

from __future__ import annotations

import json
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


def test_top1_right_needs_resource_and_fault() -> None:
    truth = ("arn:svc/web", "bad_deploy")
    assert scoring.top1_right(("arn:svc/web", "bad_deploy"), 0.9, truth)
    assert not scoring.top1_right(("arn:svc/web", "config_change"), 0.9, truth)
    assert not scoring.top1_right(("arn:db/orders", "bad_deploy"), 0.2, truth)
    assert not scoring.top1_right(None, 0.0, truth)


def test_top1_right_without_a_fault_is_a_low_confidence() -> None:
    # A case with no fault (truth None): right when nothing is claimed with confidence.
    assert scoring.top1_right(None, 0.0, None)
    assert scoring.top1_right(("arn:svc/web", "bad_deploy"), 0.3, None)
    assert scoring.top1_right(("arn:svc/web", "bad_deploy"), 0.69, None)
    assert not scoring.top1_right(("arn:svc/web", "bad_deploy"), 0.7, None)
    assert not scoring.top1_right(("arn:svc/web", "bad_deploy"), 0.95, None)
    assert scoring.top1_right(("arn:svc/web", "bad_deploy"), 0.75, None, confident=0.8)


def test_reliability_table_on_hand_made_rankings() -> None:
    truth = ("web", "bad_deploy")
    # (the engine's ranking as (resource, fault, confidence), the case's truth)
    cases: list[tuple[list[tuple[str, str, float]], tuple[str, str] | None]] = [
        ([("web", "bad_deploy", 0.95), ("db", "cpu_saturation", 0.2)], truth),  # [0.9, 1]: right
        ([("web", "bad_deploy", 1.0)], truth),  # 1.0 belongs to the last bucket: right
        ([("db", "cpu_saturation", 0.92), ("web", "bad_deploy", 0.5)], truth),  # [0.9, 1]: wrong
        ([("web", "bad_deploy", 0.7)], truth),  # [0.7, 0.9): right, at the lower edge
        ([("web", "config_change", 0.8)], truth),  # [0.7, 0.9): wrong fault
        ([("web", "bad_deploy", 0.45)], truth),  # [0.4, 0.7): right
        ([("db", "cpu_saturation", 0.1)], None),  # no fault, low confidence: right
        ([], truth),  # nothing ranked: confidence 0, wrong
        ([("db", "cpu_saturation", 0.85)], None),  # no fault, confident: wrong
    ]
    pairs = []
    for ranking, answer in cases:
        top = (ranking[0][0], ranking[0][1]) if ranking else None
        confidence = ranking[0][2] if ranking else 0.0
        pairs.append((confidence, scoring.top1_right(top, confidence, answer)))
    table = scoring.reliability(pairs)
    assert table["cases"] == 9
    rows = {row["bucket"]: row for row in table["buckets"]}
    assert list(rows) == ["[0, 0.2)", "[0.2, 0.4)", "[0.4, 0.7)", "[0.7, 0.9)", "[0.9, 1]"]
    assert [(r["cases"], r["right"]) for r in rows.values()] == [(2, 1), (0, 0), (1, 1), (3, 1), (3, 2)]
    assert rows["[0, 0.2)"]["share_right"] == 0.5
    assert rows["[0.2, 0.4)"]["share_right"] is None and rows["[0.2, 0.4)"]["mean_confidence"] is None
    assert rows["[0.7, 0.9)"]["share_right"] == pytest.approx(0.3333)
    assert rows["[0.9, 1]"]["mean_confidence"] == pytest.approx((0.95 + 1.0 + 0.92) / 3, abs=1e-4)
    confident = table["confident"]
    assert (confident["threshold"], confident["cases"], confident["right"]) == (0.7, 6, 3)
    assert confident["share_right"] == 0.5 and confident["target"] == 0.9 and confident["met"] is False


def test_reliability_target_met_and_empty() -> None:
    met = scoring.reliability([(0.95, True)] * 9 + [(0.75, False), (0.1, False)])
    assert met["confident"]["share_right"] == 0.9 and met["confident"]["met"] is True
    empty = scoring.reliability([])
    assert empty["cases"] == 0 and all(row["cases"] == 0 for row in empty["buckets"])
    assert empty["confident"]["share_right"] is None and empty["confident"]["met"] is None
    json.dumps(empty, allow_nan=False)  # strict JSON: no NaN for an empty bucket


def test_reliability_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="within"):
        scoring.reliability([(1.2, True)])
    with pytest.raises(ValueError, match="within"):
        scoring.reliability([(math.nan, True)])
    with pytest.raises(ValueError, match="contiguous"):
        scoring.reliability([], buckets=[(0.0, 0.5), (0.6, 1.0)])
    with pytest.raises(ValueError, match="start at 0"):
        scoring.reliability([], buckets=[(0.1, 1.0)])
