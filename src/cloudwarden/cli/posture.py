"""`cloudwarden posture scan|report|trend|checks|suppress`: audit a connected account's posture."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from cloudwarden.cli import output
from cloudwarden.config import get_settings

app = output.sub_app("Audit a connected account's security posture against compliance frameworks.")

AccountOption = Annotated[
    str | None,
    typer.Option(
        metavar="ACCOUNT",
        help="Account id (or a unique prefix), AWS account id or name (default: the only one)",
    ),
]
FORMATS = ("json", "csv", "ocsf", "html")


def coverage_lines() -> list[str]:
    """'CIS AWS Foundations Benchmark v3.0: 50/54 automated controls covered', one per framework."""
    from cloudwarden.posture import frameworks

    lines = []
    for framework in frameworks.load_all().values():
        covered, automated = framework.coverage()
        lines.append(f"{framework.title}: {covered}/{automated} automated controls covered")
    return lines


@app.command("checks")
def checks(json_: output.JsonFlag = False) -> None:
    """List the checks, their count and each framework's coverage."""
    from cloudwarden.posture import frameworks
    from cloudwarden.posture.checks import all_checks

    registry = all_checks()
    if json_:
        output.print_json(
            {
                "count": len(registry),
                "checks": [c.metadata.model_dump(mode="json") for c in registry.values()],
                "frameworks": [
                    {"id": f.id, "title": f.title, "covered": f.coverage()[0], "automated": f.coverage()[1]}
                    for f in frameworks.load_all().values()
                ],
            }
        )
        return
    table = output.Table("check", "service", "severity", "title")
    for check in registry.values():
        meta = check.metadata
        table.add_row(meta.id, meta.service, meta.severity.value, meta.title)
    output.out.print(table)
    output.out.print(f"{len(registry)} checks")
    for line in coverage_lines():
        output.out.print(line)


@app.command("scan")
def scan(
    account: AccountOption = None,
    region: Annotated[
        list[str] | None,
        typer.Option(metavar="REGION", help="Scan this region (repeat; default: the account's)"),
    ] = None,
    check: Annotated[
        list[str] | None, typer.Option(metavar="CHECK", help="Run only this check (repeat; default: all)")
    ] = None,
    output_dir: Annotated[
        Path | None,
        typer.Option("--output", metavar="DIR", help="Write the reports here (default: DATA_DIR/reports)"),
    ] = None,
    json_: output.JsonFlag = False,
) -> None:
    """Scan the account, store the results, and write JSON, CSV, OCSF and HTML reports."""
    from cloudwarden import runtime
    from cloudwarden.accounts import service as accounts
    from cloudwarden.aws.session import SessionBroker
    from cloudwarden.errors import CloudWardenError
    from cloudwarden.posture import flows
    from cloudwarden.posture.outputs import write_all

    regions = [_region(r) for r in region or []]
    _known_checks(check or [])
    if output_dir is not None and output_dir.exists() and not output_dir.is_dir():
        raise typer.BadParameter(f"{output_dir} is not a directory", param_hint="--output")
    settings = get_settings()
    factory = runtime.open_store(settings)
    step = output.quiet_step if json_ else output.step
    failure: CloudWardenError | None = None
    with factory.begin() as db:
        chosen = accounts.resolve(db=db, workspace_id=runtime.LOCAL_WORKSPACE_ID, ref=account)
        try:
            with step(f"Scanning {chosen.name}"):
                report = flows.scan_account(
                    db=db,
                    broker=SessionBroker(settings),
                    account=chosen,
                    actor=runtime.local_actor(),
                    regions=regions or None,
                    check_ids=check or None,
                )
        except CloudWardenError as exc:  # what was learnt about the account is committed first
            failure = exc
        else:
            paths = write_all(report, output_dir or settings.data_dir / "reports")
    if failure is not None:
        raise failure
    from cloudwarden.posture.outputs.tabular import summary

    data = {**summary(report), "reports": {fmt: str(path) for fmt, path in paths.items()}}
    if json_:
        output.print_json(data)
        return
    print_summary(data)
    failing = [(f, c) for f, c in report.findings if f.status.value == "FAIL" and not f.suppression_id]
    if failing:
        table = output.Table("severity", "check", "resource", "change")
        order = {"critical": 0, "high": 1, "medium": 2, "low": 3, "informational": 4}
        for finding, change in sorted(failing, key=lambda fc: order[fc[0].severity.value])[:15]:
            table.add_row(
                finding.severity.value, finding.check_id, output.short_arn(finding.resource_id), change or ""
            )
        output.out.print(table)
        if len(failing) > 15:
            output.out.print(f"... and {len(failing) - 15} more failures in the reports")
    for fmt, path in paths.items():
        output.out.print(f"{fmt:>5}: {path}")


def _region(value: str) -> str:
    from cloudwarden.accounts.service import check_region
    from cloudwarden.errors import UsageError

    try:
        return check_region(value)
    except UsageError as exc:
        raise typer.BadParameter(exc.message, param_hint="--region") from None


def _known_checks(ids: list[str]) -> None:
    from cloudwarden.posture.checks import all_checks

    unknown = sorted(set(ids) - set(all_checks()))
    if unknown:
        raise typer.BadParameter(
            f"no such check: {', '.join(c[:60] for c in unknown)} (`cloudwarden posture checks` lists them)",
            param_hint="--check",
        )


def print_summary(data: dict[str, Any]) -> None:
    from cloudwarden.posture.outputs.tabular import external_line

    counts = data["counts"]
    output.out.print(
        f"Posture of {data['account_name']} ({data['aws_account_id']}): {data['checks']} checks in "
        f"{data['seconds']} s, {data['api_calls']} AWS calls; {counts.get('FAIL', 0)} failed, "
        f"{counts.get('PASS', 0)} passed, {counts.get('ERROR', 0)} could not be read"
    )
    changes = data["changes"]
    output.out.print(
        f"Since the last scan: {changes.get('new', 0)} new, {changes.get('recurring', 0)} recurring, "
        f"{changes.get('resolved', 0)} resolved"
    )
    for score in data["scores"]:
        output.out.print(
            f"  {score['title']}: {score['passed']}/{score['passed'] + score['failed'] + score['unknown']} "
            f"requirements passed, score {score['score']:.1f}"
        )
    output.out.print(external_line(data["external_findings"]), markup=False, highlight=False)
    for where, reason in data["unavailable"].items():
        output.out.print(f"  not readable: {where}: {reason}")


@app.command("report")
def report(
    scan_id: Annotated[
        str | None, typer.Argument(metavar="SCAN", help="A scan id (default: the latest)")
    ] = None,
    account: AccountOption = None,
    fmt: Annotated[str, typer.Option("--format", metavar="FORMAT", help="json, csv, ocsf or html")] = "json",
    output_file: Annotated[
        Path | None, typer.Option("--output", metavar="FILE", help="Write here, not stdout")
    ] = None,
) -> None:
    """Print (or write) a stored scan's report in one format; a line on stderr counts the findings
    of the AWS security services (Security Hub, GuardDuty, Inspector) it read."""
    from cloudwarden import runtime
    from cloudwarden.accounts import service as accounts
    from cloudwarden.errors import UsageError
    from cloudwarden.posture import flows, service
    from cloudwarden.posture.outputs import render
    from cloudwarden.posture.outputs.tabular import external_line, external_summary

    if fmt not in FORMATS:
        raise typer.BadParameter(f"{fmt!r} is not one of {', '.join(FORMATS)}", param_hint="--format")
    if output_file is not None and not output_file.parent.is_dir():
        raise typer.BadParameter(f"{output_file.parent} is not a directory", param_hint="--output")
    factory = runtime.open_store(get_settings())
    with factory.begin() as db:
        chosen = accounts.resolve(db=db, workspace_id=runtime.LOCAL_WORKSPACE_ID, ref=account)
        if scan_id is None:
            history = service.scans(db=db, workspace_id=chosen.workspace_id, account_id=chosen.id, limit=1)
            if not history:
                raise UsageError(
                    f"{chosen.name} has not been scanned yet", hint="run `cloudwarden posture scan`"
                )
            stored = history[-1]
        else:
            stored = service.get_scan(db=db, workspace_id=chosen.workspace_id, scan_id=scan_id)
        scan_report = flows.report_of(db=db, scan=stored, account=chosen)
        text = render(scan_report, fmt)  # type: ignore[arg-type]
        external = external_line(external_summary(scan_report))
    if output_file is None:
        typer.echo(text, nl=False)
        output.console.print(external, markup=False, highlight=False)  # stderr: stdout is the report
    else:
        output_file.write_text(text, encoding="utf-8")
        output.out.print(f"{fmt}: {output_file}")
        output.out.print(external, markup=False, highlight=False)


@app.command("trend")
def trend(
    account: AccountOption = None,
    limit: Annotated[int, typer.Option(min=1, max=200, help="How many of the latest scans")] = 30,
    json_: output.JsonFlag = False,
) -> None:
    """Each framework's score over the account's latest scans."""
    from cloudwarden import runtime
    from cloudwarden.accounts import service as accounts
    from cloudwarden.posture import service

    factory = runtime.open_store(get_settings())
    with factory.begin() as db:
        chosen = accounts.resolve(db=db, workspace_id=runtime.LOCAL_WORKSPACE_ID, ref=account)
        history = service.scans(db=db, workspace_id=chosen.workspace_id, account_id=chosen.id, limit=limit)
        rows: list[dict[str, Any]] = [
            {
                "scan_id": s.id,
                "started_at": s.started_at.isoformat(),
                "scores": s.scores,
                "changes": s.changes,
            }
            for s in history
        ]
    if json_:
        output.print_json(rows)
        return
    frameworks = sorted({f for row in rows for f in row["scores"]})
    table = output.Table("scan", "when", *frameworks, "new", "resolved")
    for row in rows:
        table.add_row(
            row["scan_id"][:8],
            row["started_at"][:16],
            *(f"{row['scores'][f]['score']:.1f}" if f in row["scores"] else "" for f in frameworks),
            str(row["changes"].get("new", 0)),
            str(row["changes"].get("resolved", 0)),
        )
    output.out.print(table)


@app.command("suppress")
def suppress(
    check: Annotated[str, typer.Argument(metavar="CHECK", help="The check whose failures to suppress")],
    reason: Annotated[str, typer.Option(help="Why the risk is accepted (at least 10 characters)")],
    owner: Annotated[str, typer.Option(help="Who accepted it")],
    days: Annotated[
        int, typer.Option(min=1, max=365, help="Days until it expires and the findings reopen")
    ] = 90,
    resource: Annotated[str, typer.Option(help="A resource id or glob (default: every resource)")] = "*",
    account: AccountOption = None,
    json_: output.JsonFlag = False,
) -> None:
    """Suppress a check's failures (on one resource, or all) for a stated reason until it expires."""
    from cloudwarden import runtime
    from cloudwarden.accounts import service as accounts
    from cloudwarden.posture import service
    from cloudwarden.store.types import utcnow

    _known_checks([check])
    if len(resource) > 2048:
        raise typer.BadParameter(
            f"{resource[:40]}... is longer than 2048 characters", param_hint="--resource"
        )
    for name, value, least in (("--reason", reason, 10), ("--owner", owner, 1)):
        if len(value.strip()) < least:
            raise typer.BadParameter(f"needs at least {least} characters", param_hint=name)
    factory = runtime.open_store(get_settings())
    with factory.begin() as db:
        chosen = accounts.resolve(db=db, workspace_id=runtime.LOCAL_WORKSPACE_ID, ref=account)
        made = service.add_suppression(
            db=db,
            workspace_id=chosen.workspace_id,
            account_id=chosen.id,
            check_id=check,
            resource_id=resource,
            reason=reason,
            owner=owner,
            expires_at=utcnow() + timedelta(days=days),
            created_by=runtime.local_actor(),
        )
        data = {"id": made.id, "check_id": made.check_id, "resource_id": made.resource_id,
                "expires_at": made.expires_at.isoformat()}  # fmt: skip
    if json_:
        output.print_json(data)
    else:
        output.out.print(f"Suppressed {check} on {resource} until {data['expires_at']} ({data['id']})")
