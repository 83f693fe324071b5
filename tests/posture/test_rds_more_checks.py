"""FSBP RDS.18, RDS.19-22 (event subscriptions), RDS.34/36/37 (log exports), RDS.38/39 (TLS
parameters), GuardDuty.9 and ECS.10 on the simulated account, and on hand-built inventories where
moto cannot show a state (Windows Fargate platform families)."""

from __future__ import annotations

from typing import Any

from cloudwarden.posture.collectors.ecs import Cluster, EcsData, Service, _fargate
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import Status
from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.posture_seed import seed_misconfigurations
from tests.posture.conftest import ACCOUNT, Scan, by_check
from tests.posture.test_data_checks import judge, one
from tests.posture.test_fsbp_rds_checks import cluster, instance

REGION_ARN = f"arn:aws:rds:us-east-1:{ACCOUNT}:account"
SUBSCRIPTION_CHECKS = [
    "rds_cluster_critical_event_subscription",  # RDS.19
    "rds_instance_critical_event_subscription",  # RDS.20
    "rds_parameter_group_event_subscription",  # RDS.21
    "rds_security_group_event_subscription",  # RDS.22
]
LOG_CHECKS = [
    "rds_cluster_aurora_mysql_audit_logs",  # RDS.34
    "rds_instance_postgresql_logs",  # RDS.36
    "rds_cluster_aurora_postgresql_logs",  # RDS.37
]
TRANSIT_CHECKS = ["rds_instance_postgresql_encrypted_in_transit", "rds_instance_mysql_encrypted_in_transit"]
RDS_CHECKS = [*SUBSCRIPTION_CHECKS, *LOG_CHECKS, *TRANSIT_CHECKS, "rds_instance_in_vpc"]
GUARDDUTY = "guardduty_rds_protection_enabled"
FARGATE = "ecs_service_fargate_latest_platform"


def topic(sim: SimulatorClient) -> str:
    return str(sim.client("sns").create_topic(Name="ops")["TopicArn"])


def subscribe(sim: SimulatorClient, name: str, **kwargs: Any) -> str:
    made = sim.client("rds").create_event_subscription(
        SubscriptionName=name, SnsTopicArn=topic(sim), Enabled=kwargs.pop("Enabled", True), **kwargs
    )
    return str(made["EventSubscription"]["EventSubscriptionArn"])


def subnet_group(sim: SimulatorClient) -> str:
    ec2 = sim.client("ec2")
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"][:2]]
    sim.client("rds").create_db_subnet_group(
        DBSubnetGroupName="private", DBSubnetGroupDescription="private subnets", SubnetIds=subnets
    )
    return "private"


def parameter_group(sim: SimulatorClient, name: str, family: str, **parameters: str) -> str:
    rds = sim.client("rds")
    rds.create_db_parameter_group(DBParameterGroupName=name, DBParameterGroupFamily=family, Description=name)
    if parameters:
        rds.modify_db_parameter_group(
            DBParameterGroupName=name,
            Parameters=[
                {"ParameterName": k, "ParameterValue": v, "ApplyMethod": "immediate"}
                for k, v in parameters.items()
            ],
        )
    return name


# ---- the seeded account -------------------------------------------------------------------------


def test_the_seeded_account_fails_and_passes_as_its_report_says(sim: SimulatorClient, scan_sim: Scan) -> None:
    report = seed_misconfigurations(sim)
    outcome = scan_sim(check_ids=[*RDS_CHECKS, GUARDDUTY, FARGATE])
    db, aurora = ":db:cw-demo-db-public-unencrypted", ":cluster:cw-demo-aurora-orders"

    [clusters] = by_check(outcome, "rds_cluster_critical_event_subscription")
    assert (clusters.status, clusters.resource_id) == (Status.FAIL, REGION_ARN)
    assert clusters.reason == "no enabled event subscription sends db-cluster maintenance, failure events"
    [instances] = by_check(outcome, "rds_instance_critical_event_subscription")
    assert instances.reason == (
        "no enabled event subscription sends db-instance maintenance, configuration change, failure events "
        "(cw-demo-rds-instance-failures lacks maintenance, configuration change)"
    )
    [groups] = by_check(outcome, "rds_parameter_group_event_subscription")
    assert (groups.status, groups.resource_id) == (
        Status.PASS,
        f"arn:aws:rds:us-east-1:{ACCOUNT}:es:cw-demo-rds-parameter-changes",
    )
    [security] = by_check(outcome, "rds_security_group_event_subscription")
    assert security.status == Status.FAIL

    assert one(outcome, "rds_instance_in_vpc", db).status == Status.PASS
    assert one(outcome, "rds_instance_in_vpc", ":db:cw-demo-aurora-orders-writer").status == Status.PASS
    assert one(outcome, "rds_instance_postgresql_logs", db).status == Status.FAIL
    assert one(outcome, "rds_cluster_aurora_mysql_audit_logs", aurora).reason == (
        "the audit log is not published to CloudWatch Logs"
    )
    transit = one(outcome, "rds_instance_postgresql_encrypted_in_transit", db)
    assert transit.status == Status.FAIL and transit.reason.startswith("rds.force_ssl is not set (off)")
    [service] = by_check(outcome, FARGATE)
    assert service.status == Status.FAIL and service.resource_id.endswith("/cw-demo-web-old-platform")
    assert service.reason == "the service runs Fargate platform version 1.3.0, not the latest (1.4.0)"
    [guardduty] = by_check(outcome, GUARDDUTY)  # the seed leaves GuardDuty off
    assert guardduty.status == Status.NOT_APPLICABLE

    controls = " | ".join(f.control for f in report.expected_failures)
    assert "latest platform version" in controls and "rds.force_ssl" in controls


# ---- RDS.19 to RDS.22: event subscriptions ------------------------------------------------------


def test_subscriptions_pass_when_one_covers_every_source_and_category(
    sim: SimulatorClient, scan_sim: Scan
) -> None:
    cluster(sim, "orders", "aurora-postgresql")
    instance(sim, "billing", "postgres")
    every_cluster_event = subscribe(sim, "clusters-all", SourceType="db-cluster")  # no categories: all
    instance_events = subscribe(
        sim,
        "instances",
        SourceType="db-instance",
        EventCategories=["maintenance", "configuration change", "failure", "deletion"],
    )
    everything = subscribe(sim, "everything")  # no source type: every RDS event
    outcome = scan_sim(check_ids=SUBSCRIPTION_CHECKS)

    rds19, rds20, rds21, rds22 = (by_check(outcome, c) for c in SUBSCRIPTION_CHECKS)
    assert [(f.status, f.resource_id) for f in rds19] == [(Status.PASS, every_cluster_event)]
    assert [(f.status, f.resource_id) for f in rds20] == [(Status.PASS, instance_events)]
    assert rds20[0].reason == (
        "subscription instances sends db-instance maintenance, configuration change, failure events to SNS"
    )
    assert [(f.status, f.resource_id) for f in rds21 + rds22] == [(Status.PASS, everything)] * 2


def test_disabled_narrow_or_named_subscriptions_do_not_count(sim: SimulatorClient, scan_sim: Scan) -> None:
    cluster(sim, "orders", "aurora-postgresql")
    instance(sim, "billing", "postgres")
    subscribe(sim, "clusters-off", SourceType="db-cluster", Enabled=False)
    subscribe(sim, "orders-only", SourceType="db-cluster", SourceIds=["orders"])
    subscribe(sim, "instances-failures", SourceType="db-instance", EventCategories=["failure"])
    subscribe(
        sim, "groups-unrelated", SourceType="db-security-group", EventCategories=["configuration change"]
    )
    outcome = scan_sim(check_ids=SUBSCRIPTION_CHECKS)

    rds19, rds20, rds21, rds22 = (one(outcome, c, ":account") for c in SUBSCRIPTION_CHECKS)
    assert {f.status for f in (rds19, rds20, rds21, rds22)} == {Status.FAIL}
    assert rds19.reason == (
        "no enabled event subscription sends db-cluster maintenance, failure events "
        "(clusters-off is disabled; orders-only covers only 1 named source(s), not all)"
    )
    assert rds20.reason.endswith("(instances-failures lacks maintenance, configuration change)")
    assert (
        rds21.reason == "no enabled event subscription sends db-parameter-group configuration change events"
    )
    assert rds22.reason.endswith("(groups-unrelated lacks failure)")


def test_subscriptions_are_not_applicable_without_databases_and_errors_when_unread(
    sim: SimulatorClient, scan_sim: Scan
) -> None:
    outcome = scan_sim(check_ids=SUBSCRIPTION_CHECKS)
    assert {f.status for f in outcome.findings} == {Status.NOT_APPLICABLE}
    assert sorted(f.reason for f in outcome.findings) == sorted(
        ["no DB clusters in us-east-1"] + ["no DB instances in us-east-1"] * 3
    )

    cluster(sim, "orders", "aurora-postgresql")
    instance(sim, "billing", "postgres")
    denied = scan_sim(check_ids=SUBSCRIPTION_CHECKS, deny={"rds:DescribeEventSubscriptions"})
    assert len(denied.findings) == 4
    assert {(f.status, f.resource_id) for f in denied.findings} == {(Status.ERROR, REGION_ARN)}
    assert all(f.reason.startswith("rds:DescribeEventSubscriptions: AccessDenied") for f in denied.findings)


# ---- RDS.34, RDS.36, RDS.37: logs to CloudWatch Logs --------------------------------------------


def test_log_exports_by_engine(sim: SimulatorClient, scan_sim: Scan) -> None:
    audited = cluster(sim, "orders", "aurora-mysql", EnableCloudwatchLogsExports=["audit", "error"])
    quiet = cluster(sim, "ledger", "aurora-mysql", EnableCloudwatchLogsExports=["error", "slowquery"])
    pg_logged = cluster(sim, "reports", "aurora-postgresql", EnableCloudwatchLogsExports=["postgresql"])
    pg_quiet = cluster(sim, "events", "aurora-postgresql")
    logged = instance(sim, "billing", "postgres", EnableCloudwatchLogsExports=["postgresql"])
    silent = instance(sim, "crm", "postgres")
    mysql = instance(sim, "shop", "mysql")
    outcome = scan_sim(check_ids=[*LOG_CHECKS, "rds_instance_logs_to_cloudwatch"])

    audit, pg_instance, aurora_pg = LOG_CHECKS
    assert one(outcome, audit, audited).reason == "the audit log is published to CloudWatch Logs"
    assert one(outcome, audit, quiet).status == Status.FAIL
    assert {f.resource_id for f in by_check(outcome, audit)} == {audited, quiet}  # Aurora MySQL only
    assert one(outcome, aurora_pg, pg_logged).status == Status.PASS
    assert (
        one(outcome, aurora_pg, pg_quiet).reason == "the postgresql log is not published to CloudWatch Logs"
    )
    assert {f.resource_id for f in by_check(outcome, aurora_pg)} == {pg_logged, pg_quiet}
    assert one(outcome, pg_instance, logged).status == Status.PASS
    assert one(outcome, pg_instance, silent).status == Status.FAIL
    assert mysql not in {f.resource_id for f in by_check(outcome, pg_instance)}
    # RDS.9 asks more of the same instance (postgresql and upgrade): not a duplicate of RDS.36.
    assert one(outcome, "rds_instance_logs_to_cloudwatch", logged).status == Status.FAIL


def test_log_checks_are_not_applicable_without_the_engine_and_errors_when_unread(
    sim: SimulatorClient, scan_sim: Scan
) -> None:
    instance(sim, "shop", "mysql")
    outcome = scan_sim(check_ids=LOG_CHECKS)
    assert {f.status for f in outcome.findings} == {Status.NOT_APPLICABLE}
    denied = scan_sim(check_ids=LOG_CHECKS, deny={"rds:DescribeDBClusters"})
    audit, pg_instance, aurora_pg = (by_check(denied, c) for c in LOG_CHECKS)
    assert [f.status for f in audit + aurora_pg] == [Status.ERROR] * 2
    assert all("rds:DescribeDBClusters" in f.reason for f in audit + aurora_pg)
    assert [f.status for f in pg_instance] == [Status.NOT_APPLICABLE]  # instances were read


# ---- RDS.18: in a VPC ---------------------------------------------------------------------------


def test_instances_in_a_vpc_pass_and_without_a_subnet_group_fail(
    sim: SimulatorClient, scan_sim: Scan
) -> None:
    inside = instance(sim, "billing", "postgres", DBSubnetGroupName=subnet_group(sim))
    # moto leaves an instance created without a subnet group outside any VPC: what DescribeDBInstances
    # shows for an EC2-Classic instance (AWS itself now puts it in the default VPC).
    classic = instance(sim, "legacy", "mysql")
    outcome = scan_sim(check_ids=["rds_instance_in_vpc"])
    vpc = sim.client("ec2").describe_subnets()["Subnets"][0]["VpcId"]
    assert one(outcome, "rds_instance_in_vpc", inside).reason == f"the instance is in VPC {vpc}"
    assert one(outcome, "rds_instance_in_vpc", classic).reason == (
        "the instance has no DB subnet group in a VPC (EC2-Classic)"
    )
    denied = scan_sim(check_ids=["rds_instance_in_vpc"], deny={"rds:DescribeDBInstances"})
    [error] = denied.findings
    assert error.status == Status.ERROR and error.reason.startswith("rds:DescribeDBInstances: AccessDenied")


# ---- RDS.38, RDS.39: TLS forced by the parameter group ------------------------------------------


def test_tls_parameters_of_postgresql_and_mysql_instances(sim: SimulatorClient, scan_sim: Scan) -> None:
    forced = instance(
        sim,
        "billing",
        "postgres",
        DBParameterGroupName=parameter_group(sim, "pg-tls", "postgres16", **{"rds.force_ssl": "1"}),
    )
    plain_pg = instance(sim, "crm", "postgres")  # the default group: moto lists no rds.force_ssl
    mysql_off = instance(
        sim,
        "shop",
        "mysql",
        DBParameterGroupName=parameter_group(sim, "my-plain", "mysql8.0", require_secure_transport="0"),
    )
    mysql_on = instance(
        sim,
        "stock",
        "mysql",
        DBParameterGroupName=parameter_group(sim, "my-tls", "mysql8.0", require_secure_transport="ON"),
    )
    outcome = scan_sim(check_ids=TRANSIT_CHECKS)

    postgres, mysql = TRANSIT_CHECKS
    assert one(outcome, postgres, forced).reason == "rds.force_ssl is on in parameter group pg-tls"
    assert one(outcome, postgres, plain_pg).status == Status.FAIL
    assert {f.resource_id for f in by_check(outcome, postgres)} == {forced, plain_pg}
    assert (
        one(outcome, mysql, mysql_off).reason == "require_secure_transport is 0 in parameter group my-plain"
    )
    assert one(outcome, mysql, mysql_on).status == Status.PASS

    denied = scan_sim(check_ids=TRANSIT_CHECKS, deny={"rds:DescribeDBParameters"})
    assert len(denied.findings) == 4 and {f.status for f in denied.findings} == {Status.ERROR}
    assert all(f.reason.startswith("rds:DescribeDBParameters: AccessDenied") for f in denied.findings)


def test_tls_checks_skip_cluster_members(sim: SimulatorClient, scan_sim: Scan) -> None:
    cluster(sim, "orders", "aurora-postgresql")
    sim.client("rds").create_db_instance(
        DBInstanceIdentifier="orders-1",
        DBClusterIdentifier="orders",
        DBInstanceClass="db.r5.large",
        Engine="aurora-postgresql",
    )
    outcome = scan_sim(check_ids=TRANSIT_CHECKS)
    assert {f.status for f in outcome.findings} == {Status.NOT_APPLICABLE}


# ---- GuardDuty.9 --------------------------------------------------------------------------------


def test_guardduty_rds_protection(sim: SimulatorClient, scan_sim: Scan) -> None:
    on = sim.client("guardduty", region="us-east-1").create_detector(
        Enable=True, Features=[{"Name": "RDS_LOGIN_EVENTS", "Status": "ENABLED"}]
    )["DetectorId"]
    # A detector that predates RDS Protection: GetDetector lists no such feature.
    off = sim.client("guardduty", region="eu-west-1").create_detector(
        Enable=True, DataSources={"S3Logs": {"Enable": True}}
    )["DetectorId"]
    sim.client("guardduty", region="eu-central-1").create_detector(Enable=False)
    outcome = scan_sim(check_ids=[GUARDDUTY], regions=("us-east-1", "eu-west-1", "eu-central-1"))

    assert one(outcome, GUARDDUTY, f"detector/{on}").reason == f"detector {on} has RDS Protection enabled"
    assert one(outcome, GUARDDUTY, f"detector/{off}").status == Status.FAIL
    [suspended] = [f for f in by_check(outcome, GUARDDUTY) if f.region == "eu-central-1"]
    assert (suspended.status, suspended.reason) == (
        Status.NOT_APPLICABLE,
        "GuardDuty is not enabled in this region",
    )
    denied = scan_sim(check_ids=[GUARDDUTY], deny={"guardduty:GetDetector"})
    [error] = denied.findings
    assert (error.status, error.resource_id.endswith(f"detector/{on}")) == (Status.ERROR, True)
    assert error.reason.startswith("guardduty:GetDetector: AccessDenied")


# ---- ECS.10 -------------------------------------------------------------------------------------


def test_fargate_services_on_old_platform_versions_fail(sim: SimulatorClient, scan_sim: Scan) -> None:
    ecs, ec2 = sim.client("ecs"), sim.client("ec2")
    ecs.create_cluster(clusterName="apps")
    ecs.register_task_definition(
        family="web",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE", "EC2"],
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "web", "image": "nginx", "memory": 512}],
    )
    network = {
        "awsvpcConfiguration": {
            "subnets": [ec2.describe_subnets()["Subnets"][0]["SubnetId"]],
            "securityGroups": [ec2.describe_security_groups()["SecurityGroups"][0]["GroupId"]],
        }
    }
    arns = {}
    for name, kwargs in (
        ("default", {"launchType": "FARGATE"}),  # no version given: LATEST
        ("pinned", {"launchType": "FARGATE", "platformVersion": "1.4.0"}),
        ("old", {"launchType": "FARGATE", "platformVersion": "1.3.0"}),
        ("on-ec2", {"launchType": "EC2"}),
    ):
        made = ecs.create_service(
            cluster="apps",
            serviceName=name,
            taskDefinition="web",
            desiredCount=1,
            networkConfiguration=network,
            **kwargs,
        )
        arns[name] = made["service"]["serviceArn"]
    outcome = scan_sim(check_ids=[FARGATE])

    assert one(outcome, FARGATE, arns["default"]).reason == "the service runs Fargate platform version LATEST"
    assert one(outcome, FARGATE, arns["pinned"]).status == Status.PASS
    assert one(outcome, FARGATE, arns["old"]).status == Status.FAIL
    assert arns["on-ec2"] not in {f.resource_id for f in by_check(outcome, FARGATE)}

    denied = scan_sim(check_ids=[FARGATE], deny={"ecs:DescribeServices"})
    [error] = denied.findings
    assert error.status == Status.ERROR and error.resource_id.endswith(":cluster/apps")
    assert error.reason.startswith("ecs:DescribeServices: AccessDenied")


def test_fargate_windows_and_capacity_providers_on_a_hand_built_inventory() -> None:
    # moto reports neither a service's platformFamily nor its capacity provider strategy.
    arn = f"arn:aws:ecs:us-east-1:{ACCOUNT}:service/apps/"
    services = (
        Service(
            "win",
            arn + "win",
            False,
            fargate=True,
            platform_version="1.0.0",
            platform_family="WINDOWS_SERVER_2022_CORE",
        ),
        Service(
            "win-old",
            arn + "win-old",
            False,
            fargate=True,
            platform_version="1.4.0",
            platform_family="WINDOWS_SERVER_2019_FULL",
        ),
        Service("spot", arn + "spot", False, fargate=True, platform_version="1.3.0", platform_family="Linux"),
    )
    inventory = Inventory(account_id=ACCOUNT, regions=("us-east-1",))
    cluster_arn = f"arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/apps"
    inventory.put(
        "ecs",
        "us-east-1",
        EcsData(clusters=(Cluster("apps", cluster_arn, "enabled", services),), families=()),
    )
    found = {f.resource_id.rsplit("/", 1)[-1]: f for f in judge(inventory, FARGATE)}
    assert found["win"].status == Status.PASS
    assert (
        found["win-old"].reason == "the service runs Fargate platform version 1.4.0, not the latest (1.0.0)"
    )
    assert found["spot"].status == Status.FAIL


def test_capacity_provider_services_count_as_fargate() -> None:
    assert _fargate({"capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]})
    assert _fargate({"launchType": "FARGATE"})
    assert not _fargate({"capacityProviderStrategy": [{"capacityProvider": "my-asg", "weight": 1}]})
