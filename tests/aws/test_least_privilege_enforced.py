"""Least privilege, enforced: the simulated account authorizes CloudWarden's session as AWS does.

`cloudwarden sim up --enforce-iam` checks every request of an assumed-role session against the
role's policies (moto's evaluation; patches/iam_enforcement.py). The call-recording test in
tests/e2e/test_demo.py proves every call made is declared; these prove the converse: the
generated policy is enough, removing any one declared read is noticed and the action named,
and the AWS managed ViewOnlyAccess policy lacks exactly what the README says. Both for an
investigation (the evidence collectors' reads) and for a posture scan (the posture collectors').

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

from cloudwarden.aws import permissions, template
from cloudwarden.aws import probe as aws_probe
from cloudwarden.aws.session import AssumedSession, SessionBroker
from cloudwarden.config import Settings
from cloudwarden.errors import CloudWardenError
from cloudwarden.evidence import registry as evidence_registry
from cloudwarden.incidents import flows
from cloudwarden.posture import scan as posture_scan
from cloudwarden.posture.checks import all_checks
from cloudwarden.posture.collectors import Collector, all_collectors
from cloudwarden.posture.model import Finding, Status
from cloudwarden.simulator import account as sim_account
from cloudwarden.simulator import posture_seed
from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.onboarding import (
    attached_deny_policy_arn,
    deploy_onboarding_stack,
    put_read_policies,
)
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
# A posture result's reason for what it could not read: "<action>: <code> (<message>)"
# (posture.inventory.unknown_from), several joined by "; " when a check met more than one.
POSTURE_DENIED = re.compile(rf"\b([a-z0-9-]+:[A-Za-z0-9]+): (?:{'|'.join(sorted(aws_probe.DENIED_CODES))})\b")
REGION = "us-east-1"
# What a posture result says when the simulator could not answer (not a refusal): moto has no IAM
# Access Analyzer and no route for GetEnabledStandards.
SIMULATOR_GAPS = (
    "access-analyzer:ListAnalyzers: 500 ",
    "securityhub:GetEnabledStandards: 404 ",
)
# Posture reads a scan cannot name when the role lacks them. The test below requires exactly
# these to go unnamed, so an entry that becomes nameable must be removed.
NOT_NAMED_WHEN_REMOVED = {
    # The simulator answers before authorizing.
    "access-analyzer:ListAnalyzers": "moto has no IAM Access Analyzer (HTTP 500)",
    "securityhub:GetEnabledStandards": "moto has no route for it (HTTP 404)",
    # No verdict depends on them (the collectors read them to place or corroborate).
    "s3:GetBucketLocation": "only the region a bucket's results are filed under ('global' when unread)",
    "iam:GetAccountSummary": "only corroborates the credential report (root MFA and access keys)",
}


@dataclass
class Enforced:
    """`sim up --enforce-iam` in its own process, and what has been done to it."""

    endpoint: str
    env: dict[str, str]
    policy: str | None = None  # the policy the onboarding stack was last deployed with
    onboarding: dict[str, Any] = field(default_factory=dict)  # `sim onboard --json`
    alarm: str | None = None  # of the scenario injected
    posture_seeded: bool = False  # the account's misconfigurations (and what makes every posture read made)

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


@pytest.fixture
def posture_account(onboarded: Enforced) -> Enforced:
    """The account seeded (once per simulator) so that a posture scan makes every posture read."""
    _ensure_posture_seeded(onboarded)
    return onboarded


def _ensure_posture_seeded(enforced: Enforced) -> None:
    if not enforced.posture_seeded:
        _seed_posture(SimulatorClient(enforced.endpoint), str(enforced.onboarding["aws_account_id"]))
        enforced.posture_seeded = True


def _seed_posture(sim: SimulatorClient, account_id: str) -> None:
    """The demo's misconfigurations, and what some reads need to be made at all."""
    posture_seed.seed_misconfigurations(sim, region=REGION)
    # A public EBS snapshot (its createVolumePermission is read) and manual RDS snapshots of an
    # instance and of a cluster (their sharing attributes are read).
    ec2 = sim.client("ec2")
    volume = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=1)["VolumeId"]
    snapshot = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]
    ec2.modify_snapshot_attribute(
        SnapshotId=snapshot, Attribute="createVolumePermission", OperationType="add", GroupNames=["all"]
    )
    rds = sim.client("rds")
    instance = rds.describe_db_instances()["DBInstances"][0]["DBInstanceIdentifier"]
    rds.create_db_snapshot(DBInstanceIdentifier=instance, DBSnapshotIdentifier="cw-test-db-snapshot")
    rds.create_db_cluster(
        DBClusterIdentifier="cw-test-cluster",
        Engine="aurora-postgresql",
        MasterUsername="dbadmin",
        MasterUserPassword="ChangeMe12345",
    )
    rds.create_db_cluster_snapshot(
        DBClusterIdentifier="cw-test-cluster", DBClusterSnapshotIdentifier="cw-test-cluster-snapshot"
    )
    # AWS Config recording (the recorder's status and the delivery channel are read).
    bucket = "cw-test-posture-logs"
    sim.client("s3").create_bucket(Bucket=bucket)
    config = sim.client("config")
    config.put_configuration_recorder(
        ConfigurationRecorder={
            "name": "default",
            "roleARN": f"arn:aws:iam::{account_id}:role/cw-test-config",
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True},
        }
    )
    config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": bucket})
    config.start_configuration_recorder(ConfigurationRecorderName="default")
    # A multi-region trail delivering to CloudWatch Logs (its status and event selectors, and the
    # log group's metric filters, are read).
    logs = sim.client("logs")
    logs.create_log_group(logGroupName="cw-test-trail")
    log_group = logs.describe_log_groups(logGroupNamePrefix="cw-test-trail")["logGroups"][0]["arn"]
    cloudtrail = sim.client("cloudtrail")
    cloudtrail.create_trail(
        Name="cw-test-multi-region",
        S3BucketName=bucket,
        IsMultiRegionTrail=True,
        CloudWatchLogsLogGroupArn=log_group,
        CloudWatchLogsRoleArn=f"arn:aws:iam::{account_id}:role/cw-test-trail-to-logs",
    )
    cloudtrail.put_event_selectors(
        TrailName="cw-test-multi-region",
        EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}],
    )
    cloudtrail.start_logging(Name="cw-test-multi-region")
    # The root user with a virtual MFA device (the virtual devices are read to tell).
    sim.inject(
        "root_credentials",
        account_id=account_id,
        region=REGION,
        payload={"access_keys": [], "mfa_active": True, "mfa_virtual": True},
    )


def _posture_collectors() -> list[Collector]:
    """The posture collectors with reads of their own (findings' are the evidence collector's)."""
    return [c for c in all_collectors().values() if c.PERMISSIONS.owner == f"posture.{c.SERVICE}"]


def _denied_in(reason: str) -> set[str]:
    return {m.group(1) for m in POSTURE_DENIED.finditer(reason)}


def _evidence_reads() -> set[str]:
    """What the probe and investigations read: the evidence collectors' required declarations
    (the policy also grants the posture collectors', which only a posture scan makes)."""
    return {
        a
        for d in permissions.declarations("read")
        if d.owner.startswith("evidence.") and not d.optional
        for a in d.actions
    }


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
    # Between them, the probe and this investigation call every evidence read: the test below
    # removes each in turn, and one not called could be removed unnoticed.
    reads = _evidence_reads()
    assert reads <= set(template.declared_actions()[0])
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
    for action in sorted(_evidence_reads() - _probe_actions(session)):
        incident.grant_reads([a for a in reads if a != action])
        try:
            told = flows.run(session, alarm_name=str(incident.alarm), lookback_minutes=180).diagnosis
            named = _named_denied(told.evidence_unavailable)
        except CloudWardenError as exc:  # an investigation that cannot go on says why
            named = _named_denied([exc.message])
        assert named == {action}, f"{action} removed from the policy"


def test_with_the_generated_policy_no_posture_read_is_denied(posture_account: Enforced) -> None:
    session = posture_account.session()
    outcome = posture_scan.scan_session(session, regions=[REGION])
    reasons = [f.reason for f in outcome.findings if f.status == Status.ERROR]
    reasons += list(outcome.unavailable.values())  # a service no check reads (findings) too
    denied = {action for reason in reasons for action in _denied_in(reason)}
    assert denied == set()
    # The other ERRORs are what the simulator cannot answer, never a refusal.
    others = {r for r in reasons if not _denied_in(r)}
    assert {r for r in others if not any(gap in r for gap in SIMULATOR_GAPS)} == set()
    # Every posture read is made: the test below removes each in turn, and one not made could be
    # removed unnoticed.
    declared = {a for c in _posture_collectors() for a in c.PERMISSIONS.actions}
    assert declared <= set(template.declared_actions()[0]), "posture reads missing from the policy"
    assert declared - set(outcome.calls_by_action) == set(), "seed what makes these reads"
    # And the converse: the scan calls nothing the policy does not grant.
    assert set(outcome.calls_by_action) - set(template.declared_actions()[0]) == set()


def test_each_posture_read_is_named_when_removed(posture_account: Enforced) -> None:
    """One read removed at a time: the scan of the checks reading its service names it in ERROR
    results, and no result passes that did not pass with the whole policy."""
    reads = template.declared_actions()[0]
    session = posture_account.session()
    checks = all_checks()
    passed = {
        _key(f)
        for f in posture_scan.scan_session(session, regions=[REGION]).findings
        if f.status == Status.PASS
    }
    unnamed: set[str] = set()
    wrong: dict[str, list[str]] = {}
    for collector in _posture_collectors():
        reading = [cid for cid, check in checks.items() if collector.SERVICE in check.metadata.reads]
        assert reading, f"no check reads {collector.SERVICE}"
        for action in collector.PERMISSIONS.actions:
            posture_account.grant_reads([a for a in reads if a != action])
            findings = posture_scan.scan_session(session, regions=[REGION], check_ids=reading).findings
            naming = [f for f in findings if action in _denied_in(f.reason)]
            if not naming:
                unnamed.add(action)
            problems = [f"{f.check_id} {f.status}" for f in naming if f.status != Status.ERROR]
            problems += [
                f"{f.check_id} {f.resource_id} passes"
                for f in findings
                if f.status == Status.PASS and _key(f) not in passed
            ]
            if problems:
                wrong[action] = problems
    assert wrong == {}
    assert unnamed == set(NOT_NAMED_WHEN_REMOVED)


def _key(finding: Finding) -> tuple[str, str]:
    # Not the region: without s3:GetBucketLocation a bucket's results are filed under "global".
    return finding.check_id, finding.resource_id


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
    # A posture scan reports the checks that need a read it lacks as ERROR, naming the action.
    _ensure_posture_seeded(enforced)
    outcome = posture_scan.scan_session(enforced.session(), regions=[REGION])
    named = {a for f in outcome.findings if f.status == Status.ERROR for a in _denied_in(f.reason)}
    posture_reads = {a for c in _posture_collectors() for a in c.PERMISSIONS.actions}
    assert named and named <= lacking & posture_reads


def test_the_policies_put_per_action_are_those_of_a_stack_deployed_without_it(sim: SimulatorClient) -> None:
    """The shortcut above stands for `deploy_onboarding_stack(read_actions=...)` without one read."""
    reads = template.declared_actions()[0]
    reduced = [a for a in reads if a != "logs:FilterLogEvents"]
    principal, external_id = Settings().principal_arn, "stack-equivalence"
    outputs = deploy_onboarding_stack(
        sim, principal_arn=principal, external_id=external_id, read_actions=reduced
    )
    iam = sim.client("iam")

    deny_arn = attached_deny_policy_arn(sim)

    def role_policies() -> dict[str, Any]:
        read = iam.get_role_policy(RoleName=template.READ_ROLE_NAME, PolicyName=template.READ_POLICY_NAME)
        version = iam.get_policy(PolicyArn=deny_arn)["Policy"]["DefaultVersionId"]
        deny = iam.get_policy_version(PolicyArn=deny_arn, VersionId=version)["PolicyVersion"]["Document"]
        return {"read": read["PolicyDocument"], "deny": json.loads(deny) if isinstance(deny, str) else deny}

    deployed = role_policies()
    for actions, same in [(reads, False), (reduced, True)]:
        put_read_policies(
            sim,
            principal_arn=principal,
            external_id=external_id,
            alerts_topic_arn=outputs.alerts_topic_arn,
            read_actions=actions,
        )
        assert (role_policies() == deployed) == same


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
