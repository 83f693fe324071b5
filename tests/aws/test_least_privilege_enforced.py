"""Least privilege, enforced: the simulated account authorizes CloudWarden's session as AWS does.

`cloudwarden sim up --enforce-iam` checks every request of an assumed-role session against the
role's policies (moto's evaluation; patches/iam_enforcement.py). The call-recording test in
tests/e2e/test_demo.py proves every call made is declared; these prove the converse: the
generated policy is enough, removing any one declared read is noticed and the action named,
and the AWS managed ViewOnlyAccess policy lacks exactly what the README says.

The simulator runs in a process of its own: moto's authorization and backends are process-wide,
and the other tests of this pytest worker share them. One stack is deployed per process; each
policy tried after it is put on the role (onboarding.put_read_policies, generated from the
reduced declarations as a redeployment would be) and evaluated against the same session.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from cloudwarden.aws import probe as aws_probe
from cloudwarden.aws import template
from cloudwarden.aws.session import AssumedSession, SessionBroker
from cloudwarden.config import Settings
from cloudwarden.errors import CloudWardenError
from cloudwarden.evidence import registry as evidence_registry
from cloudwarden.incidents import flows
from cloudwarden.simulator import account as sim_account
from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.onboarding import deploy_onboarding_stack, put_read_policies
from cloudwarden.simulator.server import SimulatorServer

ROOT = Path(__file__).resolve().parents[2]
GENERATED = "least-privilege"
VIEW_ONLY = "ViewOnlyAccess"
VIEW_ONLY_ARN = "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"
# Its investigation calls every declared read the connection probe does not (the probe calls
# DescribeAlarmHistory and DescribeInstanceStatus, which a throttled Lambda does not need).
SCENARIO = "throttling"
DENIED = "|".join(code.lower() for code in aws_probe.DENIED_CODES)
# EvidenceGap.describe(): "evidence unavailable: <action> <code> (<message>)"
GAP = re.compile(rf"evidence unavailable: (\S+) (?:{DENIED}) ")


@dataclass
class Enforced:
    """`sim up --enforce-iam` in its own process, and what has been done to it."""

    endpoint: str
    env: dict[str, str]
    policy: str | None = None  # the policy the onboarding stack was last deployed with
    onboarding: dict[str, Any] = field(default_factory=dict)  # `sim onboard --json`
    alarm: str | None = None  # of the scenario injected

    def cli(self, *args: str, succeeds: bool = True) -> dict[str, Any]:
        result = subprocess.run(
            [sys.executable, "-m", "cloudwarden.cli.main", *args, "--json"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert (result.returncode == 0) == succeeds, result.stdout + result.stderr
        body: dict[str, Any] = json.loads(result.stdout)
        return body

    def onboard(self, policy: str) -> dict[str, Any]:
        """`cloudwarden sim onboard --policy P`: the stack deployed again, the connection probed."""
        if self.policy != policy:
            self.onboarding = self.cli("sim", "onboard", "--policy", policy)
            self.policy = policy
        return self.onboarding

    def session(self) -> AssumedSession:
        role = f"arn:aws:iam::{self.onboarding['aws_account_id']}:role/{template.READ_ROLE_NAME}"
        return SessionBroker(self.settings).session(
            role_arn=role, external_id=self.onboarding["external_id"], region="us-east-1"
        )

    def grant_reads(self, actions: list[str]) -> None:
        """The read role's policies as a stack deployed with these read actions has them."""
        sim = SimulatorClient(self.endpoint)
        topic = sim_account.onboarding_topic(sim)
        assert topic is not None, "not onboarded"
        put_read_policies(
            sim,
            principal_arn=self.settings.principal_arn,
            external_id=self.onboarding["external_id"],
            alerts_topic_arn=topic,
            read_actions=actions,
        )

    @property
    def settings(self) -> Settings:
        return Settings(simulator_url=self.endpoint)


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
    command = ["sim", "up", "--port", str(port), "--tick", "0", "--enforce-iam"]
    with (folder / "sim.log").open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "cloudwarden.cli.main", *command],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        try:
            deadline = time.monotonic() + 90
            while endpoint not in (folder / "sim.log").read_text():
                assert process.poll() is None, (folder / "sim.log").read_text()
                assert time.monotonic() < deadline, "sim up did not start"
                time.sleep(0.3)
            yield Enforced(endpoint, env)
        finally:
            process.terminate()
            process.wait(timeout=20)


@pytest.fixture
def onboarded(enforced: Enforced) -> Iterator[Enforced]:
    """Onboarded with the generated policy, complete (restored after each test that reduces it)."""
    enforced.onboard(GENERATED)
    yield enforced
    enforced.grant_reads(template.declared_actions()[0])


@pytest.fixture
def incident(onboarded: Enforced) -> Enforced:
    """The scenario injected (once per simulator): its alarm is in ALARM."""
    if onboarded.alarm is None:
        onboarded.alarm = str(onboarded.cli("sim", "inject", SCENARIO)["alarm"])
    return onboarded


def _probe_actions(session: AssumedSession) -> set[str]:
    return {r.action for r in evidence_registry.probe(session)}


def _named_denied(told: list[str]) -> set[str]:
    """The actions named as denied in what the user is told."""
    return {m.group(1) for text in told for m in GAP.finditer(text)}


def test_with_the_generated_policy_nothing_is_denied(incident: Enforced) -> None:
    assert [s for s in incident.onboarding["sources"] if not s["usable"]] == []

    # The investigation as a user runs it (flows.investigate, stored under an incident).
    diagnosis = incident.cli("investigate", "--alarm", str(incident.alarm))
    assert diagnosis["evidence_unavailable"] == []
    assert diagnosis["hypotheses"], "the investigation found nothing to report"

    # And every call it makes is granted: no denial swallowed by a collector.
    session = incident.session()
    complete = flows.run(session, alarm_name=str(incident.alarm), lookback_minutes=180)
    refused = [(action, code) for action, code in complete.call_log.calls if code in aws_probe.DENIED_CODES]
    assert refused == []
    # Between them, the probe and this investigation call every declared read: the test below
    # removes each in turn, and one not called could be removed unnoticed.
    reads = set(template.declared_actions()[0])
    uncalled = reads - complete.call_log.actions() - _probe_actions(session)
    assert uncalled == set(), f"choose a SCENARIO whose investigation calls {sorted(uncalled)}"


def test_each_read_the_probe_makes_is_named_when_removed(onboarded: Enforced) -> None:
    reads = template.declared_actions()[0]
    session = onboarded.session()
    probed = sorted(_probe_actions(session))
    assert set(probed) <= set(reads)
    for action in probed:
        onboarded.grant_reads([a for a in reads if a != action])
        unusable = [(r.action, r.detail) for r in evidence_registry.probe(session) if not r.usable]
        assert unusable == [(action, f"denied: {action}")], f"{action} removed from the policy"


def test_each_read_only_an_investigation_makes_is_named_when_removed(incident: Enforced) -> None:
    reads = template.declared_actions()[0]
    session = incident.session()
    for action in sorted(set(reads) - _probe_actions(session)):
        incident.grant_reads([a for a in reads if a != action])
        try:
            told = flows.run(session, alarm_name=str(incident.alarm), lookback_minutes=180).diagnosis
            named = _named_denied(told.evidence_unavailable)
        except CloudWardenError as exc:  # an investigation that cannot go on says why
            named = _named_denied([exc.message])
        assert named == {action}, f"{action} removed from the policy"


def _readme_view_only_list() -> set[str]:
    readme = (ROOT / "README.md").read_text()
    paragraph = readme.split("`ViewOnlyAccess` does not grant", 1)[1].split(";", 1)[0]
    return set(re.findall(r"`([a-z0-9-]+:[A-Za-z]+)`", paragraph))


def test_view_only_access_lacks_exactly_what_the_readme_says(enforced: Enforced) -> None:
    """It leaves the stack on ViewOnlyAccess: `onboarded` deploys the generated policy again."""
    from moto.iam.access_control import IAMPolicy, PermissionResult

    iam = SimulatorClient(enforced.endpoint).client("iam")
    version = iam.get_policy(PolicyArn=VIEW_ONLY_ARN)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=VIEW_ONLY_ARN, VersionId=version)["PolicyVersion"]["Document"]
    policy = IAMPolicy({"policy_document": json.dumps(document)})  # the evaluation the server runs
    lacking = {
        a
        for a in template.declared_actions()[0]
        if policy.is_action_permitted(a, "*") != PermissionResult.PERMITTED
    }
    assert lacking == _readme_view_only_list()

    # Connecting with it shows those the probe reads as denied, each named; nothing else.
    report = enforced.onboard(VIEW_ONLY)
    denied = {s["action"] for s in report["sources"] if not s["usable"]}
    assert denied == lacking & {s["action"] for s in report["sources"]}
    assert all(s["detail"] == f"denied: {s['action']}" for s in report["sources"] if not s["usable"])
    # And, as the README warns, an investigation cannot even read its alarm.
    alarm = SimulatorClient(enforced.endpoint).client("cloudwatch").describe_alarms()["MetricAlarms"][0]
    error = enforced.cli("investigate", "--alarm", alarm["AlarmName"], succeeds=False)["error"]
    assert error["code"] == "permission_denied"  # not "not found": the alarm exists, the role may not read it
    assert _named_denied([error["message"]]) == {"cloudwatch:DescribeAlarms"}


def test_the_policies_put_per_action_are_those_of_a_stack_deployed_without_it(sim: SimulatorClient) -> None:
    """The shortcut above stands for `deploy_onboarding_stack(read_actions=...)` without one read."""
    reads = template.declared_actions()[0]
    reduced = [a for a in reads if a != "logs:FilterLogEvents"]
    principal, external_id = Settings().principal_arn, "stack-equivalence"
    outputs = deploy_onboarding_stack(
        sim, principal_arn=principal, external_id=external_id, read_actions=reduced
    )
    iam = sim.client("iam")

    def inline_policies() -> dict[str, Any]:
        return {
            name: iam.get_role_policy(RoleName=template.READ_ROLE_NAME, PolicyName=name)["PolicyDocument"]
            for name in (template.READ_POLICY_NAME, template.DENY_POLICY_NAME)
        }

    deployed = inline_policies()
    for actions, same in [(reads, False), (reduced, True)]:
        put_read_policies(
            sim,
            principal_arn=principal,
            external_id=external_id,
            alerts_topic_arn=outputs.alerts_topic_arn,
            read_actions=actions,
        )
        assert (inline_policies() == deployed) == same


def test_enforcement_ends_when_the_enforcing_server_stops(sim: SimulatorClient) -> None:
    """moto's request handling is process-wide: while an enforcing server runs, every server in
    the process checks sessions (hence the separate process above); once it stops, none does."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": Settings().principal_arn},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": "scope-test"}},
            }
        ],
    }
    sim.client("iam").create_role(RoleName="NoPolicies", AssumeRolePolicyDocument=json.dumps(trust))
    account = sim.client("sts").get_caller_identity()["Account"]
    credentials = sim.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/NoPolicies", RoleSessionName="scope", ExternalId="scope-test"
    )["Credentials"]
    cloudwatch = sim.client(
        "cloudwatch",
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )

    def denied() -> bool:
        try:
            cloudwatch.describe_alarms()
        except ClientError as exc:
            assert exc.response["Error"]["Code"] in aws_probe.DENIED_CODES
            return True
        return False

    assert not denied()
    with SimulatorServer(tick_seconds=0, enforce_iam=True):
        assert denied()
    assert not denied()
