"""FSBP RDS.10, RDS.12, RDS.14, RDS.15, RDS.23 and RDS.35 on the simulated account."""

from __future__ import annotations

from typing import Any

from cloudwarden.posture.model import Status
from cloudwarden.simulator.client import SimulatorClient
from tests.posture.conftest import Scan, by_check
from tests.posture.test_data_checks import one

PASSWORD = "not-a-real-password-1"
CLUSTER_CHECKS = [
    "rds_cluster_iam_authentication_enabled",
    "rds_cluster_multi_az",
    "rds_cluster_auto_minor_version_upgrade",
    "rds_cluster_backtracking_enabled",
]
INSTANCE_CHECKS = ["rds_instance_iam_authentication_enabled", "rds_instance_non_default_port"]


def cluster(sim: SimulatorClient, name: str, engine: str, **kwargs: Any) -> str:
    made = sim.client("rds").create_db_cluster(
        DBClusterIdentifier=name,
        Engine=engine,
        MasterUsername="ledger_owner",
        MasterUserPassword=PASSWORD,
        **kwargs,
    )
    return str(made["DBCluster"]["DBClusterArn"])


def instance(sim: SimulatorClient, name: str, engine: str, **kwargs: Any) -> str:
    made = sim.client("rds").create_db_instance(
        DBInstanceIdentifier=name,
        DBInstanceClass="db.t3.micro",
        Engine=engine,
        MasterUsername="ledger_owner",
        MasterUserPassword=PASSWORD,
        AllocatedStorage=20,
        **kwargs,
    )
    return str(made["DBInstance"]["DBInstanceArn"])


def test_cluster_settings_iam_auth_zones_upgrades_and_backtracking(
    sim: SimulatorClient, scan_sim: Scan
) -> None:
    hardened = cluster(
        sim,
        "hardened",
        "aurora-mysql",
        EnableIAMDatabaseAuthentication=True,
        BacktrackWindow=86400,
        AvailabilityZones=["us-east-1a", "us-east-1b"],
    )
    for zone in ("a", "b"):  # a writer and a reader in two zones
        sim.client("rds").create_db_instance(
            DBInstanceIdentifier=f"hardened-{zone}",
            DBClusterIdentifier="hardened",
            DBInstanceClass="db.r5.large",
            Engine="aurora-mysql",
            AvailabilityZone=f"us-east-1{zone}",
        )
    loose = cluster(sim, "loose", "aurora-mysql")
    postgres = cluster(sim, "ledger-pg", "aurora-postgresql")
    multi_az_db = {
        "DBClusterInstanceClass": "db.m5d.large",
        "AllocatedStorage": 100,
        "StorageType": "io1",
        "Iops": 1000,
    }
    pinned = cluster(sim, "pinned", "mysql", AutoMinorVersionUpgrade=False, **multi_az_db)
    upgrading = cluster(sim, "upgrading", "postgres", AutoMinorVersionUpgrade=True, **multi_az_db)
    outcome = scan_sim(check_ids=CLUSTER_CHECKS)

    iam, multi_az, upgrade, backtrack = CLUSTER_CHECKS
    assert one(outcome, iam, hardened).status == Status.PASS
    assert one(outcome, iam, loose).reason == (
        "IAM database authentication is disabled on the cluster: clients sign in with passwords only"
    )
    assert one(outcome, backtrack, hardened).reason == "backtracking is enabled (24 h window)"
    assert one(outcome, backtrack, loose).status == Status.FAIL
    assert not [f for f in by_check(outcome, backtrack) if f.resource_id == postgres]  # MySQL only
    assert one(outcome, multi_az, hardened).status == Status.PASS
    assert one(outcome, multi_az, loose).reason == "the cluster runs in a single Availability Zone"
    # RDS.35 is about Multi-AZ DB clusters: Aurora upgrades are a setting of each instance.
    assert {f.resource_id for f in by_check(outcome, upgrade)} == {pinned, upgrading}
    assert one(outcome, upgrade, upgrading).status == Status.PASS
    assert (
        one(outcome, upgrade, pinned).reason == "automatic minor version upgrade is disabled on the cluster"
    )
    for check in (iam, multi_az):
        assert {f.resource_id for f in by_check(outcome, check)} == {
            hardened,
            loose,
            postgres,
            pinned,
            upgrading,
        }


def test_backtracking_is_not_applicable_without_aurora_mysql(sim: SimulatorClient, scan_sim: Scan) -> None:
    cluster(sim, "ledger-pg", "aurora-postgresql")
    [result] = by_check(
        scan_sim(check_ids=["rds_cluster_backtracking_enabled"]), "rds_cluster_backtracking_enabled"
    )
    assert (result.status, result.reason) == (
        Status.NOT_APPLICABLE,
        "no Aurora MySQL DB clusters in us-east-1",
    )


def test_instance_iam_auth_by_engine_and_default_ports(sim: SimulatorClient, scan_sim: Scan) -> None:
    default_pg = instance(sim, "orders", "postgres")
    custom = instance(sim, "billing", "mysql", Port=13306, EnableIAMDatabaseAuthentication=True)
    oracle = instance(sim, "erp", "oracle-ee", LicenseModel="bring-your-own-license")
    outcome = scan_sim(check_ids=INSTANCE_CHECKS)

    iam, port = INSTANCE_CHECKS
    assert one(outcome, iam, default_pg).status == Status.FAIL
    assert one(outcome, iam, custom).reason == "IAM database authentication is enabled"
    assert not [f for f in by_check(outcome, iam) if f.resource_id == oracle]  # no IAM auth on Oracle
    assert one(outcome, port, default_pg).reason == "the instance listens on postgres's default port 5432"
    assert one(outcome, port, custom).reason == "the instance listens on port 13306, not mysql's default"
    assert one(outcome, port, oracle).reason == "the instance listens on oracle-ee's default port 1521"


def test_unreadable_rds_is_an_error_for_the_new_checks(scan_sim: Scan) -> None:
    outcome = scan_sim(check_ids=CLUSTER_CHECKS + INSTANCE_CHECKS, deny={"rds:DescribeDBInstances"})
    assert {f.status for f in outcome.findings} == {Status.ERROR}
    assert all("rds:DescribeDBInstances" in f.reason for f in outcome.findings)
    clusters = scan_sim(check_ids=CLUSTER_CHECKS, deny={"rds:DescribeDBClusters"})
    assert {f.status for f in clusters.findings} == {Status.ERROR}
    assert all("rds:DescribeDBClusters" in f.reason for f in clusters.findings)
