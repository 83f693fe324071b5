"""Accounts through the CLI off the happy path: revoked vs unreachable, show, --account, remove,
malformed role ARNs, and investigations that refuse to invent an incident."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cloudwarden.cli.main import app
from cloudwarden.config import DEFAULT_PRINCIPAL, get_settings
from cloudwarden.simulator import alarms, inject, scenario, workload
from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.onboarding import delete_read_role, deploy_onboarding_stack

ROLE = "CloudWardenReadOnly"
ROLE_ARN = f"arn:aws:iam::123456789012:role/{ROLE}"
CLOSED_PORT_URL = "http://127.0.0.1:9"  # discard: nothing listens there


@pytest.fixture
def cli(sim: SimulatorClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("CLOUDWARDEN_SIMULATOR_URL", sim.endpoint)
    monkeypatch.delenv("CLOUDWARDEN_AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("CLOUDWARDEN_DATABASE_URL", f"sqlite:///{tmp_path / 'cw.db'}")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _json(result: Any) -> Any:
    return json.loads(result.stdout)


def _onboard(cli: CliRunner, sim: SimulatorClient, *, name: str | None = None) -> dict[str, Any]:
    """Workload, registration, the stack with the account's ExternalId, a connected account."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    w = workload.deploy_workload(sim, now=now)
    first = cli.invoke(
        app, ["connect", "--role-arn", ROLE_ARN, "--json", *(["--name", name] if name else [])]
    )
    assert first.exit_code == 3, first.output
    external_id = _json(first)["external_id"]
    outputs = deploy_onboarding_stack(sim, principal_arn=DEFAULT_PRINCIPAL, external_id=external_id)
    alarms.create_alarms(sim, w, topic_arns=[outputs.alerts_topic_arn], at=now - timedelta(days=1))
    second = cli.invoke(app, ["connect", "--role-arn", ROLE_ARN, "--json"])
    assert second.exit_code == 0, second.output
    return {"workload": w, "now": now, "external_id": external_id, "account": _json(second)["account"]}


def _status(cli: CliRunner) -> str:
    return str(_json(cli.invoke(app, ["accounts", "--json"]))[0]["status"])


def test_connect_prints_the_external_id_and_deploy_command_until_the_role_exists(
    cli: CliRunner, sim: SimulatorClient
) -> None:
    workload.deploy_workload(sim, now=datetime.now(UTC))
    result = cli.invoke(app, ["connect", "--role-arn", ROLE_ARN])
    assert result.exit_code == 3
    shown = _json(cli.invoke(app, ["accounts", "show", "123456789012", "--json"]))
    external_id = shown["external_id"]
    assert result.output.count(external_id) >= 2  # on registration, and in the deploy command
    assert "aws cloudformation deploy" in result.output and "Traceback" not in result.output
    again = cli.invoke(app, ["connect", "--role-arn", ROLE_ARN])  # still not deployed: said again
    assert again.exit_code == 3 and external_id in again.output
    assert shown["role_arn"] == ROLE_ARN and shown["status"] == "disconnected"
    assert f"ExternalId={external_id}" in shown["deploy_command"]
    text = cli.invoke(app, ["accounts", "show", shown["id"][:6]])
    assert text.exit_code == 0 and external_id in text.stdout and "cloudformation deploy" in text.stdout


@pytest.mark.parametrize(
    ("arn", "problem"),
    [
        ("arn:aws:iam::12345:role/CloudWardenReadOnly", "12 digits"),
        ("arn:aws:s3:::bucket", "not an IAM ARN"),
        ("arn:aws:iam::123456789012:user/alice", "role/<name>"),
        ("arn:nope:iam::123456789012:role/X", "unknown partition"),
        ("arn:aws:iam::123456789012:role/", "role name"),
        ("arn:aws:iam::123456789012:role/bad name", "role name"),
        ("CloudWardenReadOnly", "expected arn:aws:iam::"),
        ("arn:aws:iam::123456789012:role/" + "x" * 5000, "role name"),
    ],
)
def test_a_malformed_role_arn_registers_nothing(cli: CliRunner, arn: str, problem: str) -> None:
    result = cli.invoke(app, ["connect", "--role-arn", arn])
    assert result.exit_code == 2, result.output
    assert problem in result.output and "Traceback" not in result.output
    assert len(result.output) < 600  # a 5,000-character value is echoed truncated
    assert _json(cli.invoke(app, ["accounts", "--json"])) == []


def test_a_role_path_is_a_valid_arn(cli: CliRunner) -> None:
    result = cli.invoke(app, ["connect", "--role-arn", "arn:aws-us-gov:iam::123456789012:role/ops/cw/Reader"])
    assert result.exit_code == 3  # valid, registered, but not assumable in the simulated account
    assert _json(cli.invoke(app, ["accounts", "--json"]))[0]["aws_account_id"] == "123456789012"


def test_unreachable_aws_leaves_the_account_connected_and_revocation_does_not(
    cli: CliRunner, sim: SimulatorClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    onboarded = _onboard(cli, sim)
    injection = inject.inject(sim, onboarded["workload"], scenario.get("bad_deploy"), now=onboarded["now"])

    monkeypatch.setenv("CLOUDWARDEN_SIMULATOR_URL", CLOSED_PORT_URL)
    get_settings.cache_clear()
    down = cli.invoke(app, ["investigate", "--alarm", injection.alarm_name, "--json"])
    assert down.exit_code == 4, down.output
    assert _json(down)["error"]["code"] == "unreachable"
    assert "cannot reach AWS STS" in _json(down)["error"]["message"]
    assert _status(cli) == "connected"

    # A real endpoint (not simulated) with no credentials of CloudWarden's own: unreachable, not revoked.
    monkeypatch.delenv("CLOUDWARDEN_SIMULATOR_URL")
    monkeypatch.setenv("CLOUDWARDEN_AWS_ENDPOINT_URL", sim.endpoint)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    get_settings.cache_clear()
    nocreds = cli.invoke(app, ["investigate", "--alarm", injection.alarm_name])
    assert nocreds.exit_code == 4, nocreds.output
    assert "no AWS credentials" in nocreds.output and "STS at" not in nocreds.output
    assert _status(cli) == "connected"

    monkeypatch.delenv("CLOUDWARDEN_AWS_ENDPOINT_URL")
    monkeypatch.setenv("CLOUDWARDEN_SIMULATOR_URL", sim.endpoint)
    get_settings.cache_clear()
    delete_read_role(sim)
    revoked = cli.invoke(app, ["investigate", "--alarm", injection.alarm_name])
    assert revoked.exit_code == 3, revoked.output
    assert "cannot assume" in revoked.output
    assert _status(cli) == "disconnected"

    # The customer re-deploys the role: the next investigation restores `connected`.
    deploy_onboarding_stack(
        sim, principal_arn=DEFAULT_PRINCIPAL, external_id=onboarded["external_id"], stack_name="Again"
    )
    restored = cli.invoke(app, ["investigate", "--alarm", injection.alarm_name, "--json"])
    assert restored.exit_code == 0, restored.output
    assert _status(cli) == "connected"


def test_account_is_found_by_aws_id_name_or_prefix_and_removed_with_its_data(
    cli: CliRunner, sim: SimulatorClient
) -> None:
    onboarded = _onboard(cli, sim, name="storefront prod")
    injection = inject.inject(sim, onboarded["workload"], scenario.get("bad_deploy"), now=onboarded["now"])
    account_id = onboarded["account"]
    for ref in ("123456789012", "storefront prod", account_id[:8], account_id):
        result = cli.invoke(app, ["investigate", "--alarm", injection.alarm_name, "--account", ref, "--json"])
        assert result.exit_code == 0, (ref, result.output)
    unknown = cli.invoke(app, ["investigate", "--alarm", injection.alarm_name, "--account", "nope"])
    assert unknown.exit_code == 2 and "no registered account matches 'nope'" in unknown.output

    refused = cli.invoke(app, ["accounts", "remove", "storefront prod"])  # no TTY, no --yes
    assert refused.exit_code == 2 and "--yes" in refused.output
    assert _status(cli) == "connected"
    removed = cli.invoke(app, ["accounts", "remove", "storefront prod", "--yes", "--json"])
    assert removed.exit_code == 0, removed.output
    deleted = _json(removed)["deleted"]
    assert deleted["accounts"] == 1 and deleted["incidents"] >= 1 and deleted["diagnoses"] >= 1
    assert _json(cli.invoke(app, ["accounts", "--json"])) == []


def _alarm(
    sim: SimulatorClient, name: str, *history: tuple[timedelta, str, str], now_state: str = "OK"
) -> None:
    """An alarm of our own with a backdated state history (oldest first), set to `now_state` now."""
    cloudwatch = sim.client("cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/ApplicationELB",
        MetricName="HTTPCode_Target_5XX_Count",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=10,
        ComparisonOperator="GreaterThanThreshold",
    )
    now = datetime.now(UTC)
    for ago, old, new in history:
        sim.inject(
            "alarm_history",
            account_id="123456789012",
            payload={
                "alarm_name": name,
                "timestamp": (now - ago).isoformat(),
                "old_state": old,
                "new_state": new,
                "reason": f"test: {old} -> {new}",
            },
        )
    cloudwatch.set_alarm_state(AlarmName=name, StateValue=now_state, StateReason="test: current state")


def test_an_alarm_that_never_went_off_is_not_investigated(cli: CliRunner, sim: SimulatorClient) -> None:
    _onboard(cli, sim)
    _alarm(sim, "quiet-alarm", (timedelta(minutes=30), "INSUFFICIENT_DATA", "OK"))
    result = cli.invoke(app, ["investigate", "--alarm", "quiet-alarm"])
    assert result.exit_code == 5, result.output
    assert "is OK since" in result.output and "has not gone into ALARM" in result.output
    assert "most likely" not in result.output and "Traceback" not in result.output
    as_json = cli.invoke(app, ["investigate", "--alarm", "quiet-alarm", "--json"])
    assert _json(as_json)["error"]["code"] == "nothing_to_investigate"

    # Asked explicitly for a window, it investigates that window and says so.
    at = (datetime.now(UTC) - timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%MZ")
    windowed = cli.invoke(app, ["investigate", "--alarm", "quiet-alarm", "--at", at, "--json"])
    assert windowed.exit_code == 0, windowed.output
    assert "window chosen explicitly" in " ".join(_json(windowed)["notes"])


def test_a_recovered_alarm_is_investigated_at_its_last_transition_into_alarm(
    cli: CliRunner, sim: SimulatorClient
) -> None:
    _onboard(cli, sim)
    _alarm(
        sim,
        "flapped",
        (timedelta(minutes=50), "INSUFFICIENT_DATA", "OK"),
        (timedelta(minutes=40), "OK", "ALARM"),
        (timedelta(minutes=10), "ALARM", "OK"),
    )
    result = cli.invoke(app, ["investigate", "--alarm", "flapped", "--json"])
    assert result.exit_code == 0, result.output
    diagnosis = _json(result)
    went = datetime.fromisoformat(diagnosis["alarm"]["state_changed_at"])
    assert abs((datetime.now(UTC) - went) - timedelta(minutes=40)) < timedelta(minutes=2)
    assert "went into ALARM at" in diagnosis["notes"][0] and "is OK since" in diagnosis["notes"][0]


def test_an_alarm_older_than_the_lookback_says_so(cli: CliRunner, sim: SimulatorClient) -> None:
    _onboard(cli, sim)
    _alarm(
        sim,
        "long-ago",
        (timedelta(hours=30), "OK", "ALARM"),
        (timedelta(hours=29), "ALARM", "OK"),
    )
    result = cli.invoke(app, ["investigate", "--alarm", "long-ago"])
    assert result.exit_code == 5, result.output
    assert "last went into ALARM at" in result.output and "before the 180-minute lookback" in result.output
    assert "--at " in result.output  # the hint gives the exact option to investigate it anyway

    bad_at = cli.invoke(app, ["investigate", "--alarm", "long-ago", "--at", "yesterday"])
    assert bad_at.exit_code == 2 and "ISO 8601" in bad_at.output
    future = cli.invoke(app, ["investigate", "--alarm", "long-ago", "--at", "2999-01-01T00:00Z"])
    assert future.exit_code == 2 and "future" in future.output


def test_the_demo_never_touches_the_users_store(cli: CliRunner, sim: SimulatorClient, tmp_path: Path) -> None:
    onboarded = _onboard(cli, sim)  # the same role ARN the demo's simulated account uses
    injection = inject.inject(sim, onboarded["workload"], scenario.get("bad_deploy"), now=onboarded["now"])
    assert cli.invoke(app, ["investigate", "--alarm", injection.alarm_name, "--json"]).exit_code == 0
    before = _json(cli.invoke(app, ["accounts", "--json"]))

    # Its own process, as a user runs it (moto's backends are per process).
    demo = subprocess.run(
        [
            sys.executable,
            "-m",
            "cloudwarden.cli.main",
            "demo",
            "--scenario",
            "network_block",
            "--no-github",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ},
        check=False,
    )
    assert demo.returncode == 0, demo.stderr[-2000:]
    assert json.loads(demo.stdout)["correct"] is True

    assert _json(cli.invoke(app, ["accounts", "--json"])) == before  # still one account, connected
    purged = _json(cli.invoke(app, ["purge", "--json"]))
    assert all(count == 0 for count in purged.values()), purged  # nothing of it has expired
    shown = _json(cli.invoke(app, ["accounts", "show", onboarded["account"], "--json"]))
    assert shown["status"] == "connected"
