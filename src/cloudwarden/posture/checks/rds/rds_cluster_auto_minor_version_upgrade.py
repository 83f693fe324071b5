from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.rds import DbCluster, judge_clusters
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="rds_cluster_auto_minor_version_upgrade",
    title="RDS Multi-AZ DB clusters upgrade minor engine versions automatically",
    service="rds",
    severity=Severity.MEDIUM,
    resource_type="AWS::RDS::DBCluster",
    risk="Minor versions carry security fixes; a cluster that does not take them keeps known, published "
    "vulnerabilities until someone upgrades it by hand.",
    remediation=Remediation(
        summary="Enable automatic minor version upgrades; they are applied in the maintenance window.",
        cli="aws rds modify-db-cluster --db-cluster-identifier <CLUSTER> --auto-minor-version-upgrade --apply-immediately",
        cloudformation="AWS::RDS::DBCluster AutoMinorVersionUpgrade: true",
        terraform='resource "aws_rds_cluster" "this" {\n  auto_minor_version_upgrade = true\n}',
    ),
    reads=("rds",),
    prowler_id="rds_cluster_minor_version_upgrade_enabled",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_clusters(inventory, _judge, "no Multi-AZ DB clusters")


def _judge(cluster: DbCluster, region: str) -> Result | None:
    # FSBP RDS.35 judges Multi-AZ DB clusters; an Aurora cluster's minor upgrades are a setting of
    # each of its instances (rds_instance_auto_minor_version_upgrade judges those).
    if cluster.engine.startswith("aurora"):
        return None
    return Result.verdict(
        cluster.auto_minor_version_upgrade,
        cluster.arn,
        region,
        passed="automatic minor version upgrade is enabled on the cluster",
        failed="automatic minor version upgrade is disabled on the cluster",
    )
