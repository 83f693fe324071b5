"""The default narration: plain sentences built from the Diagnosis alone, no key, no network.

It is also what every LLM failure falls back to, so it must always produce something
readable, including for a diagnosis with no hypotheses.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

from cloudwarden.diagnosis.faults import FAULTS
from cloudwarden.diagnosis.model import Diagnosis, EvidenceRef, Hypothesis
from cloudwarden.diagnosis.narrate.base import Narration
from cloudwarden.evidence.kinds import KINDS

# Evidence beyond the strongest that is worth a clause; the rest is in the JSON.
MAX_SUPPORTING = 2
MAX_SUMMARY_CHARS = 240


def fault_label(fault: str) -> str:
    spec = FAULTS.get(fault)
    return spec.label if spec is not None else fault.replace("_", " ")


def kind_label(kind: str) -> str:
    spec = KINDS.get(kind)
    return spec.label if spec is not None else kind.replace("_", " ")


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def render(diagnosis: Diagnosis) -> str:
    """A few sentences: what fired, the likeliest cause and why, the runner-up, gaps, next steps."""
    alarm = diagnosis.alarm
    sentences = [
        f"Alarm {alarm.name} went into ALARM at {format_time(alarm.state_changed_at)} "
        f"in account {diagnosis.account_id} ({diagnosis.region}): {_clean(alarm.reason)}.",
        f"The incident began around {format_time(diagnosis.onset)}.",
    ]
    if not diagnosis.hypotheses:
        sentences.append(
            f"No root cause stands out in the evidence collected ({diagnosis.candidates} resources considered)."
        )
    else:
        top = diagnosis.hypotheses[0]
        sentences.append(f"Most likely cause: {_cause(top)}.")
        # Weight-0 evidence (security findings) is context beside the cause, never its proof.
        scored = [e for e in top.evidence if e.weight > 0]
        context = [e for e in top.evidence if e.weight <= 0]
        if scored:
            sentences.append(f"Strongest evidence: {_evidence(scored[0])}.")
            supporting = scored[1 : 1 + MAX_SUPPORTING]
            if supporting:
                sentences.append("Also seen: " + "; ".join(_evidence(e) for e in supporting) + ".")
        if context:
            sentences.append("Context, not scored: " + "; ".join(_evidence(e) for e in context) + ".")
        if len(diagnosis.hypotheses) > 1:
            runner_up = diagnosis.hypotheses[1]
            clause = f"Runner-up: {_cause(runner_up)}"
            runner_up_scored = [e for e in runner_up.evidence if e.weight > 0]
            if runner_up_scored:
                clause += f", based on {_evidence(runner_up_scored[0])}"
            sentences.append(clause + ".")
    if diagnosis.evidence_unavailable:
        gaps = "; ".join(_clean(gap) for gap in diagnosis.evidence_unavailable)
        sentences.append(
            f"{len(diagnosis.evidence_unavailable)} evidence source(s) were unavailable, "
            f"so the picture may be incomplete: {gaps}."
        )
    if diagnosis.hypotheses:
        top = diagnosis.hypotheses[0]
        if top.next_steps:
            steps = " ".join(f"{i}) {_clean(step)}." for i, step in enumerate(top.next_steps, start=1))
            sentences.append(f"Next steps: {steps}")
        if top.suggested_action is not None:
            sentences.append(
                f"A remediation fits and waits for your approval: {_clean(top.suggested_action.title)}."
            )
    return " ".join(sentences)


class TemplateNarrator:
    """Narrator over `render`; costs nothing and cannot fail on a valid Diagnosis."""

    name = "template"

    def narrate(self, diagnosis: Diagnosis) -> Narration:
        started = time.monotonic()
        text = render(diagnosis)
        return Narration(
            text=text,
            narrator=self.name,
            input_tokens=0,
            output_tokens=0,
            cost_usd=0.0,
            duration_ms=int((time.monotonic() - started) * 1000),
        )


def _cause(h: Hypothesis) -> str:
    return f"{fault_label(h.fault)} on {kind_label(h.resource_kind)} {h.resource_name} (confidence {h.confidence:.0%})"


def _evidence(ref: EvidenceRef) -> str:
    where = ref.source if ref.time is None else f"{ref.source} at {format_time(ref.time)}"
    return f"{_clean(ref.summary)} ({where})"


def _clean(text: str) -> str:
    # Log lines carry tabs and newlines; a sentence should not, and a runaway line is cut.
    text = re.sub(r"\s+", " ", text).strip().rstrip(".")
    if len(text) > MAX_SUMMARY_CHARS:
        # Cut at a space so no identifier is left half-quoted (it would name something unseen).
        text = text[:MAX_SUMMARY_CHARS].rsplit(" ", 1)[0].rstrip() + " …"
    return text
