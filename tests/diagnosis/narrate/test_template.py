from __future__ import annotations

from cloudwarden.diagnosis.model import EvidenceRef
from cloudwarden.diagnosis.narrate import TemplateNarrator, render, violations


def test_template_tells_the_story_in_order(diagnosis):
    text = render(diagnosis)

    assert text.startswith("Alarm storefront-5xx-high went into ALARM at 2026-11-23 13:04:00 UTC")
    expected_in_order = [
        "The incident began around 2026-11-23 13:00:04 UTC.",
        "Most likely cause: a network block on security group sg-81f09b629170145fb (confidence 62%).",
        "Strongest evidence: CloudTrail RevokeSecurityGroupIngress",
        "(cloudtrail at 2026-11-23 13:00:00 UTC)",
        "Runner-up: a bad deploy on ECS service storefront-api (confidence 21%)",
        "1 evidence source(s) were unavailable",
        "logs:FilterLogEvents accessdenied",
        "Next steps: 1) Restore the revoked security group rule.",
    ]
    positions = [text.index(fragment) for fragment in expected_in_order]
    assert positions == sorted(positions)


def test_template_passes_its_own_validation(diagnosis):
    assert violations(render(diagnosis), diagnosis) == []


def test_no_hypothesis_still_reads_well(diagnosis):
    empty = diagnosis.model_copy(update={"hypotheses": [], "evidence_unavailable": []})
    text = render(empty)
    assert "No root cause stands out in the evidence collected (10 resources considered)." in text
    assert "Next steps" not in text


def test_template_narrator_costs_nothing(diagnosis):
    narration = TemplateNarrator().narrate(diagnosis)
    assert narration.narrator == "template"
    assert narration.fallback_reason is None
    assert (narration.input_tokens, narration.output_tokens, narration.cost_usd) == (0, 0, 0.0)


def test_security_findings_are_shown_as_context_not_as_proof(diagnosis):
    top = diagnosis.hypotheses[0]
    finding = EvidenceRef(
        source="finding:guardduty",
        time=top.evidence[0].time,
        resource=top.resource,
        summary="MEDIUM Recon:EC2/PortProbeUnprotectedPort: Unprotected port on the group is being probed",
        weight=0.0,
    )
    hypotheses = [top.model_copy(update={"evidence": [*top.evidence, finding]}), *diagnosis.hypotheses[1:]]

    text = render(diagnosis.model_copy(update={"hypotheses": hypotheses}))

    also_seen = text[text.index("Also seen:") : text.index("Context, not scored:")]
    assert "PortProbe" not in also_seen
    assert "Context, not scored: MEDIUM Recon:EC2/PortProbeUnprotectedPort" in text
