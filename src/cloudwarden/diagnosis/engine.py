"""Rank root causes: candidates from topology and changes, scored by fault signatures."""

from __future__ import annotations

from cloudwarden.diagnosis import advice, context, topology
from cloudwarden.diagnosis.faults import FAULTS
from cloudwarden.diagnosis.model import AlarmSummary, Diagnosis, EvidenceRef, Hypothesis
from cloudwarden.diagnosis.rulekit import Finding
from cloudwarden.evidence.collectors import findings
from cloudwarden.evidence.model import EvidenceBundle

MAX_HYPOTHESES = 5
# Closer to the alarm is likelier, all else equal: a small tie-breaker, never decisive.
PROXIMITY_BONUS = {0: 0.3, 1: 0.2, 2: 0.1}


def candidates(bundle: EvidenceBundle) -> tuple[topology.Graph, list[str]]:
    resources = list(bundle.resources)
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
    total = sum(s for s, *_ in scored[:MAX_HYPOTHESES]) or 1.0
    hypotheses = []
    for rank, (score, key, fault, findings) in enumerate(scored[:MAX_HYPOTHESES], start=1):
        resource = graph.resources[key]
        confidence = round(min(0.99, (score / total) * min(1.0, score / 6.0)), 2)
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
        summary=summarize(hypotheses, alarm.name, len(bundle.gaps)),
        notes=list(bundle.notes),
    )


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


def summarize(hypotheses: list[Hypothesis], alarm_name: str, gaps: int) -> str:
    if not hypotheses:
        text = f"{alarm_name}: no root cause stands out in the evidence collected."
    else:
        top = hypotheses[0]
        lead = top.evidence[0].summary if top.evidence else ""
        text = (
            f"{alarm_name}: most likely {top.fault.replace('_', ' ')} on {top.resource_kind.replace('_', ' ')} "
            f"{top.resource_name} (confidence {top.confidence:.0%}). Strongest evidence: {lead}"
        )
    if gaps:
        text += f" {gaps} evidence source(s) were unavailable; see evidence_unavailable."
    return text
