"""The text report reads well at 80 columns and piped: no token split, ARNs short, no repetition."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from cloudwarden.cli import report
from cloudwarden.diagnosis.model import Diagnosis, Narration
from cloudwarden.diagnosis.narrate.template import TemplateNarrator
from tests.diagnosis.narrate.conftest import build_diagnosis


def _render(diagnosis: Diagnosis, *, width: int = 80, terminal: bool = False) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=terminal, color_system=None)
    report.print_diagnosis(diagnosis, console)
    return buffer.getvalue()


def _tokens(text: str) -> set[str]:
    return set(text.split())


@pytest.mark.parametrize("terminal", [True, False], ids=["terminal", "piped"])
def test_no_line_passes_80_columns_unless_one_token_is_longer(terminal: bool) -> None:
    text = _render(build_diagnosis(), terminal=terminal)
    for line in text.splitlines():
        if len(line) > 80:
            assert len(line.split()) == 1 or max(len(t) for t in line.split()) > 60, line


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


def test_each_cause_is_a_block_with_its_evidence() -> None:
    text = _render(build_diagnosis())
    assert re.search(r"^1\. network_block  62%$", text, re.M)
    assert re.search(r"^   security_group sg-81f09b629170145fb$", text, re.M)
    assert re.search(r"^   - \[cloudtrail\] CloudTrail RevokeSecurityGroupIngress", text, re.M)
    assert re.search(r"^2\. bad_deploy  21%$", text, re.M)
    assert "┃" not in text and "│" not in text, "the folded table is back"


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
    assert "Most likely cause:" not in text and "Narration" not in text
    assert text.count("Restore the revoked security group rule") == 1
    assert "why it fired: Threshold Crossed" in " ".join(text.split())


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
