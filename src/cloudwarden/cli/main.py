"""Entry point: `cloudwarden <command>`. Each command group lives in its own module."""

from __future__ import annotations

import typer

from cloudwarden.cli import accounts, bench, db, demo, investigate, sim

app = typer.Typer(
    help="CloudWarden: an open-source on-call partner for AWS accounts.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _configure_logging() -> None:
    """Log to stderr at CLOUDWARDEN_LOG_LEVEL, with session credentials redacted."""
    import logging

    from cloudwarden.aws import redact
    from cloudwarden.config import get_settings

    logging.basicConfig(
        level=get_settings().log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    redact.install()


app.command("demo")(demo.demo)
app.command("iam-template")(accounts.iam_template)
app.command("connect")(accounts.connect)
app.command("accounts")(accounts.list_accounts)
app.command("investigate")(investigate.investigate)
app.command("purge")(db.purge)
app.add_typer(sim.app, name="sim")
app.add_typer(bench.app, name="bench")
app.add_typer(db.app, name="db")

if __name__ == "__main__":
    app()
