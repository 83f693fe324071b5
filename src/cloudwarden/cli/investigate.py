"""`cloudwarden investigate --alarm NAME`: diagnose an alarm in a connected account."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from cloudwarden.cli import output
from cloudwarden.config import get_settings


def parse_at(value: str | None) -> datetime | None:
    """`--at`: an ISO 8601 time (UTC unless it says otherwise), not in the future."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(
            f"{value[:40]!r} is not a time; use ISO 8601, e.g. 2026-12-03T14:05Z", param_hint="--at"
        ) from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if moment > datetime.now(UTC):
        raise typer.BadParameter("is in the future", param_hint="--at")
    return moment.astimezone(UTC)


def investigate(
    alarm: Annotated[str, typer.Option(metavar="NAME", help="Name of the CloudWatch alarm")],
    account: Annotated[
        str | None,
        typer.Option(
            metavar="ACCOUNT",
            help="Account id (or a unique prefix), AWS account id or name (default: the only one)",
        ),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(
            metavar="TIME",
            help="Investigate the window around this time (ISO 8601, UTC by default) instead of the "
            "alarm's last transition into ALARM",
        ),
    ] = None,
    json_: Annotated[
        bool,
        typer.Option(
            "--json", help="Print the diagnosis JSON (schema: docs/diagnosis-schema.md); errors too"
        ),
    ] = False,
) -> None:
    """Diagnose the alarm's last transition into ALARM (or the window --at a time)."""
    from cloudwarden import runtime
    from cloudwarden.accounts import service as accounts
    from cloudwarden.aws.session import SessionBroker
    from cloudwarden.incidents import flows, service

    settings = get_settings()
    service.check_alarm_name(alarm)
    moment = parse_at(at)
    factory = runtime.open_store(settings)
    step = output.quiet_step if json_ else output.step
    with factory.begin() as db:
        chosen = accounts.resolve(db=db, workspace_id=runtime.LOCAL_WORKSPACE_ID, ref=account)
        with step(f"Collecting evidence and diagnosing {alarm}"):
            outcome = flows.investigate(
                db=db,
                actor=runtime.local_actor(),
                broker=SessionBroker(settings),
                account=chosen,
                alarm_name=alarm,
                lookback_minutes=settings.lookback_minutes,
                at=moment,
                github=settings.github_config(),  # None unless CLOUDWARDEN_GITHUB_* are set
            )
    diagnosis = outcome.raise_for_error().diagnosis  # after the commit: a revocation is recorded
    if json_:
        output.print_json(diagnosis.model_dump(mode="json"))
    else:
        output.print_diagnosis(diagnosis)
