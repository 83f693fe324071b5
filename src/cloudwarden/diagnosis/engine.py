"""Rank root causes: candidates from topology and changes, scored by fault signatures."""

from __future__ import annotations

from cloudwarden.diagnosis import advice, context, impact, signals, topology
from cloudwarden.diagnosis.faults import FAULTS
from cloudwarden.diagnosis.model import WEAK_CONFIDENCE, AlarmSummary, Diagnosis, EvidenceRef, Hypothesis
from cloudwarden.diagnosis.rulekit import Finding
from cloudwarden.evidence.collectors import findings
from cloudwarden.evidence.model import EvidenceBundle

MAX_HYPOTHESES = 5
# Closer to the alarm is likelier, all else equal: a small tie-breaker, never decisive.
PROXIMITY_BONUS = {0: 0.3, 1: 0.2, 2: 0.1}
# Confidence of a hypothesis only one evidence source supports (findings of at least this weight).
SINGLE_SOURCE_FACTOR = 0.6
SUBSTANTIAL_WEIGHT = 1.0
# Confidence when nothing near the alarm shows harm (a busy resource, not yet an incident).
HARMLESS_FACTOR = 0.4


def candidates(bundle: EvidenceBundle) -> tuple[topology.Graph, list[str]]:
    resources = list(bundle.resources)
    denials = [
        line.message for line in bundle.logs if signals.CATEGORIES["access_denied"].search(line.message)
    ]
    resources += topology.resources_named(denials, resources)
    graph = topology.Graph.build(resources, bundle.edges)
    roots = [r.key for r in topology.alarm_resources(bundle.alarm, resources)]
    # An alarm on a load balancer or a target group is about the services they route to.
    for edge in graph.edges_by_relation(*topology.ROUTING):  # load balancer -> group, then group -> service
        if edge.source in roots and edge.target not in roots:
            roots.append(edge.target)
    return graph, roots


def diagnose(bundle: EvidenceBundle) -> Diagnosis:
    graph, roots = candidates(bundle)
    ctx = context.build(bundle, graph, roots)
    in_scope = {key for key, distance in ctx.distances.items() if distance <= 3} | set(ctx.changes)
    in_scope |= {key for key, r in graph.resources.items() if r.attributes.get(topology.NAMED_IN_LOGS)}
    scored: list[tuple[float, str, str, list[Finding]]] = []
    for key in sorted(in_scope):
        resource = graph.resources.get(key)
        if resource is None:
            continue
        for fault, spec in FAULTS.items():
            if resource.kind not in spec.kinds:
                continue
            findings = spec.rule(ctx, key)
            if not findings:
                continue
            score = sum(f.weight for f in findings) + PROXIMITY_BONUS.get(ctx.distances.get(key, 9), 0.0)
            scored.append((score, key, fault, findings))
    scored.sort(key=lambda item: (-item[0], item[1], item[2]))
    # Confidence is the hypothesis's share of the top five's corroborated scores, damped when its
    # own score is weak: a single-source runner-up takes less of the share than a corroborated one.
    total = sum(s * _corroboration(f) for s, _, _, f in scored[:MAX_HYPOTHESES]) or 1.0
    harmless = not impact.signs_of_harm(ctx)
    damping = HARMLESS_FACTOR if harmless else 1.0
    hypotheses = []
    for rank, (score, key, fault, findings) in enumerate(scored[:MAX_HYPOTHESES], start=1):
        resource = graph.resources[key]
        share = score * _corroboration(findings) / total
        confidence = round(min(0.99, share * min(1.0, score / 6.0)) * damping, 2)
        hypotheses.append(
            Hypothesis(
                rank=rank,
                resource=key,
                resource_name=resource.name,
                resource_kind=resource.kind,
                fault=fault,
                confidence=confidence,
                score=round(score, 2),
                evidence=[
                    EvidenceRef(
                        source=f.source, time=f.time, resource=f.resource, summary=f.summary, weight=f.weight
                    )
                    for f in sorted(findings, key=lambda f: -f.weight)
                ]
                + security_context(bundle, key),
                next_steps=list(FAULTS[fault].next_steps),
                suggested_action=advice.suggested_action(FAULTS[fault], resource, ctx),
            )
        )
    alarm = bundle.alarm
    return Diagnosis(
        account_id=bundle.account_id,
        region=bundle.region,
        alarm=AlarmSummary(
            name=alarm.name,
            arn=alarm.arn,
            state_changed_at=alarm.state_changed_at,
            reason=alarm.state_reason,
            resources=roots,
        ),
        onset=ctx.onset,
        window_start=bundle.window_start,
        window_end=bundle.window_end,
        candidates=len(in_scope),
        hypotheses=hypotheses,
        evidence_unavailable=[gap.describe() for gap in bundle.gaps]
        + [
            f"evidence unavailable: {s.describe()}"
            for s in bundle.finding_sources
            if s.state == "not_enabled"
        ],
        aws_calls=bundle.aws_calls,
        summary=summarize(hypotheses, alarm.name, len(bundle.gaps), harmless=harmless),
        notes=list(bundle.notes) + ([HARMLESS_NOTE] if harmless and hypotheses else []),
    )


def _corroboration(findings: list[Finding]) -> float:
    """1 when two kinds of evidence (metrics and logs, a change and errors, ...) agree; less when
    one source alone carries the hypothesis (a benign spike looks like that too)."""
    sources = {f.source for f in findings if f.weight >= SUBSTANTIAL_WEIGHT}
    return 1.0 if len(sources) >= 2 else SINGLE_SOURCE_FACTOR


def security_context(bundle: EvidenceBundle, key: str) -> list[EvidenceRef]:
    """Security findings on the hypothesis's resource: shown beside it, never scored.

    A finding is context an SRE wants next to a root cause (was this role's credential abused?),
    not by itself a sign of the operational fault types ranked here.
    """
    touching = findings.relevant(bundle.findings, [key], bundle.window_start, bundle.window_end)
    return [
        EvidenceRef(
            source=f"finding:{f.source}",
            time=f.last_seen,
            resource=key,
            summary=f"{f.severity} {f.type}: {f.title}",
            weight=0.0,
        )
        for f in touching[:3]
    ]


HARMLESS_NOTE = (
    "Nothing near the alarm shows harm (no new errors, no rise in 5xx, latency, throttles or message "
    "age, no failed task or check): confidence is lowered, since a busy resource is not yet a fault."
)


def summarize(hypotheses: list[Hypothesis], alarm_name: str, gaps: int, *, harmless: bool = False) -> str:
    if not hypotheses:
        text = f"{alarm_name}: no root cause stands out in the evidence collected."
    else:
        top = hypotheses[0]
        lead = top.evidence[0].summary if top.evidence else ""
        cause = (
            f"{top.fault.replace('_', ' ')} on {top.resource_kind.replace('_', ' ')} {top.resource_name} "
            f"(confidence {top.confidence:.0%})"
        )
        if top.confidence >= WEAK_CONFIDENCE:
            text = f"{alarm_name}: most likely {cause}. Strongest evidence: {lead}"
        else:
            text = f"{alarm_name}: no root cause stands out in the evidence collected; the strongest lead is {cause}: {lead}"
    if harmless and hypotheses:
        text += " Nothing near the alarm shows errors, latency or failed work."
    if gaps:
        text += f" {gaps} evidence source(s) were unavailable; see evidence_unavailable."
    return text
