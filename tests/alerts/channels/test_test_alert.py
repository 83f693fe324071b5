"""`cloudwarden test-alert`: one test message through every configured channel, each result reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cloudwarden import runtime
from cloudwarden.cli.main import app
from cloudwarden.config import get_settings
from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.store import models
from cloudwarden.store import service as store

from .conftest import SmtpServer
from .slack_server import SlackWebhookServer


@pytest.fixture
def cli(tmp_path: Path, sim: SimulatorClient, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("CLOUDWARDEN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CLOUDWARDEN_DATABASE_URL", f"sqlite:///{tmp_path / 'cw.db'}")
    monkeypatch.setenv("CLOUDWARDEN_SIMULATOR_URL", sim.endpoint)
    get_settings.cache_clear()
    factory = runtime.open_store(get_settings())
    account_id = sim.client("sts").get_caller_identity()["Account"]
    with factory.begin() as db:
        account = store.create_account(
            db=db,
            workspace_id=runtime.LOCAL_WORKSPACE_ID,
            name="simulated",
            role_arn=f"arn:aws:iam::{account_id}:role/CloudWardenReadOnly",
            regions=[sim.region],
        )
        account.status = models.AccountStatus.CONNECTED.value
    factory.kw["bind"].dispose()
    yield CliRunner()
    get_settings.cache_clear()


def _add(cli: CliRunner, name: str, config: dict[str, object]) -> None:
    result = cli.invoke(app, ["channels", "add", "--name", name, "--config", json.dumps(config)])
    assert result.exit_code == 0, result.output


def test_a_test_alert_reaches_every_channel_and_a_refusal_is_reported(
    cli: CliRunner, slack_server: SlackWebhookServer, smtp_server: SmtpServer, sim: SimulatorClient
) -> None:
    topic = sim.client("sns").create_topic(Name="CloudWardenAlerts")["TopicArn"]
    _add(cli, "chat", {"kind": "slack", "webhook_url": slack_server.url})
    _add(
        cli,
        "mail",
        {
            "kind": "email",
            "host": "127.0.0.1",
            "port": smtp_server.port,
            "security": "none",
            "sender": "cloudwarden@example.com",
            "recipients": ["oncall@example.com"],
        },
    )
    _add(cli, "pipeline", {"kind": "sns", "topic_arn": topic})
    listed = json.loads(cli.invoke(app, ["channels", "list", "--json"]).stdout)
    assert {c["kind"] for c in listed} == {"slack", "email", "sns"}
    assert "webhook_url" not in json.dumps(listed)  # a secret is never shown again

    result = cli.invoke(app, ["test-alert", "--json"])
    assert result.exit_code == 0, result.output
    outcomes = {r["channel"]: r["status"] for r in json.loads(result.stdout)}
    assert outcomes == {"chat": "sent", "mail": "sent", "pipeline": "sent"}
    assert slack_server.requests == 1 and len(smtp_server.handler.envelopes) == 1

    slack_server.respond_next(404, "no_service")  # the webhook was revoked: not worth retrying
    result = cli.invoke(app, ["test-alert", "--json"])
    assert result.exit_code == 4
    failed = next(r for r in json.loads(result.stdout) if r["channel"] == "chat")
    assert failed["status"] == "dead" and "no_service" in failed["error"]


def test_a_channel_paused_from_the_cli_is_skipped_until_resumed_and_every_change_is_audited(
    cli: CliRunner, slack_server: SlackWebhookServer
) -> None:
    _add(cli, "chat", {"kind": "slack", "webhook_url": slack_server.url})
    [channel] = json.loads(cli.invoke(app, ["channels", "list", "--json"]).stdout)

    paused = cli.invoke(app, ["channels", "pause", channel["id"]])
    assert paused.exit_code == 0 and "channel chat paused" in paused.output
    assert "paused" in cli.invoke(app, ["channels", "list"]).output
    assert json.loads(cli.invoke(app, ["test-alert", "--json"]).stdout) == []  # nothing enabled
    assert slack_server.requests == 0

    assert cli.invoke(app, ["channels", "resume", channel["id"]]).exit_code == 0
    sent = json.loads(cli.invoke(app, ["test-alert", "--json"]).stdout)
    assert [r["status"] for r in sent] == ["sent"] and slack_server.requests == 1
    assert cli.invoke(app, ["channels", "remove", channel["id"]]).exit_code == 0
    missing = cli.invoke(app, ["channels", "pause", channel["id"]])
    assert missing.exit_code != 0 and "channel" in missing.output.lower()

    audited = json.loads(cli.invoke(app, ["audit", "export", "--format", "json"]).stdout)
    changes = [e["action"] for e in audited if e.get("target_id") == channel["id"]]
    assert changes == ["channel.create", "channel.disable", "channel.enable", "channel.remove"]
