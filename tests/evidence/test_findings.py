"""Security findings as evidence: each source on its own, in the window, linked to resource keys."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from cloudwarden.evidence.collectors import ec2, ecs, findings, rds
from cloudwarden.evidence.context import CollectContext
from cloudwarden.simulator.client import SimulatorClient

ACCOUNT = "123456789012"
REGION = "us-east-1"
AMI = "ami-0c55b159cbfafe1f0"
NOW = datetime.now(UTC).replace(microsecond=0)
START, END = NOW - timedelta(hours=1), NOW
LONG_AGO = NOW - timedelta(hours=6)


@pytest.fixture
def gd_sim(sim: SimulatorClient) -> SimulatorClient:
    """The simulated account; the GuardDuty findings patch is registered with the others."""
    return sim


@functools.cache
def _client(endpoint: str, service: str) -> Any:
    """Clients are slow to build and the server outlives each test's reset, so build each once."""
    return SimulatorClient(endpoint).client(service)


def _context(sim: SimulatorClient, **overrides: Any) -> CollectContext:
    ctx = CollectContext(session=None)  # type: ignore[arg-type]
    for service in ("securityhub", "guardduty", "inspector2"):
        ctx._clients[service] = overrides.get(service) or _client(sim.endpoint, service)
    return ctx


def _offline(service: str) -> Any:
    return boto3.Session(region_name=REGION, aws_access_key_id="a", aws_secret_access_key="b").client(service)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@dataclass
class Workload:
    instance: str
    group: str  # security group key
    role: str  # role ARN (with its path)
    service: str  # ECS service ARN
    database: str  # DB instance ARN
    keys: set[str]  # every resource key CloudWarden's own collectors produce


def _deploy(sim: SimulatorClient) -> Workload:
    client = functools.partial(_client, sim.endpoint)
    group_id = client("ec2").create_security_group(GroupName="web", Description="web tier")["GroupId"]
    instance = client("ec2").run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SecurityGroupIds=[group_id])
    role = client("iam").create_role(RoleName="web-task", Path="/app/", AssumeRolePolicyDocument="{}")["Role"]
    client("ecs").create_cluster(clusterName="prod")
    client("ecs").register_task_definition(
        family="web-api", containerDefinitions=[{"name": "web", "image": "web:1", "memory": 512}]
    )
    client("ecs").create_service(
        cluster="prod", serviceName="web-api", taskDefinition="web-api:1", desiredCount=1
    )
    client("rds").create_db_instance(
        DBInstanceIdentifier="orders-db",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="app",
        MasterUserPassword="not-a-real-password",
        AllocatedStorage=20,
    )
    keys = {r.key for r in ec2.transform(ec2.get(client("ec2")), region=REGION)}
    keys |= {r.key for r in ecs.transform(ecs.get(client("ecs")))[0]}
    keys |= {r.key for r in rds.transform(rds.get(client("rds"), start=START, end=END))[0]}
    return Workload(
        instance=instance["Instances"][0]["InstanceId"],
        group=ec2.security_group_key(REGION, ACCOUNT, group_id),
        role=role["Arn"],
        service=next(k for k in keys if ":service/" in k),
        database=next(k for k in keys if ":db:" in k),
        keys=keys,
    )


def _guardduty(
    sim: SimulatorClient, finding_type: str, severity: float, created: datetime, **target: str
) -> str:
    payload = {
        "type": finding_type,
        "severity": severity,
        "title": f"{finding_type} observed",
        "created_at": created.isoformat(),
        "resource": target,
    }
    return str(sim.inject("guardduty_finding", account_id=ACCOUNT, payload=payload)["recorded"]["arn"])


def _asff(
    finding_id: str, title: str, resource: dict[str, Any], label: str, updated: datetime
) -> dict[str, Any]:
    return {
        "SchemaVersion": "2018-10-08",
        "Id": finding_id,
        "ProductArn": f"arn:aws:securityhub:{REGION}::product/aws/securityhub",
        "GeneratorId": "security-control/RDS.3",
        "AwsAccountId": ACCOUNT,
        "Types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
        "CreatedAt": _iso(updated - timedelta(minutes=5)),
        "UpdatedAt": _iso(updated),
        "Severity": {"Label": label, "Normalized": {"MEDIUM": 40, "HIGH": 70, "CRITICAL": 90}[label]},
        "Title": title,
        "Description": f"{title}.  Details follow.",
        "Resources": [resource],
        "RecordState": "ACTIVE",
    }


def _inspector(arn: str, kind: str, resource_id: str, observed: datetime, **extra: Any) -> dict[str, Any]:
    return {
        "findingArn": f"arn:aws:inspector2:{REGION}:{ACCOUNT}:finding/{arn}",
        "awsAccountId": ACCOUNT,
        "type": kind,
        "title": f"{kind} on {resource_id}",
        "description": f"{kind} on {resource_id}",
        "remediation": {"recommendation": {"text": "Restrict the security group"}},
        "severity": "MEDIUM",
        "inspectorScore": 5.3,
        "status": "ACTIVE",
        "firstObservedAt": (observed - timedelta(minutes=1)).timestamp(),
        "lastObservedAt": observed.timestamp(),
        "updatedAt": observed.timestamp(),
        "resources": [{"type": "AWS_EC2_INSTANCE", "id": resource_id, "region": REGION}],
        **extra,
    }


@pytest.fixture
def incident(gd_sim: SimulatorClient) -> tuple[SimulatorClient, Workload, dict[str, str]]:
    """Findings from all three services about one workload, some long before the window."""
    sim = gd_sim
    workload = _deploy(sim)
    _client(sim.endpoint, "guardduty").create_detector(Enable=True)
    ids = {
        "probe": _guardduty(
            sim,
            "Recon:EC2/PortProbeUnprotectedPort",
            2.0,
            NOW - timedelta(minutes=20),
            kind="instance",
            instance_id=workload.instance,
        ),
        "exfiltration": _guardduty(
            sim,
            "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
            8.0,
            NOW - timedelta(minutes=15),
            kind="access_key",
            role_name="web-task",
        ),
        "runtime": _guardduty(
            sim,
            "Execution:Runtime/NewBinaryExecuted",
            5.0,
            NOW - timedelta(minutes=10),
            kind="ecs_task",
            cluster="prod",
            service="web-api",
        ),
        "old_login": _guardduty(
            sim,
            "CredentialAccess:RDS/AnomalousBehavior.SuccessfulLogin",
            5.0,
            LONG_AGO,
            kind="rds_instance",
            db_instance="orders-db",
        ),
    }
    hub = _client(sim.endpoint, "securityhub")
    hub.enable_security_hub()
    imported = hub.batch_import_findings(
        Findings=[
            _asff(
                "sh-public-db",
                "RDS DB instance should not be publicly accessible",
                {"Type": "AwsRdsDbInstance", "Id": workload.database},
                "CRITICAL",
                NOW - timedelta(minutes=8),
            ),
            _asff(
                "sh-ecs-root",
                "ECS containers should run as non-privileged",
                {"Type": "AwsEcsService", "Id": workload.service},
                "HIGH",
                NOW - timedelta(minutes=30),
            ),
            _asff(
                "sh-old",
                "Security groups should not allow unrestricted access to port 22",
                {"Type": "AwsEc2SecurityGroup", "Id": workload.group},
                "HIGH",
                LONG_AGO,
            ),
            # Security Hub's copy of a GuardDuty finding carries the GuardDuty finding's ARN as its id.
            _asff(
                ids["exfiltration"],
                "Credentials used outside AWS",
                {"Type": "AwsIamRole", "Id": workload.role},
                "HIGH",
                NOW - timedelta(minutes=15),
            ),
        ]
    )
    assert imported["FailedCount"] == 0
    reachable = _inspector(
        "reach",
        "NETWORK_REACHABILITY",
        workload.instance,
        NOW - timedelta(minutes=25),
        networkReachabilityDetails={
            "protocol": "TCP",
            "openPortRange": {"begin": 22, "end": 22},
            "networkPath": {
                "steps": [
                    {"componentId": "igw-1", "componentType": "AWS::EC2::InternetGateway"},
                    {
                        "componentId": workload.group.rsplit("/", 1)[-1],
                        "componentType": "AWS::EC2::SecurityGroup",
                    },
                ]
            },
        },
    )
    stale = _inspector("stale", "PACKAGE_VULNERABILITY", workload.instance, LONG_AGO)
    sim.queue_inspector_findings(account_id=ACCOUNT, findings=[reachable, stale])
    return sim, workload, ids


def _by_title(report: findings.FindingsReport) -> dict[str, findings.SecurityFinding]:
    return {f.title: f for f in report.findings}


def test_findings_from_every_source_name_the_resources_cloudwarden_knows(
    incident: tuple[SimulatorClient, Workload, dict[str, str]],
) -> None:
    sim, workload, ids = incident
    ctx = _context(sim)
    report = findings.collect(ctx, start=START, end=END, region=REGION, account_id=ACCOUNT)

    assert ctx.gaps == []
    assert report.describe() == [
        "guardduty: 3 findings in the window",
        "inspector2: 1 finding in the window",
        "securityhub: 2 findings in the window",  # its copy of the GuardDuty finding is not counted twice
    ]
    found = _by_title(report)
    probe = found["Recon:EC2/PortProbeUnprotectedPort observed"]
    assert set(probe.resources) == {workload.instance, workload.group}
    assert (probe.severity, probe.severity_score) == ("LOW", 2.0)
    exfiltration = found["UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS observed"]
    assert exfiltration.source == "guardduty" and exfiltration.id == ids["exfiltration"]
    assert exfiltration.severity == "HIGH"
    runtime = found["Execution:Runtime/NewBinaryExecuted observed"]
    assert workload.service in runtime.resources
    public_db = found["RDS DB instance should not be publicly accessible"]
    assert (public_db.source, public_db.resources, public_db.severity) == (
        "securityhub",
        [workload.database],
        "CRITICAL",
    )
    assert (
        public_db.severity_score == 9.0
        and public_db.summary == "RDS DB instance should not be publicly accessible. Details follow."
    )
    reach = found[f"NETWORK_REACHABILITY on {workload.instance}"]
    assert (reach.source, set(reach.resources)) == ("inspector2", {workload.instance, workload.group})
    assert (reach.severity, reach.severity_score) == ("MEDIUM", 5.3)
    # Each finding names a resource exactly as the EC2, ECS and RDS collectors key it (GuardDuty
    # names a role without its path, which relevant() allows for).
    assert all(set(f.resources) & workload.keys for f in report.findings if f is not exfiltration)
    assert [f.severity for f in report.findings][:2] == ["CRITICAL", "HIGH"]


def test_findings_outside_the_window_are_left_out_even_where_the_api_ignores_the_filter(
    incident: tuple[SimulatorClient, Workload, dict[str, str]],
) -> None:
    sim, _, ids = incident
    report = findings.collect(_context(sim), start=START, end=END, region=REGION, account_id=ACCOUNT)
    titles = set(_by_title(report))
    # moto's Security Hub and Inspector return every finding whatever the filter; GuardDuty filters.
    assert "Security groups should not allow unrestricted access to port 22" not in titles
    assert not any(t.startswith("PACKAGE_VULNERABILITY") for t in titles)
    assert ids["old_login"] not in {f.id for f in report.findings}

    earlier = findings.collect(
        _context(sim),
        start=LONG_AGO - timedelta(minutes=30),
        end=LONG_AGO + timedelta(minutes=30),
        region=REGION,
        account_id=ACCOUNT,
    )
    assert [f.id for f in earlier.findings if f.source == "guardduty"] == [ids["old_login"]]
    assert "Security groups should not allow unrestricted access to port 22" in _by_title(earlier)


def test_relevant_picks_findings_touching_the_candidates_in_the_window(
    incident: tuple[SimulatorClient, Workload, dict[str, str]],
) -> None:
    sim, workload, ids = incident
    report = findings.collect(_context(sim), start=START, end=END, region=REGION, account_id=ACCOUNT)

    def titles(*keys: str, start: datetime = START, end: datetime = END) -> list[str]:
        return [f.title for f in findings.relevant(report.findings, keys, start, end)]

    assert titles(workload.database) == ["RDS DB instance should not be publicly accessible"]
    # The role as IAM spells it (with its path /app/) matches GuardDuty's path-less name.
    assert [f.id for f in findings.relevant(report.findings, [workload.role], START, END)] == [
        ids["exfiltration"]
    ]
    assert titles(workload.group) == [
        f"NETWORK_REACHABILITY on {workload.instance}",
        "Recon:EC2/PortProbeUnprotectedPort observed",
    ]
    assert titles(workload.service) == [
        "ECS containers should run as non-privileged",
        "Execution:Runtime/NewBinaryExecuted observed",
    ]
    assert titles(workload.service, start=NOW - timedelta(minutes=12)) == [
        "Execution:Runtime/NewBinaryExecuted observed"
    ]
    assert titles(f"arn:aws:rds:{REGION}:{ACCOUNT}:db:other-db") == []


def test_a_service_that_is_not_enabled_is_reported_as_such_not_as_no_findings(
    gd_sim: SimulatorClient,
) -> None:
    hub = _offline("securityhub")
    with Stubber(hub) as stub:
        stub.add_client_error(
            "get_findings",
            service_error_code="InvalidAccessException",
            service_message=f"Account {ACCOUNT} is not subscribed to AWS Security Hub",
            http_status_code=401,
        )
        ctx = _context(gd_sim, securityhub=hub)
        report = findings.collect(ctx, start=START, end=END, region=REGION, account_id=ACCOUNT)

    assert ctx.gaps == []
    assert report.findings == []
    assert report.status("guardduty").state == "not_enabled"
    assert report.describe() == [
        "guardduty: not enabled in us-east-1 (no GuardDuty detector in this region)",
        "inspector2: enabled, no findings in the window",
        f"securityhub: not enabled in us-east-1 (Account {ACCOUNT} is not subscribed to AWS Security Hub)",
    ]


def test_a_denied_call_is_a_gap_and_the_other_sources_still_count(
    incident: tuple[SimulatorClient, Workload, dict[str, str]],
) -> None:
    sim, _, _ = incident
    guardduty, inspector = _offline("guardduty"), _offline("inspector2")
    denial = "User: arn:aws:sts::123456789012:assumed-role/CloudWardenRead/x is not authorized to perform: {}"
    with Stubber(guardduty) as gd_stub, Stubber(inspector) as inspector_stub:
        gd_stub.add_response("list_detectors", {"DetectorIds": ["d" * 32]})
        gd_stub.add_client_error(
            "list_findings",
            service_error_code="AccessDeniedException",
            service_message=denial.format("guardduty:ListFindings"),
            http_status_code=403,
        )
        inspector_stub.add_client_error(
            "list_findings",
            service_error_code="AccessDeniedException",
            service_message=denial.format("inspector2:ListFindings"),
            http_status_code=403,
        )
        ctx = _context(sim, guardduty=guardduty, inspector2=inspector)
        report = findings.collect(ctx, start=START, end=END, region=REGION, account_id=ACCOUNT)

    assert [g.action for g in ctx.gaps] == ["guardduty:ListFindings", "inspector2:ListFindings"]
    assert report.describe()[0].startswith(
        "guardduty: evidence unavailable: guardduty:ListFindings accessdeniedexception (User: "
    )
    assert report.status("inspector2").state == "unavailable"  # a denial, not "not enabled"
    assert report.status("securityhub").state == "collected"
    assert {f.source for f in report.findings} == {"securityhub"}
    # Without GuardDuty's own record, Security Hub's copy of the GuardDuty finding now counts.
    assert "Credentials used outside AWS" in _by_title(report)


def test_reading_is_bounded_and_a_cut_short_read_says_so() -> None:
    guardduty = _offline("guardduty")
    found = {
        "Arn": f"arn:aws:guardduty:{REGION}:{ACCOUNT}:detector/{'d' * 32}/finding/f",
        "Id": "f",
        "AccountId": ACCOUNT,
        "Region": REGION,
        "CreatedAt": _iso(NOW),
        "UpdatedAt": _iso(NOW),
        "SchemaVersion": "2.0",
        "Severity": 9.5,
        "Type": "CryptoCurrency:EC2/BitcoinTool.B!DNS",
        "Resource": {"ResourceType": "Instance", "InstanceDetails": {"InstanceId": "i-0abc"}},
    }
    with Stubber(guardduty) as stub:
        stub.add_response("list_detectors", {"DetectorIds": ["d" * 32]})
        for page in range(findings.MAX_PAGES):
            stub.add_response("list_findings", {"FindingIds": [f"f{page}"], "NextToken": f"t{page}"})
        stub.add_response("get_findings", {"Findings": [found]})
        raw = findings.get_guardduty(guardduty, start=START, end=END)
        stub.assert_no_pending_responses()
    assert raw["truncated"] is True
    [finding] = findings.transform(raw, region=REGION, account_id=ACCOUNT)
    assert (finding.severity, finding.resources, finding.summary) == (
        "CRITICAL",
        ["i-0abc"],
        "CryptoCurrency:EC2/BitcoinTool.B!DNS",
    )
    status = findings.FindingSourceStatus(
        source="guardduty", state="collected", region=REGION, findings=1, truncated=True
    )
    assert status.describe() == "guardduty: 1 finding in the window; more exist than were read"


def test_resource_ids_are_keyed_as_cloudwarden_keys_resources() -> None:
    def key(raw: str) -> str:
        return findings.resource_key(raw, region=REGION, account_id=ACCOUNT)

    assert key(f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/i-0abc") == "i-0abc"
    assert key("sg-0abc") == f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/sg-0abc"
    assert key("sg-0abc") == ec2.security_group_key(REGION, ACCOUNT, "sg-0abc")
    assert key(f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:resize:$LATEST") == (
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:resize"
    )
    assert (
        key(f"arn:aws:rds:{REGION}:{ACCOUNT}:db:orders-db") == f"arn:aws:rds:{REGION}:{ACCOUNT}:db:orders-db"
    )
