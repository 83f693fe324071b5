"""`cloudwarden iam-template`, `connect`, `accounts`: onboarding a customer's AWS account."""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from cloudwarden.cli import output
from cloudwarden.config import get_settings


def iam_template(
    format_: Annotated[str, typer.Option("--format", help="cloudformation or terraform")] = "cloudformation",
    policy: Annotated[
        str,
        typer.Option(
            help="least-privilege (generated from the code's declarations), ReadOnlyAccess or ViewOnlyAccess"
        ),
    ] = "least-privilege",
    principal: Annotated[
        str | None, typer.Option(help="Principal ARN CloudWarden runs as (default: configured)")
    ] = None,
) -> None:
    """Print the template a customer deploys: read-only role, optional actions role, alerts topic."""
    from cloudwarden.aws.template import render_declared

    if format_ not in ("cloudformation", "terraform"):
        raise typer.BadParameter("must be cloudformation or terraform", param_hint="--format")
    if policy not in ("least-privilege", "ReadOnlyAccess", "ViewOnlyAccess"):
        raise typer.BadParameter(
            "must be least-privilege, ReadOnlyAccess or ViewOnlyAccess", param_hint="--policy"
        )
    fmt: Literal["cloudformation", "terraform"] = (
        "cloudformation" if format_ == "cloudformation" else "terraform"
    )
    text = render_declared(
        fmt,
        principal_arn=principal or get_settings().principal_arn,
        policy_mode=policy,  # type: ignore[arg-type]
    )
    typer.echo(text)


def connect(
    role_arn: Annotated[
        str, typer.Option(help="ARN of the read-only role deployed from `cloudwarden iam-template`")
    ],
    region: Annotated[str | None, typer.Option(help="Region to investigate (default: configured)")] = None,
    name: Annotated[str | None, typer.Option(help="A name for the account")] = None,
    json_: output.JsonFlag = False,
) -> None:
    """Register an account (first run prints its ExternalId) and verify access, per evidence source."""
    from cloudwarden import runtime
    from cloudwarden.aws import probe as aws_probe
    from cloudwarden.aws.session import AccountDisconnected, SessionBroker
    from cloudwarden.store import service as store

    settings = get_settings()
    try:
        runtime.account_id_of(role_arn)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--role-arn") from None
    chosen_region = region or settings.default_region
    factory = runtime.open_store(settings)
    with factory.begin() as db:
        account = store.get_account_by_role(db=db, role_arn=role_arn)
        created = account is None
        if account is None:
            account = store.create_account(
                db=db, name=name or role_arn, role_arn=role_arn, regions=[chosen_region]
            )
        account_id, external_id = account.id, account.external_id
    if created and not json_:
        output.console.print(
            f"Registered. Deploy the template with [bold]ExternalId={external_id}[/bold] "
            "(`cloudwarden iam-template`), then run this command again if the role does not exist yet."
        )
    try:
        with output.step("AssumeRole with the ExternalId") if not json_ else output.quiet_step(""):
            session = SessionBroker(settings).session(
                role_arn=role_arn, external_id=external_id, region=chosen_region
            )
        with output.step("Probing permissions per evidence source") if not json_ else output.quiet_step(""):
            results = aws_probe.probe(session)
    except AccountDisconnected as exc:
        with factory.begin() as db:
            stored = store.get_account(db=db, account_id=account_id)
            if stored is not None:
                store.mark_disconnected(db=db, account=stored, reason=str(exc))
        if json_:
            output.print_json(
                {"account": account_id, "connected": False, "error": str(exc), "external_id": external_id}
            )
        else:
            output.console.print(f"[red]Not connected:[/red] {exc}")
        raise typer.Exit(3) from None
    with factory.begin() as db:
        stored = store.get_account(db=db, account_id=account_id)
        assert stored is not None
        store.mark_connected(db=db, account=stored, probe={r.source: r.detail for r in results})
    if json_:
        output.print_json(
            {
                "account": account_id,
                "connected": True,
                "aws_account_id": session.account_id,
                "caller": session.caller_arn,
                "sources": [r.__dict__ for r in results],
            }
        )
        return
    table = output.Table(title=f"Connected to {session.account_id} as {session.caller_arn}")
    for column in ("evidence source", "usable", "detail"):
        table.add_column(column)
    for r in results:
        table.add_row(r.source, "[green]yes[/green]" if r.usable else "[red]no[/red]", r.detail)
    output.out.print(table)


app = output.sub_app(
    "Registered AWS accounts: list (the default), show, remove.", invoke_without_command=True
)
app.info.no_args_is_help = False


@app.callback()
def list_accounts(ctx: typer.Context, json_: output.JsonFlag = False) -> None:
    """List registered accounts and their status (`accounts show ID` for one)."""
    if ctx.invoked_subcommand is not None:
        return
    from cloudwarden import runtime
    from cloudwarden.store import service as store

    factory = runtime.open_store(get_settings())
    with factory.begin() as db:
        rows = [
            {"id": a.id, "name": a.name, "role_arn": a.role_arn, "status": a.status, "regions": a.regions}
            for a in store.list_accounts(db=db)
        ]
    if json_:
        output.print_json(rows)
        return
    table = output.Table(title="Accounts")
    for column in ("id", "name", "role", "status", "regions"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            str(row["id"]),
            str(row["name"]),
            str(row["role_arn"]),
            str(row["status"]),
            ", ".join(row["regions"]),
        )
    output.out.print(table)
