"""Every fault and every resource kind is one complete spec, and each has a scenario that shows it.

The specs are the single source of what the product knows about a fault or a kind: the engine,
the advice, the narration's labels and its validator, the metrics collected and the benchmark's
baselines all read them. A spec that is missing a piece, or that no scenario exercises, fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cloudwarden.actions.catalog import REMEDIATIONS
from cloudwarden.diagnosis import catalog
from cloudwarden.diagnosis.faults import FAULTS
from cloudwarden.diagnosis.narrate import template
from cloudwarden.diagnosis.narrate.validate import FAULT_PATTERNS
from cloudwarden.evidence.kinds import KINDS
from cloudwarden.evidence.registry import SOURCES
from cloudwarden.simulator import scenario

SCENARIOS = scenario.load_all()


def _kinds_in(s: scenario.Scenario) -> set[str]:
    """Resource kinds a scenario's truth and effects name (logical refs are "kind:name")."""
    refs = [s.truth.resource]
    for effects in (s.fault, s.distractors):
        refs += [e.resource for e in (*effects.metrics, *effects.logs)]
        refs += [c.target for c in effects.changes]
    return {ref.split(":", 1)[0] for ref in refs}


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_every_fault_spec_is_complete(name):
    spec = FAULTS[name]
    assert spec.label and spec.next_steps and spec.requires, f"{name}: label, next steps and requires"
    assert spec.kinds and set(spec.kinds) <= set(KINDS), f"{name}: unknown resource kinds {spec.kinds}"
    for sign in spec.signs:
        assert sign.source in SOURCES, f"{name}: {sign.source!r} is no evidence source ({SOURCES})"
        assert sign.shows, f"{name}: every sign says what it shows"
        if sign.metric is not None:
            kind = KINDS[str(sign.kind)]
            assert sign.metric in {m.name for m in kind.metrics}, (
                f"{name} reads {sign.kind} {sign.metric}, which is never collected for that kind"
            )
            assert sign.direction in (-1, 1)
    if spec.remediation is not None:
        assert spec.remediation.action in REMEDIATIONS
        assert spec.remediation.kind in spec.kinds


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_every_fault_is_claimed_by_its_own_words_and_no_other_faults(name):
    spec = FAULTS[name]
    for words in (name, name.replace("_", " "), spec.label):
        assert spec.claim_pattern.search(words), f"{name}'s claims do not match {words!r}"
    for other, pattern in FAULT_PATTERNS.items():
        if other != name:
            assert not pattern.search(spec.label), f"{other}'s claims match {name}'s label {spec.label!r}"
    assert template.fault_label(name) == spec.label


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_every_fault_has_a_scenario(name):
    shown = [s.name for s in SCENARIOS.values() if s.truth.fault == name]
    assert shown, f"no scenario in {scenario.scenario_dir()} has {name} as its truth"
    truth_kinds = {SCENARIOS[s].truth.resource.split(":", 1)[0] for s in shown}
    assert truth_kinds <= set(FAULTS[name].kinds), f"{name}'s scenarios blame kinds it does not apply to"


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_resource_kind_spec_is_complete(name):
    spec = KINDS[name]
    assert spec.label and template.kind_label(name) == spec.label
    assert (spec.dimensions is None) == (spec.identifying_dimension is None), (
        f"{name}: CloudWatch dimensions and the identifying one go together"
    )
    assert not spec.metrics or spec.dimensions is not None, f"{name}: metrics without dimensions"
    for relation in spec.relations:
        assert relation.target in KINDS, f"{name}: relation to unknown kind {relation.target}"
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", relation.relation)
    assert spec.identifiers or spec.extra_identifiers, f"{name}: nothing names a {name} in logs"


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_resource_kind_has_a_scenario(name):
    assert any(name in _kinds_in(s) for s in SCENARIOS.values()), f"no scenario involves a {name}"


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_every_fault_applies_to_a_kind_something_can_find(name):
    """A fault of a kind no alarm can watch must be reachable as a dependency of one that can."""
    targets = {r.target for k in KINDS.values() for r in k.relations} | {
        k for k, spec in KINDS.items() if spec.referenced_as or spec.identifying_dimension
    }
    assert set(FAULTS[name].kinds) <= targets


def test_the_fault_catalogue_page_is_the_specs():
    page = Path(__file__).resolve().parents[2] / "docs" / "faults.md"
    assert page.read_text() == catalog.markdown(), (
        "regenerate: python -m cloudwarden.diagnosis.catalog > docs/faults.md"
    )
