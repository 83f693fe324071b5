"""The text report reads well at 80 columns and piped: no token split, ARNs short, no repetition."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from rich.console import Console

from cloudwarden.cli import report
from cloudwarden.diagnosis.engine import summarize
from cloudwarden.diagnosis.model import Diagnosis, EvidenceRef, Narration
from cloudwarden.diagnosis.narrate.template import TemplateNarrator
from tests.diagnosis.narrate.conftest import ACCOUNT, SERVICE, build_diagnosis

# A log template with no space in it: longer than any line, it cannot be wrapped, only moved.
LONG_TOKEN = (
    '{"time":"2026-11-23T13:01:00.840Z","level":"error","msg":"failed_to_persist_order","order_id":57496}'
)


def _realistic() -> Diagnosis:
    """The fixture with the engine's own summary and a log line holding an unbreakable token."""
    diagnosis = build_diagnosis()
    top = diagnosis.hypotheses[0]
    log = EvidenceRef(
        source="logs",
        time=datetime(2026, 11, 23, 13, 2, tzinfo=UTC),
        resource=SERVICE,
        summary=f"/ecs/order-worker: 40x (new) {LONG_TOKEN} AccessDenied",
        weight=0.5,
    )
    hypotheses = [top.model_copy(update={"evidence": [*top.evidence, log]}), *diagnosis.hypotheses[1:]]
    return diagnosis.model_copy(
        update={
            "hypotheses": hypotheses,
            "summary": summarize(hypotheses, diagnosis.alarm.name, len(diagnosis.evidence_unavailable)),
        }
    )


def _render(diagnosis: Diagnosis, *, width: int = 80, terminal: bool = False) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=terminal, color_system=None)
    report.print_diagnosis(diagnosis, console)
    return buffer.getvalue()


def _tokens(text: str) -> set[str]:
    return set(text.split())


@pytest.mark.parametrize("terminal", [True, False], ids=["terminal", "piped"])
def test_no_line_passes_80_columns_unless_it_holds_one_unbreakable_token(terminal: bool) -> None:
    text = _render(_realistic(), terminal=terminal)
    long_lines = [line for line in text.splitlines() if len(line) > 80]
    # Only the token too long for any line overflows, alone on its line and whole.
    assert [line.split() for line in long_lines] == [[LONG_TOKEN]], text
    assert "arn:aws" not in text and "┃" not in text, text


def test_no_identifier_is_split_across_lines() -> None:
    diagnosis = build_diagnosis()
    text = _render(diagnosis)
    words = _tokens(text)
    for identifier in (
        "sg-81f09b629170145fb",
        "sg-54379cfe3f0ebdccb",
        "assumed-role/AWSReservedSSO_PowerUser_5f2a9c/jane.doe@example.com",
        "ecs-svc/4098288358748346696",
        "logs:FilterLogEvents",
    ):
        assert any(identifier in word for word in words), f"{identifier} was split or lost:\n{text}"


def test_arns_are_shortened_to_their_resource_part_in_text() -> None:
    text = _render(build_diagnosis())
    assert "arn:aws" not in text, text
    assert "assumed-role/CloudWardenReadOnly/cloudwarden" in " ".join(text.split())


def test_each_cause_is_a_block_with_its_evidence_and_when_it_was_seen() -> None:
    text = _render(build_diagnosis())
    assert re.search(r"^1\. network_block  security_group sg-81f09b629170145fb  62%$", text, re.M), text
    assert re.search(r"^   - 13:00 \[cloudtrail\] CloudTrail RevokeSecurityGroupIngress by$", text, re.M), (
        text
    )
    assert re.search(r"^   - 13:01 \[metrics\] AWS/RDS DatabaseConnections", text, re.M), text
    assert re.search(r"^2\. bad_deploy  ecs_service storefront-api  21%$", text, re.M), text
    assert re.search(r"^   - 12:21 \[ecs-deployment\] deployment ecs-svc/4098288358748346696", text, re.M)
    assert "┃" not in text and "│" not in text, "the folded table is back"


def test_evidence_from_another_day_carries_its_date() -> None:
    diagnosis = build_diagnosis()
    top = diagnosis.hypotheses[0]
    commit = EvidenceRef(
        source="github",
        time=datetime(2026, 11, 21, 9, 30, tzinfo=UTC),
        resource=SERVICE,
        summary="a965c72 mhernandez: pricing: promo engine v2",
        weight=0.0,
    )
    hypotheses = [top.model_copy(update={"evidence": [*top.evidence, commit]}), *diagnosis.hypotheses[1:]]
    text = _render(diagnosis.model_copy(update={"hypotheses": hypotheses}))
    assert "   - 2026-11-21 09:30 [github] a965c72 mhernandez: pricing: promo engine v2" in text


def test_a_name_too_long_for_the_title_line_gets_its_own_line() -> None:
    diagnosis = build_diagnosis()
    name = "storefront-api-" + "blue-green-canary-" * 2 + "v2"
    second = diagnosis.hypotheses[1].model_copy(update={"resource_name": name})
    text = _render(diagnosis.model_copy(update={"hypotheses": [diagnosis.hypotheses[0], second]}))
    assert re.search(r"^2\. bad_deploy  21%$", text, re.M), text
    assert re.search(rf"^   ecs_service {name}$", text, re.M), text


def test_the_header_says_where_and_when_and_does_not_restate_the_evidence() -> None:
    diagnosis = _realistic()
    assert "Strongest evidence: CloudTrail RevokeSecurityGroupIngress" in diagnosis.summary
    text = " ".join(_render(diagnosis).split())
    assert text.startswith(
        "storefront-5xx-high: most likely network block on security group sg-81f09b629170145fb "
        "(confidence 62%) alarm storefront-5xx-high in 123456789012 us-east-1 at 2026-11-23 13:04:00 UTC; "
        "onset 13:00; 10 candidates; 31 AWS calls"
    ), text
    assert "Strongest evidence" not in text
    # Once under each cause that lists it (ranks 1 and 3), not a third time in the headline.
    assert text.count("CloudTrail RevokeSecurityGroupIngress") == 2


def test_notes_and_gaps_are_shown() -> None:
    diagnosis = build_diagnosis().model_copy(
        update={"notes": ["the alarm is OK now; investigating the window around --at 13:00"]}
    )
    text = " ".join(_render(diagnosis).split())
    assert "note: the alarm is OK now; investigating the window around --at 13:00" in text
    assert "! evidence unavailable: logs:FilterLogEvents accessdenied" in text


def test_the_template_narration_is_not_printed_beside_the_report_it_restates() -> None:
    diagnosis = build_diagnosis()
    narrated = diagnosis.model_copy(update={"narration": TemplateNarrator().narrate(diagnosis)})
    text = _render(narrated)
    assert "Most likely cause:" not in text and "Narration" not in text and "Runner-up" not in text
    assert text.count("Restore the revoked security group rule") == 1
    assert text.count("network_block") == 2 and text.count("62%") == 2  # its block and the headline
    # What the template says beyond the blocks, the report says too: where, why and when.
    flat = " ".join(text.split())
    assert "why it fired: Threshold Crossed" in flat
    assert f"in {ACCOUNT} us-east-1" in flat
    assert narrated.narration is not None
    for moment in re.findall(r"\d{4}-\d{2}-\d{2} (\d{2}:\d{2}):\d{2} UTC", narrated.narration.text):
        assert moment in flat, moment


def test_a_fallback_says_which_model_was_not_used_and_prints_no_template_prose() -> None:
    diagnosis = build_diagnosis()
    fallback = (
        TemplateNarrator()
        .narrate(diagnosis)
        .model_copy(update={"model": "claude-x", "fallback_reason": "timeout after 10s"})
    )
    text = _render(diagnosis.model_copy(update={"narration": fallback}))
    assert "narration: claude-x not used (timeout after 10s)" in text
    assert "Most likely cause:" not in text


def test_a_model_narration_is_printed_under_its_name() -> None:
    diagnosis = build_diagnosis()
    narration = Narration(
        text="The storefront lost its database after a security group rule was revoked at 13:00.",
        narrator="anthropic",
        model="claude-x",
        input_tokens=1,
        output_tokens=1,
        cost_usd=0.0,
        duration_ms=1,
    )
    text = _render(diagnosis.model_copy(update={"narration": narration}))
    assert "Narration (anthropic, claude-x)" in text
    assert "lost its database" in text
