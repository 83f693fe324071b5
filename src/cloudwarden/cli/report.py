"""The diagnosis as text: readable at 80 columns and when piped.

Each ranked cause is a block (rank, fault, resource, confidence; its evidence as indented
lines, each with the time it was seen), wrapped on spaces only, so an ARN, an id or a log
template is never split across lines; ARNs are shortened to their resource part (the JSON
output keeps them whole). The headline names the likeliest cause without restating its
evidence, which is the first line of the first block.

The template narration is not printed: it restates this report in sentences, for channels
that have no table (it is in `--json`), and what it says beyond the blocks is here too: the
account and region and the alarm's own reason in the header, when each piece of evidence
was seen on its line. A narration written by a model is printed under its name.
"""

from __future__ import annotations

import re
import textwrap
from datetime import UTC, datetime

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


def _when(moment: datetime | None, day: datetime) -> str:
    """HH:MM, with the date when it is not the alarm's day (a commit from last week); "" if unknown."""
    if moment is None:
        return ""
    moment = moment.astimezone(UTC)
    return f"{moment:%H:%M} " if moment.date() == day.date() else f"{moment:%Y-%m-%d %H:%M} "


def _hypothesis_lines(h: Hypothesis, width: int, day: datetime) -> list[str]:
    shown = [e for e in h.evidence if e.source != "github"][:MAX_EVIDENCE] + [
        e for e in h.evidence if e.source == "github"
    ]
    title = f"{h.rank}. {h.fault}  {h.resource_kind} {shorten_arns(h.resource_name)}  {h.confidence:.0%}"
    if len(title) <= width:
        lines = [title]
    else:  # a long name: it gets a line of its own
        lines = [f"{h.rank}. {h.fault}  {h.confidence:.0%}"]
        lines += _wrap(f"{h.resource_kind} {h.resource_name}", width, indent="   ")
    for e in shown:
        lines += _wrap(f"{_when(e.time, day)}[{e.source}] {e.summary}", width, indent="     ", first="   - ")
    return lines


def _headline(diagnosis: Diagnosis) -> str:
    """The likeliest cause in one sentence; its evidence is the first line of the first block."""
    if not diagnosis.hypotheses:
        return diagnosis.summary
    top = diagnosis.hypotheses[0]
    return (
        f"{diagnosis.alarm.name}: most likely {top.fault.replace('_', ' ')} on "
        f"{top.resource_kind.replace('_', ' ')} {top.resource_name} (confidence {top.confidence:.0%})"
    )


def render_lines(diagnosis: Diagnosis, width: int) -> list[tuple[str, str]]:
    """(style, line) pairs; the style is Rich markup applied to the whole line."""
    alarm = diagnosis.alarm
    day = alarm.state_changed_at.astimezone(UTC)
    out: list[tuple[str, str]] = [("", "")]
    out += [("bold", line) for line in _wrap(_headline(diagnosis), width)]
    out += [
        ("dim", line)
        for line in _wrap(
            f"alarm {alarm.name} in {diagnosis.account_id} {diagnosis.region} at {day:%Y-%m-%d %H:%M:%S} UTC; "
            f"onset {diagnosis.onset.astimezone(UTC):%H:%M}; {diagnosis.candidates} candidates; "
            f"{diagnosis.aws_calls} AWS calls",
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
        out += [("", line) for line in _hypothesis_lines(h, width, day)]
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
