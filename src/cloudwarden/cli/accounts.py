"""`cloudwarden iam-template`, `connect`, `accounts [show|remove]`: onboarding a customer's AWS account."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from cloudwarden.cli import output
from cloudwarden.config import get_settings
from cloudwarden.errors import UsageError

if TYPE_CHECKING:
    from cloudwarden.accounts.flows import Connection
    from cloudwarden.store.models import Account


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
    from cloudwarden.aws import arns
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
    if principal is not None:
        try:
            principal = arns.parse_iam_arn(principal, kinds=arns.PRINCIPAL_KINDS).value
        except UsageError as exc:
            raise typer.BadParameter(exc.message, param_hint="--principal") from None
    text = render_declared(
        fmt,
        principal_arn=principal or get_settings().principal_arn,
        policy_mode=policy,  # type: ignore[arg-type]
    )
    typer.echo(text)


def connect(
    role_arn: Annotated[
        str,
        typer.Option(
            metavar="ARN", help="ARN of the read-only role deployed from `cloudwarden iam-template`"
        ),
    ],
    region: Annotated[
        str | None, typer.Option(metavar="REGION", help="Region to investigate (default: configured)")
    ] = None,
    name: Annotated[str | None, typer.Option(metavar="NAME", help="A name for the account")] = None,
    json_: output.JsonFlag = False,
) -> None:
    """Register an account (prints its ExternalId) and verify access, per evidence source."""
    from cloudwarden import runtime
    from cloudwarden.accounts import flows
    from cloudwarden.aws.session import SessionBroker
    from cloudwarden.store import service as store

    settings = get_settings()
    factory = runtime.open_store(settings)
    with factory.begin() as db:  # validated before anything is stored
        account, created = flows.register(
            db=db,
            actor=runtime.local_actor(),
            workspace_id=runtime.LOCAL_WORKSPACE_ID,
            role_arn=role_arn,
            region=region or settings.default_region,
            name=name,
        )
    if created and not json_:
        output.console.print(
            f"Registered account {account.id} with ExternalId [bold]{account.external_id}[/bold]"
        )
    step = output.quiet_step if json_ else output.step
    with factory.begin() as db, step("AssumeRole with the ExternalId, then probing permissions"):
        account = store.require_account(db=db, workspace_id=runtime.LOCAL_WORKSPACE_ID, account_id=account.id)
        connection = flows.connect(db=db, broker=SessionBroker(settings), account=account, probe=True)
    print_connection(account, connection, as_json=json_)


def print_connection(account: Account, connection: Connection, *, as_json: bool) -> None:
    """The per-source report of a connection (`connect`, `sim onboard`), or its error raised."""
    from cloudwarden.accounts import service

    json_ = as_json
    if connection.error is not None:
        if not json_ and connection.error.exit_code == 3:  # the role cannot be assumed (yet)
            output.console.print(
                f"The role cannot be assumed yet. Deploy the template with ExternalId={account.external_id}:\n"
                f"  {service.deploy_command(account)}\nthen run this command again.",
                soft_wrap=True,
            )
        raise connection.error
    session = connection.raise_for_error()
    if json_:
        output.print_json(
            {
                "account": account.id,
                "connected": True,
                "aws_account_id": session.account_id,
                "caller": session.caller_arn,
                "external_id": account.external_id,
                "sources": [r.__dict__ for r in connection.probe],
            }
        )
        return
    output.out.print(
        f"Connected to {session.account_id} as {output.short_arn(session.caller_arn)}", soft_wrap=True
    )
    table = output.Table()
    for column in ("evidence source", "usable", "detail"):
        table.add_column(column)
    for r in connection.probe:
        table.add_row(r.source, "[green]yes[/green]" if r.usable else "[red]no[/red]", r.detail)
    output.out.print(table)


app = output.sub_app(
    "Registered AWS accounts: list (the default), show, remove.", invoke_without_command=True
)
app.info.no_args_is_help = False
AccountRef = Annotated[
    str, typer.Argument(metavar="ACCOUNT", help="Account id (or a unique prefix), AWS account id or name")
]


@app.callback()
def list_accounts(ctx: typer.Context, json_: output.JsonFlag = False) -> None:
    """List registered accounts and their status (`accounts show ACCOUNT` for one)."""
    if ctx.invoked_subcommand is not None:
        return
    from cloudwarden import runtime
    from cloudwarden.accounts import service
    from cloudwarden.store import service as store

    factory = runtime.open_store(get_settings())
    with factory.begin() as db:
        rows: list[dict[str, Any]] = [
            {
                "id": a.id,
                "name": a.name,
                "aws_account_id": service.aws_account_id(a),
                "role_arn": a.role_arn,
                "status": a.status,
                "status_reason": a.status_reason,
                "regions": a.regions,
            }
            for a in store.list_accounts(db=db, workspace_id=runtime.LOCAL_WORKSPACE_ID)
        ]
    if json_:
        output.print_json(rows)
        return
    if not rows:
        output.console.print("No accounts. Register one with `cloudwarden connect --role-arn ARN`.")
        return
    table = output.Table(title="Accounts")
    for column in ("id", "name", "AWS account", "status", "region"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            str(row["id"])[:8],
            output.short_arn(str(row["name"])),
            str(row["aws_account_id"]),
            str(row["status"]),
            ", ".join(row["regions"]),
        )
    output.out.print(table)


@app.command("show")
def show(account: AccountRef, json_: output.JsonFlag = False) -> None:
    """An account's role, ExternalId, status and the exact command that deploys its template."""
    from cloudwarden import runtime
    from cloudwarden.accounts import service

    factory = runtime.open_store(get_settings())
    with factory.begin() as db:
        details = service.describe(
            service.resolve(db=db, workspace_id=runtime.LOCAL_WORKSPACE_ID, ref=account)
        )
    if json_:
        output.print_json(details)
        return
    for label, key in (
        ("id", "id"),
        ("name", "name"),
        ("AWS account", "aws_account_id"),
        ("role", "role_arn"),
        ("ExternalId", "external_id"),
        ("regions", "regions"),
        ("status", "status"),
        ("reason", "status_reason"),
    ):
        value = details[key]
        if value:
            shown = ", ".join(value) if isinstance(value, list) else str(value)
            output.out.print(f"{label:<12} {shown}", soft_wrap=True, highlight=False)
    probe = details["last_probe"] or {}
    denied = sorted(source for source, detail in probe.items() if detail != "ok")
    if probe:
        output.out.print(
            f"{'sources':<12} {len(probe) - len(denied)}/{len(probe)} usable"
            + (f"; not usable: {', '.join(denied)}" if denied else ""),
            highlight=False,
        )
    output.out.print("\nDeploy (or update) the onboarding template with this ExternalId:", highlight=False)
    output.out.print(f"  {details['deploy_command']}", soft_wrap=True, highlight=False)


@app.command("remove")
def remove(
    account: AccountRef,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation")] = False,
    json_: output.JsonFlag = False,
) -> None:
    """Remove an account: close it and delete its incidents, evidence and diagnoses now."""
    import sys

    from cloudwarden import runtime
    from cloudwarden.accounts import flows, service
    from cloudwarden.errors import UsageError
    from cloudwarden.store import service as store

    factory = runtime.open_store(get_settings())
    with factory.begin() as db:
        chosen = service.resolve(db=db, workspace_id=runtime.LOCAL_WORKSPACE_ID, ref=account)
        label = f"{chosen.name} ({service.aws_account_id(chosen)}, {chosen.id[:8]})"
        incidents = store.count_incidents(
            db=db, workspace_id=runtime.LOCAL_WORKSPACE_ID, account_id=chosen.id
        )
    if not yes:
        if json_ or not sys.stdin.isatty():
            raise UsageError(f"removing {label} deletes its data; pass --yes to confirm")
        typer.confirm(f"Remove {label} and delete its {incidents} incidents?", abort=True)
    with factory.begin() as db:
        stored = service.resolve(db=db, workspace_id=runtime.LOCAL_WORKSPACE_ID, ref=chosen.id)
        counts = flows.remove(db=db, account=stored, actor=runtime.local_actor())
    if json_:
        output.print_json({"removed": chosen.id, "deleted": counts})
        return
    deleted = ", ".join(f"{n} {table}" for table, n in sorted(counts.items()) if n)
    output.out.print(f"Removed {label}; deleted {deleted or 'nothing else'}.", highlight=False)
