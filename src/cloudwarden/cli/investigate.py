"""`cloudwarden investigate --alarm NAME`: diagnose an alarm in a connected account."""

from __future__ import annotations

from typing import Annotated

import typer

from cloudwarden.cli import output
from cloudwarden.config import get_settings


def investigate(
    alarm: Annotated[str, typer.Option(help="Name of the CloudWatch alarm")],
    account: Annotated[
        str | None, typer.Option(help="CloudWarden account id (default: the only connected one)")
    ] = None,
    json_: Annotated[
        bool, typer.Option("--json", help="Print the diagnosis JSON (schema: docs/diagnosis-schema.md)")
    ] = False,
) -> None:
    """Collect evidence around the alarm's last state change and rank root causes."""
    from cloudwarden import investigate as investigation
    from cloudwarden import runtime
    from cloudwarden.aws.session import AccountDisconnected, SessionBroker
    from cloudwarden.evidence.collect import AlarmNotFound
    from cloudwarden.store import service as store

    settings = get_settings()
    factory = runtime.open_store(settings)
    with factory.begin() as db:
        accounts = [a for a in store.list_accounts(db=db) if account in (None, a.id)]
        if not accounts:
            raise typer.BadParameter(
                "no such account; run `cloudwarden connect` first", param_hint="--account"
            )
        if len(accounts) > 1:
            raise typer.BadParameter(
                "several accounts are registered; name one with --account", param_hint="--account"
            )
        chosen = accounts[0]
        account_id, role_arn, external_id, region = (
            chosen.id,
            chosen.role_arn,
            chosen.external_id,
            chosen.regions[0],
        )
    step = output.quiet_step if json_ else output.step
    try:
        with step("Assuming the read-only role"):
            session = SessionBroker(settings).session(
                role_arn=role_arn, external_id=external_id, region=region
            )
        with step(f"Collecting evidence and diagnosing {alarm}"):
            result = investigation.run(
                session,
                alarm_name=alarm,
                lookback_minutes=settings.lookback_minutes,
                github=settings.github_config(),  # None unless CLOUDWARDEN_GITHUB_* are set
            )
    except AccountDisconnected as exc:
        with factory.begin() as db:
            stored = store.get_account(db=db, account_id=account_id)
            if stored is not None:
                store.mark_disconnected(db=db, account=stored, reason=str(exc))
        output.console.print(f"[red]Account disconnected:[/red] {exc}")
        raise typer.Exit(3) from None
    except AlarmNotFound as exc:
        output.console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    diagnosis = result.diagnosis
    with factory.begin() as db:
        incident, _ = store.record_incident(
            db=db,
            account_id=account_id,
            alarm_name=alarm,
            alarm_arn=diagnosis.alarm.arn,
            region=region,
            opened_at=diagnosis.alarm.state_changed_at,
            notification={"source": "cli", "alarm": alarm},
            dedup_key=f"manual:{diagnosis.alarm.arn}:{diagnosis.alarm.state_changed_at.isoformat()}",
        )
        runtime.persist_investigation(
            db,
            incident_id=incident.id,
            bundle=result.bundle,
            diagnosis=diagnosis,
            duration_ms=result.collect_ms + result.diagnose_ms,
        )
    if json_:
        output.print_json(diagnosis.model_dump(mode="json"))
    else:
        output.print_diagnosis(diagnosis)
