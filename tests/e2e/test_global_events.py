"""Global services (IAM, ...) log to us-east-1's event history whatever the workload's region:
an investigation elsewhere reads them there, and only theirs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from cloudwarden.config import Settings
from cloudwarden.demo import run_demo
from cloudwarden.evidence.collectors import cloudtrail
from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.server import SimulatorServer


def test_an_iam_change_in_us_east_1_is_found_for_a_workload_in_eu_west_1(
    simulator_server: SimulatorServer, tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'cw.db'}", default_region="eu-west-1"
    )
    run = run_demo("permission_denied", settings=settings, server=simulator_server)
    assert run.diagnosis.region == "eu-west-1"
    top = run.diagnosis.hypotheses[0]
    assert (top.resource, top.fault) == (run.injection.truth_resource, run.injection.truth_fault)
    detached = [e for e in top.evidence if e.source == "cloudtrail" and "DetachRolePolicy" in e.summary]
    assert detached, [e.summary for e in top.evidence]  # the change itself, not only the denials in the logs
    assert top.confidence >= 0.7
    assert run.aws_calls_by_action["cloudtrail:LookupEvents"] == 2  # eu-west-1's history, then us-east-1's
    assert run.diagnosis.aws_calls <= 30


def test_only_the_global_services_events_are_taken_from_us_east_1(sim: SimulatorClient) -> None:
    start = datetime.now(UTC) - timedelta(minutes=1)
    sim.client("iam", region="us-east-1").create_role(RoleName="global-probe", AssumeRolePolicyDocument="{}")
    sim.client("ec2", region="us-east-1").create_security_group(GroupName="regional-probe", Description="d")
    trail = sim.client("cloudtrail", region="us-east-1")
    end = datetime.now(UTC) + timedelta(minutes=1)
    regional = {e["EventName"] for e in cloudtrail.get(trail, start=start, end=end)}
    assert {"CreateRole", "CreateSecurityGroup"} <= regional
    found = cloudtrail.get_global(trail, start=start, end=end)
    assert {e["EventName"] for e in found} >= {"CreateRole"} and "CreateSecurityGroup" not in {
        e["EventName"] for e in found
    }
    assert {e["EventSource"] for e in found} <= cloudtrail.GLOBAL_EVENT_SOURCES
