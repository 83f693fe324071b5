from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.rds import DbCluster, judge_clusters
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="rds_cluster_multi_az",
    title="RDS DB clusters span multiple Availability Zones",
    service="rds",
    severity=Severity.MEDIUM,
    resource_type="AWS::RDS::DBCluster",
    risk="A cluster whose instances are all in one Availability Zone goes down with that zone; there is "
    "no replica elsewhere to fail over to.",
    remediation=Remediation(
        summary="Add a reader instance in another Availability Zone (Aurora) or create the cluster as a "
        "Multi-AZ DB cluster.",
        cli="aws rds create-db-instance --db-cluster-identifier <CLUSTER> --db-instance-identifier <CLUSTER>-reader "
        "--engine <ENGINE> --db-instance-class <CLASS> --availability-zone <OTHER_AZ>",
        cloudformation="A second AWS::RDS::DBInstance with DBClusterIdentifier: <CLUSTER> and another AvailabilityZone",
        terraform='resource "aws_rds_cluster_instance" "reader" {\n'
        "  cluster_identifier = aws_rds_cluster.this.id\n"
        '  availability_zone  = "<OTHER_AZ>"\n}',
    ),
    reads=("rds",),
    prowler_id="rds_cluster_multi_az",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_clusters(inventory, _judge)


def _judge(cluster: DbCluster, region: str) -> Result:
    return Result.verdict(
        cluster.multi_az,
        cluster.arn,
        region,
        passed="the cluster's instances span more than one Availability Zone",
        failed="the cluster runs in a single Availability Zone",
    )
