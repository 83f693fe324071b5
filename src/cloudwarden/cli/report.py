"""The diagnosis as text: readable at 80 columns and when piped.

Each ranked cause is a block (rank, fault, confidence; the resource; its evidence as indented
lines), wrapped on spaces only, so an ARN, an id or a log template is never split across lines;
ARNs are shortened to their resource part (the JSON output keeps them whole). The template
narration is not printed: it restates this report in sentences, for channels that have no
table (it is in `--json`); the one thing it adds, the alarm's own reason, is in the header. A
narration written by a model is printed under its name.
"""

from __future__ import annotations

import re
import textwrap

from rich.console import Console
from rich.markup import escape

from cloudwarden.diagnosis.model import Diagnosis, Hypothesis

MAX_EVIDENCE = 4  # the strongest; GitHub context lines come after, always
_ARN = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:[^\s,;()'\"\]\[]+")


def shorten_arns(text: str) -> str:
    """Every ARN in `text` as its resource part (role/x, security-group/sg-1, function:f)."""
    return _ARN.sub(lambda m: m.group(0).split(":", 5)[5], text)


def _wrap(text: str, width: int, indent: str = "", first: str | None = None) -> list[str]:
    return textwrap.wrap(
        " ".join(shorten_arns(text).split()),
        width=max(width, 40),
        initial_indent=indent if first is None else first,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [first or indent]


def _hypothesis_lines(h: Hypothesis, width: int) -> list[str]:
    shown = [e for e in h.evidence if e.source != "github"][:MAX_EVIDENCE] + [
        e for e in h.evidence if e.source == "github"
    ]
    lines = [f"{h.rank}. {h.fault}  {h.confidence:.0%}"]
    lines += _wrap(f"{h.resource_kind} {h.resource_name}", width, indent="   ")
    for e in shown:
        lines += _wrap(f"[{e.source}] {e.summary}", width, indent="     ", first="   - ")
    return lines


def render_lines(diagnosis: Diagnosis, width: int) -> list[tuple[str, str]]:
    """(style, line) pairs; the style is Rich markup applied to the whole line."""
    alarm = diagnosis.alarm
    out: list[tuple[str, str]] = [("", "")]
    out += [("bold", line) for line in _wrap(diagnosis.summary, width)]
    out += [
        ("dim", line)
        for line in _wrap(
            f"alarm {alarm.name} at {alarm.state_changed_at:%Y-%m-%d %H:%M:%S} UTC; onset "
            f"{diagnosis.onset:%H:%M}; {diagnosis.candidates} candidates; {diagnosis.aws_calls} AWS calls",
            width,
        )
    ]
    if alarm.reason:
        out += [("dim", line) for line in _wrap(alarm.reason, width, first="why it fired: ", indent="  ")]
    out += [
        ("dim", line) for note in diagnosis.notes for line in _wrap(note, width, first="note: ", indent="  ")
    ]
    out.append(("", ""))
    out.append(("bold", "Ranked root causes" if diagnosis.hypotheses else "No root cause stands out"))
    for h in diagnosis.hypotheses:
        out += [("", line) for line in _hypothesis_lines(h, width)]
    if diagnosis.hypotheses:
        top = diagnosis.hypotheses[0]
        if top.next_steps:
            out.append(("", ""))
            out.append(("bold", "Next steps"))
            for step in top.next_steps:
                out += [("", line) for line in _wrap(step, width, first="  • ", indent="    ")]
        if top.suggested_action:
            action = top.suggested_action
            params = ", ".join(f"{k}={v}" for k, v in action.params.items())
            out.append(("", ""))
            out += [
                ("", line)
                for line in _wrap(f"Suggested action (needs your approval): {action.title} ({params})", width)
            ]
    narration = diagnosis.narration
    if narration is not None and narration.fallback_reason is None and narration.narrator != "template":
        out.append(("", ""))
        out.append(("bold", f"Narration ({narration.narrator}, {narration.model})"))
        out += [("", line) for line in _wrap(narration.text, width)]
    elif narration is not None and narration.fallback_reason is not None:
        out += [
            ("dim", line)
            for line in _wrap(f"narration: {narration.model} not used ({narration.fallback_reason})", width)
        ]
    for gap in diagnosis.evidence_unavailable:
        out += [("yellow", line) for line in _wrap(gap, width, first="! ", indent="  ")]
    return out


def print_diagnosis(diagnosis: Diagnosis, console: Console) -> None:
    for style, line in render_lines(diagnosis, console.width):
        text = escape(line)
        console.print(f"[{style}]{text}[/{style}]" if style and line else text, soft_wrap=True)
