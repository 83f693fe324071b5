"""A customer's journey through the CLI: register, deploy, connect, investigate, revoke."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cloudwarden.cli.main import app
from cloudwarden.config import DEFAULT_PRINCIPAL, get_settings
from cloudwarden.simulator import alarms, inject, scenario, workload
from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.onboarding import delete_read_role, deploy_onboarding_stack

ROLE_ARN = "arn:aws:iam::123456789012:role/CloudWardenReadOnly"


@pytest.fixture
def cli(sim: SimulatorClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("CLOUDWARDEN_SIMULATOR_URL", sim.endpoint)
    monkeypatch.setenv("CLOUDWARDEN_DATABASE_URL", f"sqlite:///{tmp_path / 'cw.db'}")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _json(result) -> dict:  # type: ignore[no-untyped-def, type-arg]
    return json.loads(result.stdout)


def test_register_connect_investigate_then_revoke(cli: CliRunner, sim: SimulatorClient) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    w = workload.deploy_workload(sim, now=now)

    first = cli.invoke(app, ["connect", "--role-arn", ROLE_ARN, "--json"])
    assert first.exit_code == 3, first.output  # registered, but the role is not deployed yet
    body = _json(first)
    assert body["connected"] is False and "cannot assume" in body["error"]["message"]
    assert body["error"]["code"] == "not_connected" and body["exit_code"] == 3
    external_id = body["external_id"]
    assert len(external_id) >= 32

    outputs = deploy_onboarding_stack(sim, principal_arn=DEFAULT_PRINCIPAL, external_id=external_id)
    second = cli.invoke(app, ["connect", "--role-arn", ROLE_ARN, "--json"])
    assert second.exit_code == 0, second.output
    connected = _json(second)
    assert connected["aws_account_id"] == "123456789012"
    assert all(source["usable"] for source in connected["sources"]), connected["sources"]

    alarms.create_alarms(sim, w, topic_arns=[outputs.alerts_topic_arn], at=now - timedelta(days=1))
    injection = inject.inject(sim, w, scenario.get("bad_deploy"), now=now)
    investigated = cli.invoke(app, ["investigate", "--alarm", injection.alarm_name, "--json"])
    assert investigated.exit_code == 0, investigated.output
    top = _json(investigated)["hypotheses"][0]
    assert (top["resource"], top["fault"]) == (injection.truth_resource, "bad_deploy")

    delete_read_role(sim)
    revoked = cli.invoke(app, ["investigate", "--alarm", injection.alarm_name])
    assert revoked.exit_code == 3
    assert "disconnected" in revoked.output.lower()
    accounts = _json(cli.invoke(app, ["accounts", "--json"]))
    assert accounts[0]["status"] == "disconnected"


def test_iam_template_and_scenario_list(cli: CliRunner) -> None:
    template = cli.invoke(app, ["iam-template"])
    assert template.exit_code == 0 and "sts:ExternalId" in template.stdout
    terraform = cli.invoke(app, ["iam-template", "--format", "terraform"])
    assert terraform.exit_code == 0 and "aws_iam_role" in terraform.stdout
    bad = cli.invoke(app, ["iam-template", "--format", "yaml"])
    assert bad.exit_code != 0 and "cloudformation or terraform" in bad.output
    listed = json.loads(cli.invoke(app, ["demo", "--list", "--json"]).stdout)
    assert {s["fault"] for s in listed} >= {
        "bad_deploy",
        "memory_leak",
        "cpu_saturation",
        "db_connection_exhaustion",
        "storage_full",
        "throttling",
        "network_block",
        "permission_denied",
    }


def test_purge_reports_rows_per_table(cli: CliRunner) -> None:
    result = cli.invoke(app, ["purge", "--json"])
    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout)
    assert {"accounts", "incidents", "diagnoses"} <= set(counts)
    assert all(value == 0 for value in counts.values())
