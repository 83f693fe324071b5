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
    """The report on stdout, readable at 80 columns and piped (cli/report.py)."""
    from cloudwarden.cli import report

    report.print_diagnosis(diagnosis, out)
