"""What an LLM narrator is told, and the evidence it is shown (before masking)."""

from __future__ import annotations

import json
from typing import Any

from cloudwarden.diagnosis.model import Diagnosis

SYSTEM_PROMPT = """\
You narrate an incident diagnosis for an on-call engineer who was just paged.

Rules:
- Use only the evidence in the diagnosis JSON. Do not invent resources, causes, numbers or times.
- Lead with the rank 1 hypothesis as the most likely cause; mention the rank 2 hypothesis, if any, \
only as less likely.
- Name causes only by the fault types that appear in the hypotheses. Do not speculate about others.
- Tokens such as ACCOUNT_1, ARN_2, IP_3 and EMAIL_4 are placeholders for real values. Copy them \
exactly as written; never expand, shorten, alter or invent one.
- Mention evidence that could not be collected, if any, and end with the first next step.
- Write 3 to 6 plain sentences. No markdown, no lists, no headings."""


def evidence_payload(diagnosis: Diagnosis) -> dict[str, Any]:
    """The parts of the diagnosis a narration needs; scores and weights are left out as noise."""
    alarm = diagnosis.alarm
    return {
        "account_id": diagnosis.account_id,
        "region": diagnosis.region,
        "alarm": {
            "name": alarm.name,
            "arn": alarm.arn,
            "state_changed_at": alarm.state_changed_at.isoformat(),
            "reason": alarm.reason,
            "resources": list(alarm.resources),
        },
        "onset": diagnosis.onset.isoformat(),
        "hypotheses": [
            {
                "rank": h.rank,
                "resource": h.resource,
                "resource_name": h.resource_name,
                "resource_kind": h.resource_kind,
                "fault": h.fault,
                "confidence": h.confidence,
                "evidence": [
                    {
                        "source": e.source,
                        "time": None if e.time is None else e.time.isoformat(),
                        "resource": e.resource,
                        "summary": e.summary,
                    }
                    for e in h.evidence
                ],
                "next_steps": list(h.next_steps),
                "suggested_action": None if h.suggested_action is None else h.suggested_action.title,
            }
            for h in diagnosis.hypotheses
        ],
        "evidence_unavailable": list(diagnosis.evidence_unavailable),
    }


def user_prompt(masked_payload: dict[str, Any]) -> str:
    return (
        "Narrate this diagnosis in plain sentences, following the rules.\n\n"
        f"Diagnosis JSON:\n{json.dumps(masked_payload, indent=1, ensure_ascii=False)}"
    )
