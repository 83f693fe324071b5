"""Least privilege, enforced: the simulated account authorizes CloudWarden's session as AWS does.

`cloudwarden sim up --enforce-iam` checks every request of an assumed-role session against the
role's policies (moto's evaluation; patches/iam_enforcement.py). The call-recording test in
tests/e2e/test_demo.py proves every call made is declared; these prove the converse: the
generated policy is enough, removing any one declared action is noticed and the action named,
and the AWS managed ViewOnlyAccess policy lacks exactly what the README says.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cloudwarden.aws import probe as aws_probe
from cloudwarden.aws import template
from cloudwarden.aws.session import AssumedSession, SessionBroker
from cloudwarden.config import Settings
from cloudwarden.errors import CloudWardenError
from cloudwarden.incidents import flows
from cloudwarden.simulator.client import SimulatorClient

ROOT = Path(__file__).resolve().parents[2]
ROLE = "CloudWardenReadOnly"
ROLE_ARN = f"arn:aws:iam::123456789012:role/{ROLE}"
VIEW_ONLY = "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"
# Between them, these two investigations call every declared read but DescribeAlarmHistory
# (read only for an alarm no longer in ALARM), which the connection probe calls.
SCENARIOS = ("bad_deploy", "throttling")


@dataclass
class Enforced:
    endpoint: str
    env: dict[str, str]

    def cli(self, *args: str) -> dict[str, Any]:
        result = subprocess.run(
            [sys.executable, "-m", "cloudwarden.cli.main", *args, "--json"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        body: dict[str, Any] = json.loads(result.stdout)
        return body

    def session(self, external_id: str) -> AssumedSession:
        return SessionBroker(Settings(simulator_url=self.endpoint)).session(
            role_arn=ROLE_ARN, external_id=external_id, region="us-east-1"
        )

    @property
    def iam(self) -> Any:
        return SimulatorClient(self.endpoint).client("iam")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def enforced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Enforced]:
    folder = tmp_path_factory.mktemp("enforced")
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDWARDEN_", "AWS_"))}
    env.update(CLOUDWARDEN_DATA_DIR=str(folder / "data"), CLOUDWARDEN_SIMULATOR_URL=endpoint, COLUMNS="200")
    log = (folder / "sim.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cloudwarden.cli.main",
            "sim",
            "up",
            "--port",
            str(port),
            "--tick",
            "0",
            "--enforce-iam",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 90
        while endpoint not in (folder / "sim.log").read_text():
            assert process.poll() is None, (folder / "sim.log").read_text()
            assert time.monotonic() < deadline, "sim up did not start"
            time.sleep(0.5)
        yield Enforced(endpoint, env)
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def _read_policy(enforced: Enforced) -> tuple[str, dict[str, Any]]:
    """The role's inline policy that grants the declared reads (the generated one)."""
    reads = set(template.declared_actions()[0])
    for name in enforced.iam.list_role_policies(RoleName=ROLE)["PolicyNames"]:
        document = enforced.iam.get_role_policy(RoleName=ROLE, PolicyName=name)["PolicyDocument"]
        if isinstance(document, str):
            document = json.loads(document)
        granted = {a for s in document["Statement"] for a in _actions(s)}
        if reads <= granted:
            return name, document
    raise AssertionError("no inline policy of the read role grants every declared read")


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement.get("Action", [])
    return [actions] if isinstance(actions, str) else list(actions)


def _without(document: dict[str, Any], action: str) -> dict[str, Any]:
    statements = []
    for statement in document["Statement"]:
        kept = [a for a in _actions(statement) if a != action]
        if kept:
            statements.append({**statement, "Action": kept})
    return {**document, "Statement": statements}


def _what_was_denied(session: AssumedSession, alarm: str | None) -> str:
    """Everything CloudWarden told the user: the probe's report and the investigation's gaps."""
    told = [r.detail for r in aws_probe.probe(session) if not r.usable]
    if alarm is not None:
        try:
            diagnosis = flows.run(session, alarm_name=alarm, lookback_minutes=180).diagnosis
            told += diagnosis.evidence_unavailable
        except CloudWardenError as exc:
            told.append(exc.message)
    return "\n".join(told)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_generated_policy_suffices_and_each_action_removed_is_named(
    enforced: Enforced, scenario: str
) -> None:
    enforced.cli("sim", "reset")  # a fresh workload for one scenario
    enforced.cli("sim", "onboard")  # with the generated policy
    alarm = enforced.cli("sim", "inject", scenario)["alarm"]
    external_id = enforced.cli("accounts", "show", "simulated")["external_id"]
    session = enforced.session(external_id)
    complete = flows.run(session, alarm_name=alarm, lookback_minutes=180)
    assert [c for c in complete.call_log.calls if c[1] != "ok"] == [], "a declared call was refused"
    assert complete.diagnosis.evidence_unavailable == []
    assert not [r for r in aws_probe.probe(session) if not r.usable]

    name, document = _read_policy(enforced)
    unnoticed = []
    try:
        for action in sorted(complete.call_log.actions()):
            enforced.iam.put_role_policy(
                RoleName=ROLE, PolicyName=name, PolicyDocument=json.dumps(_without(document, action))
            )
            if action not in _what_was_denied(session, alarm):
                unnoticed.append(action)
    finally:
        enforced.iam.put_role_policy(RoleName=ROLE, PolicyName=name, PolicyDocument=json.dumps(document))
    assert unnoticed == [], f"removed from the policy, but nothing named them: {unnoticed}"


def test_every_declared_read_is_called_by_these_investigations_or_the_probe(enforced: Enforced) -> None:
    enforced.cli("sim", "onboard")
    external_id = enforced.cli("accounts", "show", "simulated")["external_id"]
    session = enforced.session(external_id)
    name, document = _read_policy(enforced)
    probed = {r.action for r in aws_probe.probe(session)}
    try:
        for action in sorted(probed):
            enforced.iam.put_role_policy(
                RoleName=ROLE, PolicyName=name, PolicyDocument=json.dumps(_without(document, action))
            )
            assert f"denied: {action}" in _what_was_denied(session, None)
    finally:
        enforced.iam.put_role_policy(RoleName=ROLE, PolicyName=name, PolicyDocument=json.dumps(document))
    assert "cloudwatch:DescribeAlarmHistory" in probed


def _readme_view_only_list() -> set[str]:
    readme = (ROOT / "README.md").read_text()
    paragraph = readme.split("ViewOnlyAccess` does not grant", 1)[1].split(";", 1)[0]
    return set(re.findall(r"`([a-z0-9-]+:[A-Za-z]+)`", paragraph))


def test_view_only_access_lacks_exactly_what_the_readme_says(enforced: Enforced) -> None:
    from moto.iam.access_control import IAMPolicy, PermissionResult

    version = enforced.iam.get_policy(PolicyArn=VIEW_ONLY)["Policy"]["DefaultVersionId"]
    document = enforced.iam.get_policy_version(PolicyArn=VIEW_ONLY, VersionId=version)["PolicyVersion"][
        "Document"
    ]
    policy = IAMPolicy({"policy_document": json.dumps(document)})
    lacking = {
        a
        for a in template.declared_actions()[0]
        if policy.is_action_permitted(a, "*") != PermissionResult.PERMITTED
    }
    assert lacking == _readme_view_only_list()

    # And connecting with it shows exactly those of them the probe reads, each named.
    report = enforced.cli("sim", "onboard", "--policy", "ViewOnlyAccess")
    denied = {s["action"] for s in report["sources"] if not s["usable"]}
    probed = {s["action"] for s in report["sources"]}
    assert denied == lacking & probed
    assert all(s["detail"] == f"denied: {s['action']}" for s in report["sources"] if not s["usable"])
