"""The case generator: reproducible, bounded, and never touching the truth."""

from __future__ import annotations

import pytest

from cloudwarden.bench import cases
from cloudwarden.simulator import alarms, scenario
from cloudwarden.simulator.scenario import Scenario

SCENARIOS = scenario.load_all()
SPECS = cases._specs()


def _alarm_key(s: Scenario) -> tuple[str, str]:
    _, ref, _, metric, *_ = alarms.ALARMS[s.alarm]
    return ref, metric


@pytest.fixture(scope="module")
def variants() -> list[cases.Variant]:
    return cases.generate(SCENARIOS, cases=240, seed=11)


def test_same_seed_same_variants() -> None:
    a = cases.generate(SCENARIOS, cases=16, seed=3)
    b = cases.generate(SCENARIOS, cases=16, seed=3)
    assert [v.scenario.model_dump() for v in a] == [v.scenario.model_dump() for v in b]
    assert [(v.knobs, v.seed) for v in a] == [(v.knobs, v.seed) for v in b]


def test_different_seeds_differ() -> None:
    a = cases.generate(SCENARIOS, cases=16, seed=3)
    b = cases.generate(SCENARIOS, cases=16, seed=4)
    differing = sum(x.scenario.model_dump() != y.scenario.model_dump() for x, y in zip(a, b, strict=True))
    assert differing == 16
    assert {v.seed for v in a}.isdisjoint({v.seed for v in b})


def test_cases_cycle_through_every_scenario() -> None:
    generated = cases.generate(SCENARIOS, cases=2 * len(SCENARIOS), seed=1)
    assert [v.base for v in generated] == sorted(SCENARIOS) * 2


def test_truth_and_alarm_unchanged(variants: list[cases.Variant]) -> None:
    for v in variants:
        base = SCENARIOS[v.base]
        assert v.scenario.truth == base.truth
        assert v.scenario.alarm == base.alarm
        assert v.scenario.name != base.name


def test_knobs_within_documented_bounds(variants: list[cases.Variant]) -> None:
    for v in variants:
        k = v.knobs
        assert cases.MAGNITUDE[0] <= k["magnitude"] <= cases.MAGNITUDE[1]
        bounds = cases.AMPLIFIED if k["amplified"] else cases.NOT_AMPLIFIED
        assert bounds[0] <= k["amplification"] <= bounds[1]
        assert cases.TIMING_RATIO[0] <= k["timing_ratio"] <= cases.TIMING_RATIO[1]
        assert cases.ALARM_DELAY[0] <= k["alarm_delay_minutes"] <= cases.ALARM_DELAY[1]
        assert cases.NOISE_FACTOR[0] <= k["noise_factor"] <= cases.NOISE_FACTOR[1]
        assert cases.ONSET_MINUTES[0] <= v.scenario.onset_minutes_ago <= cases.ONSET_MINUTES[1]
        assert k["onset_minutes_ago"] == v.scenario.onset_minutes_ago
        if k["shape"] == "ramp":
            assert cases.RAMP_MINUTES[0] <= k["ramp_minutes"] <= cases.RAMP_MINUTES[1]
        if k["root_change_lead_minutes"] is not None:
            assert cases.LEAD[0] <= k["root_change_lead_minutes"] <= cases.LEAD[1]
        if k["drop"]:
            assert cases.DROP_FACTOR[0] <= k["drop"]["factor"] <= cases.DROP_FACTOR[1]
        for effect in v.scenario.fault.metrics:
            assert effect.noise <= max(cases.NOISE_CAP, 0.05)


def test_magnitudes_scale_the_deviation_and_keep_its_direction(variants: list[cases.Variant]) -> None:
    checked = 0
    for v in variants:
        base = SCENARIOS[v.base]
        originals = {(e.resource, e.metric): e for e in base.fault.metrics}
        for effect in v.scenario.fault.metrics:
            original = originals.get((effect.resource, effect.metric))
            if original is None or original.to is None or effect.to is None:
                continue
            spec = SPECS[(effect.resource, effect.metric)]
            falls = original.to < spec.base
            assert (effect.to <= spec.base) if falls else (effect.to >= spec.base)
            ceiling = spec.ceiling if spec.ceiling is not None else float("inf")
            if 0 < effect.to < ceiling and (effect.resource, effect.metric) != _alarm_key(base):
                scale = (effect.to - spec.base) / (original.to - spec.base)
                expected = (
                    v.knobs["magnitude"]
                    if effect.resource == base.truth.resource
                    else v.knobs["amplification"]
                )
                assert scale == pytest.approx(expected, rel=1e-3)
                checked += 1
    assert checked > 20


def test_alarm_effect_still_fires_before_now(variants: list[cases.Variant]) -> None:
    for v in variants:
        key = _alarm_key(v.scenario)
        effects = [e for e in v.scenario.fault.metrics if (e.resource, e.metric) == key]
        assert len(effects) == 1, v.scenario.name
        assert cases.breaches(effects[0], SPECS[key], v.scenario.alarm), v.knobs
        assert (
            cases.breach_minute(effects[0], SPECS[key], v.scenario.alarm) + 2 <= v.scenario.onset_minutes_ago
        )


def test_alarm_delay_holds_back_the_callers(variants: list[cases.Variant]) -> None:
    for v in variants:
        base = SCENARIOS[v.base]
        delay = v.knobs["alarm_delay_minutes"]
        for effect in v.scenario.fault.metrics:
            if effect.resource != base.truth.resource:
                assert effect.start >= delay


def test_distractors_leave_the_root_alone(variants: list[cases.Variant]) -> None:
    kinds = set()
    for v in variants:
        truth = v.scenario.truth.resource
        for d in v.knobs["distractors"]:
            kinds.add(d["kind"] if d["kind"] == "spike" else d["action"])
            if d["kind"] == "change":
                assert d["target"] != truth
                assert cases.CHANGE_WINDOW[0] <= d["at"] <= cases.CHANGE_WINDOW[1]
            else:
                assert d["resource"] != truth
                assert (d["resource"], d["metric"]) != _alarm_key(v.scenario)
                assert cases.SPIKE_MINUTES[0] <= d["duration"] <= cases.SPIKE_MINUTES[1]
    assert kinds >= {
        "spike",
        "deploy_new_revision",
        "set_desired_count",
        "put_parameter",
        "set_function_concurrency",
    }


def test_every_knob_varies(variants: list[cases.Variant]) -> None:
    assert {v.knobs["shape"] for v in variants} == {"step", "ramp"}
    assert {v.knobs["amplified"] for v in variants} == {True, False}
    assert any(v.knobs["drop"] for v in variants) and not all(v.knobs["drop"] for v in variants)
    assert len({v.knobs["alarm_delay_minutes"] for v in variants}) > 4


def test_account_size_adds_the_unrelated_fleet_and_changes_nothing_else() -> None:
    small = cases.generate(SCENARIOS, cases=6, seed=3)
    large = cases.generate(SCENARIOS, cases=6, seed=3, unrelated=500)
    for s, big in zip(small, large, strict=True):
        assert s.scenario == big.scenario and s.seed == big.seed
        assert {k: v for k, v in s.knobs.items() if k != "unrelated"} == {
            k: v for k, v in big.knobs.items() if k != "unrelated"
        }
        assert s.fleet.resources == 0 and s.knobs["unrelated"]["resources"] == 0
        assert big.fleet.resources == 500 and big.knobs["unrelated"] == big.fleet.knobs()
        assert big.knobs["unrelated"]["decoys"], "routine changes near the onset"
    assert len({tuple(v.fleet.units) for v in large}) == len(large)  # each case its own fleet
    again = cases.generate(SCENARIOS, cases=6, seed=3, unrelated=500)
    assert [v.fleet for v in again] == [v.fleet for v in large]
