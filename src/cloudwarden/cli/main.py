"""Entry point: `cloudwarden <command>`. Each command group lives in its own module.

Every failure ends here as one line (plus at most a hint) and a documented exit code
(cloudwarden.errors); with `--json` the error is a JSON object on stdout instead.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from importlib.metadata import version
from typing import Annotated, Any

import typer
from typer.core import TyperArgument, TyperGroup, TyperOption

from cloudwarden.cli import (
    accounts,
    admin,
    audit,
    bench,
    db,
    demo,
    investigate,
    output,
    posture,
    serve,
    sim,
    work,
)
from cloudwarden.errors import EXIT_INTERNAL, EXIT_USAGE, CloudWardenError

CONTEXT = {"help_option_names": ["-h", "--help"]}
log = logging.getLogger("cloudwarden.cli")


def _metavar(param: TyperOption, ctx: Any = None) -> str:
    return param.metavar or str(param.name or "value").rstrip("_").upper()


def _no_type(param: TyperArgument, ctx: Any = None) -> None:
    return None


# Typer (pinned, 0.29) prints a type after every parameter in help ("--alarm <str>", "--json
# <bool>"); aws, kubectl and gh print a metavar for an option that takes a value and nothing else.
# tests/cli/test_every_command.py fails if the noise comes back.
TyperOption.display_type_rich = _metavar  # type: ignore[method-assign, assignment]
TyperArgument.display_type_rich = _no_type  # type: ignore[method-assign, assignment]


class CloudWardenGroup(TyperGroup):
    """Runs a command and turns whatever it raises into one line and an exit code."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        as_json = "--json" in argv
        try:
            result = super().main(
                args=argv, prog_name=prog_name, complete_var=complete_var, standalone_mode=False, **extra
            )
            code = result if isinstance(result, int) and not isinstance(result, bool) else 0
        except typer.Abort:
            output.console.print("aborted")
            code = 130
        except typer.TyperException as exc:  # Click's usage errors (Typer vendors Click)
            code = _report_usage(exc, as_json=as_json)
        except CloudWardenError as exc:
            output.report_error(exc, as_json=as_json)
            code = exc.exit_code
        except Exception as exc:  # a bug: one line for the user, the traceback at DEBUG
            log.debug("internal error", exc_info=True)
            internal = CloudWardenError(
                f"internal error: {type(exc).__name__}: {str(exc)[:300]}",
                hint="this is a bug; set CLOUDWARDEN_LOG_LEVEL=DEBUG for the traceback and report it",
            )
            output.report_error(internal, as_json=as_json)
            code = EXIT_INTERNAL
        if standalone_mode:
            sys.exit(code)
        return code


def _report_usage(exc: typer.TyperException, *, as_json: bool) -> int:
    """Click's own usage errors (unknown option, bad value) in the same shape as ours."""
    code = exc.exit_code or EXIT_USAGE
    if as_json:
        output.print_json({"error": {"code": "usage", "message": exc.format_message()}, "exit_code": code})
    elif hasattr(exc, "show"):
        exc.show(file=sys.stderr)
    else:
        output.console.print(f"error: {exc.format_message()}", soft_wrap=True)
    return code


app = typer.Typer(
    cls=CloudWardenGroup,
    help="CloudWarden: an open-source on-call partner for AWS accounts.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings=CONTEXT,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"cloudwarden {version('cloudwarden')}")
        raise typer.Exit()


@app.callback()
def _configure(
    _version: Annotated[
        bool | None,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = None,
) -> None:
    """CloudWarden: an open-source on-call partner for AWS accounts.

    Exit codes: 0 ok, 1 internal error, 2 usage or configuration, 3 account not connected,
    4 AWS or the database unreachable, 5 nothing to investigate, 6 audit log broken.
    """
    from cloudwarden.aws import redact
    from cloudwarden.config import get_settings

    logging.basicConfig(
        level=get_settings().log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    redact.install()


app.command("demo")(demo.demo)
app.command("iam-template")(accounts.iam_template)
app.command("connect")(accounts.connect)
app.add_typer(accounts.app, name="accounts")
app.command("investigate")(investigate.investigate)
app.command("purge")(db.purge)
app.command("serve")(serve.serve)
app.command("worker")(work.worker)
app.command("beat")(work.beat)
app.command("test-alert")(work.test_alert)
app.add_typer(work.channels_app, name="channels")
app.add_typer(admin.app, name="admin")
app.add_typer(admin.keys_app, name="keys")
app.add_typer(sim.app, name="sim")
app.add_typer(bench.app, name="bench")
app.add_typer(db.app, name="db")
app.add_typer(audit.app, name="audit")
app.add_typer(posture.app, name="posture")

if __name__ == "__main__":
    app()
