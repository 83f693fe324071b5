"""Contract: simulated GuardDuty lists, filters, pages and returns findings as AWS does."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from cloudwarden.simulator.client import SimulatorClient, SimulatorError

ACCOUNT = "123456789012"
AMI = "ami-0c55b159cbfafe1f0"


@pytest.fixture
def gd(sim: SimulatorClient) -> SimulatorClient:
    """The simulated account; the GuardDuty findings patch is registered with the others."""
    return sim


@functools.cache
def _client(endpoint: str, service: str) -> Any:
    """Clients are slow to build and the server outlives each test's reset, so build each once."""
    return SimulatorClient(endpoint).client(service)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _instance(sim: SimulatorClient) -> tuple[str, str]:
    ec2 = _client(sim.endpoint, "ec2")
    group = ec2.create_security_group(GroupName="web", Description="web tier")["GroupId"]
    instance = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SecurityGroupIds=[group])["Instances"][
        0
    ]
    return instance["InstanceId"], group


def _inject(sim: SimulatorClient, **payload: Any) -> dict[str, Any]:
    for key in ("created_at", "updated_at"):
        if isinstance(payload.get(key), datetime):
            payload[key] = payload[key].isoformat()
    recorded: dict[str, Any] = sim.inject("guardduty_finding", account_id=ACCOUNT, payload=payload)[
        "recorded"
    ]
    return recorded


def _probe(sim: SimulatorClient, instance_id: str, at: datetime, severity: float = 2.0, **extra: Any) -> str:
    finding = _inject(
        sim,
        type="Recon:EC2/PortProbeUnprotectedPort",
        severity=severity,
        title=f"Unprotected port on EC2 instance {instance_id} is being probed.",
        created_at=at,
        resource={"kind": "instance", "instance_id": instance_id},
        **extra,
    )
    return str(finding["id"])


def test_findings_carry_aws_shaped_resources_of_each_kind(gd: SimulatorClient) -> None:
    sim, now = gd, _now()
    guardduty = _client(sim.endpoint, "guardduty")
    detector = guardduty.create_detector(Enable=True)["DetectorId"]
    instance_id, group = _instance(sim)
    iam = _client(sim.endpoint, "iam")
    role = iam.create_role(RoleName="web-instance", AssumeRolePolicyDocument="{}")["Role"]
    ecs = _client(sim.endpoint, "ecs")
    cluster = ecs.create_cluster(clusterName="prod")["cluster"]
    ecs.register_task_definition(
        family="web-api", containerDefinitions=[{"name": "web", "image": "web:1", "memory": 512}]
    )
    ecs.create_service(cluster="prod", serviceName="web-api", taskDefinition="web-api:1", desiredCount=1)
    rds = _client(sim.endpoint, "rds")
    database = rds.create_db_instance(
        DBInstanceIdentifier="orders-db",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="app",
        MasterUserPassword="not-a-real-password",
        AllocatedStorage=20,
    )["DBInstance"]

    probe = _probe(sim, instance_id, now - timedelta(minutes=5))
    exfiltration = _inject(
        sim,
        type="UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
        severity=8.0,
        title="Credentials for instance role web-instance used from external IP address.",
        created_at=now - timedelta(minutes=4),
        resource={"kind": "access_key", "role_name": "web-instance"},
    )["id"]
    runtime = _inject(
        sim,
        type="Execution:Runtime/NewBinaryExecuted",
        severity=5.0,
        title="A newly created or recently modified binary file has been executed.",
        created_at=now - timedelta(minutes=3),
        resource={"kind": "ecs_task", "cluster": "prod", "service": "web-api"},
    )["id"]
    login = _inject(
        sim,
        type="CredentialAccess:RDS/AnomalousBehavior.SuccessfulBruteForce",
        severity=8.0,
        title="A user was able to log in to the database after many failed attempts.",
        created_at=now - timedelta(minutes=2),
        resource={"kind": "rds_instance", "db_instance": "orders-db"},
    )["id"]

    findings = guardduty.get_findings(DetectorId=detector, FindingIds=[probe, exfiltration, runtime, login])[
        "Findings"
    ]
    by_id = {f["Id"]: f for f in findings}
    assert list(by_id) == [probe, exfiltration, runtime, login]
    first = by_id[probe]
    assert first["Arn"] == f"arn:aws:guardduty:us-east-1:{ACCOUNT}:detector/{detector}/finding/{probe}"
    assert (first["AccountId"], first["Region"], first["Severity"]) == (ACCOUNT, "us-east-1", 2.0)
    assert datetime.fromisoformat(first["UpdatedAt"].replace("Z", "+00:00")) == now - timedelta(minutes=5)
    assert first["Service"]["DetectorId"] == detector and first["Service"]["Archived"] is False
    details = first["Resource"]["InstanceDetails"]
    assert first["Resource"]["ResourceType"] == "Instance" and details["InstanceId"] == instance_id
    assert [g["GroupId"] for g in details["NetworkInterfaces"][0]["SecurityGroups"]] == [group]
    key = by_id[exfiltration]["Resource"]["AccessKeyDetails"]
    assert (key["UserName"], key["UserType"]) == ("web-instance", "AssumedRole")
    assert key["PrincipalId"].startswith(f"{role['RoleId']}:")
    ecs_details = by_id[runtime]["Resource"]["EcsClusterDetails"]
    assert ecs_details["Arn"] == cluster["clusterArn"]
    assert ecs_details["TaskDetails"]["Group"] == "service:web-api"
    rds_details = by_id[login]["Resource"]["RdsDbInstanceDetails"]
    assert rds_details["DbInstanceArn"] == database["DBInstanceArn"]
    assert by_id[login]["Resource"]["ResourceType"] == "RDSDBInstance"


def test_list_findings_filters_sorts_and_pages(gd: SimulatorClient) -> None:
    sim, now = gd, _now()
    guardduty = _client(sim.endpoint, "guardduty")
    detector = guardduty.create_detector(Enable=True)["DetectorId"]
    instance_id, group = _instance(sim)
    old = _probe(sim, instance_id, now - timedelta(hours=5), severity=2.0)
    recent = _probe(sim, instance_id, now - timedelta(minutes=30), severity=5.0)
    worst = _probe(sim, instance_id, now - timedelta(minutes=10), severity=8.0)
    archived = _probe(sim, instance_id, now - timedelta(minutes=5), severity=8.0, archived=True)
    ongoing = _probe(
        sim, instance_id, now - timedelta(days=2), severity=3.0, updated_at=now - timedelta(minutes=20)
    )

    def ids(**criterion: Any) -> list[str]:
        response = guardduty.list_findings(
            DetectorId=detector,
            FindingCriteria={"Criterion": criterion},
            SortCriteria={"AttributeName": "severity", "OrderBy": "DESC"},
        )
        return list(response["FindingIds"])

    since_an_hour = {"updatedAt": {"GreaterThanOrEqual": _ms(now - timedelta(hours=1))}}
    assert ids(**since_an_hour) == [worst, archived, recent, ongoing]
    assert ids(**since_an_hour, **{"service.archived": {"Equals": ["false"]}}) == [worst, recent, ongoing]
    assert ids(createdAt={"LessThan": _ms(now - timedelta(hours=1))}) == [ongoing, old]
    assert ids(severity={"Gte": 7}) == [worst, archived]
    sg_field = "resource.instanceDetails.networkInterfaces.securityGroups.groupId"
    assert len(ids(**{sg_field: {"Eq": [group]}})) == 5
    assert ids(**{sg_field: {"Neq": [group]}}) == []
    assert ids(type={"Equals": ["Recon:EC2/PortProbeUnprotectedPort"]}, severity={"Lt": 3}) == [old]

    first = guardduty.list_findings(
        DetectorId=detector, MaxResults=2, SortCriteria={"AttributeName": "updatedAt", "OrderBy": "ASC"}
    )
    assert first["FindingIds"] == [old, recent] and first["NextToken"]
    pages = guardduty.get_paginator("list_findings").paginate(
        DetectorId=detector,
        SortCriteria={"AttributeName": "updatedAt", "OrderBy": "ASC"},
        PaginationConfig={"PageSize": 2},
    )
    assert [i for page in pages for i in page["FindingIds"]] == [old, recent, ongoing, worst, archived]


def test_get_findings_leaves_out_unknown_ids_and_rejects_bad_requests(gd: SimulatorClient) -> None:
    sim, now = gd, _now()
    guardduty = _client(sim.endpoint, "guardduty")
    detector = guardduty.create_detector(Enable=True)["DetectorId"]
    instance_id, _ = _instance(sim)
    known = _probe(sim, instance_id, now)
    found = guardduty.get_findings(DetectorId=detector, FindingIds=["0" * 32, known])["Findings"]
    assert [f["Id"] for f in found] == [known]

    with pytest.raises(ClientError) as stranger:
        guardduty.list_findings(DetectorId="f" * 32)
    assert stranger.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "not owned by the current account" in stranger.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as too_many:
        guardduty.list_findings(DetectorId=detector, MaxResults=51)
    assert too_many.value.response["Error"]["Code"] == "BadRequestException"
    with pytest.raises(ClientError) as bad_token:
        guardduty.list_findings(DetectorId=detector, NextToken="not-a-token")
    assert bad_token.value.response["Error"]["Code"] == "BadRequestException"


def test_injection_is_validated_against_the_account(gd: SimulatorClient) -> None:
    sim, now = gd, _now()
    base = {
        "type": "Recon:EC2/PortProbeUnprotectedPort",
        "severity": 2.0,
        "title": "probe",
        "created_at": now.isoformat(),
    }
    with pytest.raises(SimulatorError, match="detector"):
        sim.inject(
            "guardduty_finding",
            account_id=ACCOUNT,
            payload=base | {"resource": {"kind": "rds_instance", "db_instance": "x"}},
        )
    _client(sim.endpoint, "guardduty").create_detector(Enable=True)
    with pytest.raises(SimulatorError, match="no DB instance 'x'"):
        sim.inject(
            "guardduty_finding",
            account_id=ACCOUNT,
            payload=base | {"resource": {"kind": "rds_instance", "db_instance": "x"}},
        )
    with pytest.raises(SimulatorError, match="colour"):
        sim.inject(
            "guardduty_finding",
            account_id=ACCOUNT,
            payload=base | {"colour": "red", "resource": {"kind": "rds_instance", "db_instance": "x"}},
        )
    with pytest.raises(SimulatorError, match="severity"):
        sim.inject(
            "guardduty_finding",
            account_id=ACCOUNT,
            payload=base | {"severity": 11, "resource": {"kind": "rds_instance", "db_instance": "x"}},
        )
