"""`cloudwarden worker`, `cloudwarden beat`, `cloudwarden test-alert` and `cloudwarden channels`.

The worker and beat are Celery's, on CLOUDWARDEN_BROKER_URL (Redis, or RabbitMQ with amqp://):
start as many workers as the load needs, on as many machines, and one beat. Without a broker,
`cloudwarden serve` runs the same tasks itself.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

import typer

from cloudwarden.cli import output
from cloudwarden.config import get_settings
from cloudwarden.errors import UsageError

channels_app = output.sub_app("The workspace's delivery channels (WhatsApp, Slack, email, SNS).")


def _queues_option(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"[A-Za-z0-9_.:-]+(,[A-Za-z0-9_.:-]+)*", value):
        raise typer.BadParameter("comma-separated queue names: letters, digits and _ . : - only")
    return value


def worker(
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Task processes")] = 2,
    queues: Annotated[
        str | None,
        typer.Option(
            callback=_queues_option,
            help="Comma-separated queues to consume (default: CLOUDWARDEN_TASK_QUEUE)",
        ),
    ] = None,
) -> None:
    """Run tasks from the broker (investigations, deliveries, actions, polls, purges) until stopped."""
    from cloudwarden import runtime
    from cloudwarden.worker.celery_app import make_celery

    settings = get_settings()
    celery = make_celery(settings)  # without a broker: one line naming the setting
    runtime.open_store(settings)  # a store that cannot be used is one line, before the worker starts
    celery.worker_main(
        [
            "worker",
            f"--concurrency={concurrency}",
            f"--queues={queues or settings.task_queue}",
            "--pool=prefork",
            "--without-gossip",
            "--without-mingle",
            f"--loglevel={settings.log_level}",
        ]
    )


def beat() -> None:
    """Send the schedule to the broker: the sweep (30 s), the alarm poller, the retention purge."""
    from cloudwarden.worker.celery_app import make_celery

    settings = get_settings()
    celery = make_celery(settings)
    schedule_file = settings.data_dir.expanduser() / "celerybeat-schedule"
    schedule_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    celery.start(["beat", f"--schedule={schedule_file}", f"--loglevel={settings.log_level}"])


def test_alert(json_: output.JsonFlag = False) -> None:
    """Send a test alert through every configured channel of the default workspace and report each."""
    from cloudwarden.alerts import testing
    from cloudwarden.worker import local

    with local.context() as ctx:
        results = testing.send_test(ctx=ctx, workspace_id=local.WORKSPACE_ID, actor=local.actor())
    if json_:
        output.print_json([r.__dict__ for r in results])
    else:
        if not results:
            output.console.print("no channels are configured: add one with `cloudwarden channels add`")
        table = output.Table(title="Test alert")
        for column in ("channel", "kind", "recipient", "status", "error"):
            table.add_column(column)
        for r in results:
            table.add_row(r.channel, r.kind, r.recipient or "-", r.status, r.error or "")
        output.console.print(table)
    if any(r.status == "dead" for r in results):
        raise typer.Exit(4)


@channels_app.command("add")
def add_channel(
    name: Annotated[str, typer.Option(help="A name for the channel")],
    config: Annotated[
        str, typer.Option(help="The channel's settings as JSON, with its kind; '-' reads stdin")
    ],
    json_: output.JsonFlag = False,
) -> None:
    """Add a channel; its secrets are sealed and never shown again (see docs/alerting.md for each kind)."""
    import sys

    from pydantic import ValidationError

    from cloudwarden.alerts import channel_admin
    from cloudwarden.alerts.channels import configs
    from cloudwarden.worker import local

    raw = sys.stdin.read() if config == "-" else config
    try:
        parsed = configs.parse_channel_config(json.loads(raw))
    except json.JSONDecodeError as exc:
        raise UsageError(f"--config is not JSON: {exc}") from None
    except ValidationError as exc:
        fields = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise UsageError(f"--config is not a valid channel: {fields}") from None
    with local.context() as ctx, ctx.workspace_session(local.WORKSPACE_ID) as db:
        record = channel_admin.add(
            db=db,
            keys=ctx.keys,
            workspace_id=local.WORKSPACE_ID,
            name=name,
            config=parsed,
            actor=local.actor(),
            actor_id=None,
            source_ip=None,
        )
        shown: dict[str, Any] = {"id": record.id, "name": record.name, "kind": record.kind}
    if json_:
        output.print_json(shown)
    else:
        output.console.print(f"channel {shown['name']} ({shown['kind']}) added: {shown['id']}")


@channels_app.command("list")
def list_channels(json_: output.JsonFlag = False) -> None:
    """The channels and their settings (never their secrets)."""
    from cloudwarden.alerts import channel_store
    from cloudwarden.worker import local

    with local.context() as ctx, ctx.workspace_session(local.WORKSPACE_ID) as db:
        rows = [
            {"id": r.id, "name": r.name, "kind": r.kind, "enabled": r.enabled, "settings": r.settings}
            for r in channel_store.listed(db=db, workspace_id=local.WORKSPACE_ID)
        ]
    if json_:
        output.print_json(rows)
        return
    table = output.Table(title="Channels")
    for column in ("id", "name", "kind", "state", "settings"):
        table.add_column(column)
    for row in rows:
        state = "enabled" if row["enabled"] else "paused"
        table.add_row(str(row["id"]), str(row["name"]), str(row["kind"]), state, json.dumps(row["settings"]))
    output.console.print(table)


ChannelId = Annotated[str, typer.Argument(help="The channel's id (`cloudwarden channels list`)")]


@channels_app.command("remove")
def remove_channel(channel_id: ChannelId) -> None:
    """Remove a channel and its sealed secrets (audited)."""
    from cloudwarden.alerts import channel_admin
    from cloudwarden.worker import local

    with local.context() as ctx, ctx.workspace_session(local.WORKSPACE_ID) as db:
        channel_admin.remove(
            db=db,
            workspace_id=local.WORKSPACE_ID,
            channel_id=channel_id,
            actor=local.actor(),
            actor_id=None,
            source_ip=None,
        )
    output.console.print("channel removed")


@channels_app.command("pause")
def pause_channel(channel_id: ChannelId) -> None:
    """Pause a channel: nothing goes to it, and what is queued for it is given up (audited)."""
    _set_enabled(channel_id, enabled=False)


@channels_app.command("resume")
def resume_channel(channel_id: ChannelId) -> None:
    """Resume a paused channel: new alerts go to it again (audited)."""
    _set_enabled(channel_id, enabled=True)


def _set_enabled(channel_id: str, *, enabled: bool) -> None:
    from cloudwarden.alerts import channel_admin
    from cloudwarden.worker import local

    with local.context() as ctx, ctx.workspace_session(local.WORKSPACE_ID) as db:
        record = channel_admin.set_enabled(
            db=db,
            workspace_id=local.WORKSPACE_ID,
            channel_id=channel_id,
            enabled=enabled,
            actor=local.actor(),
            actor_id=None,
            source_ip=None,
        )
        name = record.name
    output.console.print(f"channel {name} {'resumed' if enabled else 'paused'}")
