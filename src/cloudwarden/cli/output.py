"""Console helpers: Rich progress for slow steps, tables for people, JSON for machines."""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Iterator
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cloudwarden.diagnosis.model import Diagnosis
from cloudwarden.errors import CloudWardenError

__all__ = [
    "JsonFlag",
    "Table",
    "console",
    "out",
    "print_diagnosis",
    "print_json",
    "quiet_step",
    "report_error",
    "short_arn",
    "step",
    "sub_app",
]

console = Console(stderr=True)
out = Console()

# Every --json flag: the same help, no type noise in --help.
JsonFlag = Annotated[
    bool, typer.Option("--json", help='Print JSON on stdout (errors too, as {"error": ...}).')
]


def sub_app(help_text: str, **kwargs: object) -> typer.Typer:
    """A command group that looks like the top level: plain help, -h, no tracebacks."""
    return typer.Typer(
        help=help_text,
        no_args_is_help=True,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
        **kwargs,  # type: ignore[arg-type]
    )


def short_arn(value: str) -> str:
    """The resource part of an ARN for text output (JSON keeps the full ARN); anything else as is."""
    parts = value.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and parts[5]:
        return parts[5]
    return value


def report_error(error: CloudWardenError, *, as_json: bool) -> None:
    """One line (plus a hint) on stderr, or the error object on stdout for --json."""
    if as_json:
        print_json(error.as_json())
        return
    console.print(f"[red]error:[/red] {escape(error.message)}", soft_wrap=True)
    if error.hint:
        console.print(f"[dim]hint:[/dim] {escape(error.hint)}", soft_wrap=True)


@contextlib.contextmanager
def step(text: str) -> Iterator[None]:
    """A spinner while the step runs, then a tick with its duration (on stderr)."""
    started = time.perf_counter()
    with console.status(text):
        yield
    console.print(f"[green]✓[/green] {text} [dim]({time.perf_counter() - started:.1f}s)[/dim]")


def quiet_step(_: str) -> contextlib.AbstractContextManager[None]:
    return contextlib.nullcontext()


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def print_diagnosis(diagnosis: Diagnosis) -> None:
    out.print(f"\n[bold]{escape(diagnosis.summary)}[/bold]")
    out.print(
        f"[dim]alarm {diagnosis.alarm.name} at {diagnosis.alarm.state_changed_at:%Y-%m-%d %H:%M:%S} UTC; "
        f"onset {diagnosis.onset:%H:%M}; {diagnosis.candidates} candidates; {diagnosis.aws_calls} AWS calls[/dim]"
    )
    table = Table(title="Ranked root causes", show_lines=True)
    for column in ("#", "resource", "fault", "confidence", "evidence"):
        table.add_column(column, overflow="fold")
    for h in diagnosis.hypotheses:
        # The strongest four, then what GitHub shows a compared deployment brought (context).
        shown = [e for e in h.evidence if e.source != "github"][:4] + [
            e for e in h.evidence if e.source == "github"
        ]
        evidence = "\n".join(escape(f"[{e.source}] {e.summary}") for e in shown)
        table.add_row(
            str(h.rank), f"{h.resource_kind}\n{h.resource_name}", h.fault, f"{h.confidence:.0%}", evidence
        )
    out.print(table)
    if diagnosis.hypotheses:
        top = diagnosis.hypotheses[0]
        out.print("[bold]Next steps[/bold]")
        for line in top.next_steps:
            out.print(f"  • {line}")
        if top.suggested_action:
            out.print(
                f"[bold]Suggested action[/bold] (needs your approval): {top.suggested_action.title} {top.suggested_action.params}"
            )
    if diagnosis.narration is not None:
        n = diagnosis.narration
        source = (
            n.narrator if n.fallback_reason is None else f"template; {n.model} not used: {n.fallback_reason}"
        )
        out.print(f"\n[bold]Narration[/bold] [dim]({escape(source)})[/dim]\n{escape(n.text)}")
    for gap in diagnosis.evidence_unavailable:
        out.print(f"[yellow]! {escape(gap)}[/yellow]")
