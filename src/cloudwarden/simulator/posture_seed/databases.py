"""RDS instances, the Aurora cluster and event subscriptions of the posture seed."""

from __future__ import annotations

import functools

from cloudwarden.simulator.posture_seed._base import (
    PREFIX,
    SeederBase,
    _tags,
    _tolerate,
)


class DatabaseSeeds(SeederBase):
    def _db_subnet_group(self) -> str:
        """A DB subnet group over the default VPC's subnets: where AWS puts an instance created
        without one (moto leaves such an instance outside any VPC, as EC2-Classic was)."""
        ec2, name = self.client("ec2"), f"{PREFIX}db-default-vpc"
        vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
        _tolerate(
            lambda: self.client("rds").create_db_subnet_group(
                DBSubnetGroupName=name,
                DBSubnetGroupDescription="The default VPC's subnets",
                SubnetIds=[s["SubnetId"] for s in subnets[:3]],
            ),
            "DBSubnetGroupAlreadyExists",
        )
        return name

    def rds(self) -> None:
        name = f"{PREFIX}db-public-unencrypted"
        subnet_group = self._db_subnet_group()
        _tolerate(
            lambda: self.client("rds").create_db_instance(
                DBInstanceIdentifier=name,
                DBInstanceClass="db.t3.micro",
                Engine="postgres",
                MasterUsername="dbadmin",
                MasterUserPassword="ChangeMe12345",
                AllocatedStorage=20,
                PubliclyAccessible=True,
                StorageEncrypted=False,
                DeletionProtection=False,
                MultiAZ=False,
                DBSubnetGroupName=subnet_group,
                Tags=_tags(name),
            ),
            "DBInstanceAlreadyExists",
        )
        self.report.add("rds_instance", name)
        self.report.fails("RDS instance storage is not encrypted", name)
        self.report.fails("RDS instance is publicly accessible", name)
        self.report.fails("RDS instance has no deletion protection", name)
        self.report.fails("RDS instance is not Multi-AZ", name)
        self.report.fails("RDS instance has no IAM database authentication", name)
        self.report.fails("RDS instance listens on its engine's default port (5432)", name)
        self.report.fails("RDS for PostgreSQL instance does not publish its postgresql log", name)
        self.report.fails("RDS for PostgreSQL instance does not force TLS (rds.force_ssl)", name)
        self.report.passes("RDS instance is deployed in a VPC", name)
        # An Aurora MySQL cluster with one writer: left as the console's quick path leaves it.
        cluster, rds = f"{PREFIX}aurora-orders", self.client("rds")
        if not rds.describe_db_clusters(Filters=[{"Name": "db-cluster-id", "Values": [cluster]}])[
            "DBClusters"
        ]:
            rds.create_db_cluster(
                DBClusterIdentifier=cluster,
                Engine="aurora-mysql",
                MasterUsername="orders_owner",
                MasterUserPassword="ChangeMe12345",
                StorageEncrypted=True,
                DeletionProtection=False,
                DBSubnetGroupName=subnet_group,
                Tags=_tags(cluster),
            )
            rds.create_db_instance(
                DBInstanceIdentifier=f"{cluster}-writer",
                DBClusterIdentifier=cluster,
                DBInstanceClass="db.r6g.large",
                Engine="aurora-mysql",
                AvailabilityZone=f"{self.region}a",
                DBSubnetGroupName=subnet_group,
            )
        self.report.add("rds_cluster", cluster)
        self.report.fails("RDS cluster runs in a single Availability Zone", cluster)
        self.report.fails("RDS cluster has no IAM database authentication", cluster)
        self.report.fails("Aurora MySQL cluster has no backtracking", cluster)
        self.report.fails("RDS cluster has no deletion protection", cluster)
        self.report.passes("RDS cluster storage is encrypted", cluster)
        self.report.fails("Aurora MySQL cluster does not publish its audit log", cluster)
        self._rds_event_subscriptions()

    def _rds_event_subscriptions(self) -> None:
        """Failures only reach the on-call; maintenance and configuration changes go unheard.
        Parameter group changes are subscribed to; clusters and DB security groups are not."""
        topic = self.client("sns").create_topic(Name=f"{PREFIX}rds-alerts")["TopicArn"]
        rds = self.client("rds")
        instances, groups = f"{PREFIX}rds-instance-failures", f"{PREFIX}rds-parameter-changes"
        for name, source, categories in (
            (instances, "db-instance", ["failure"]),
            (groups, "db-parameter-group", ["configuration change"]),
        ):
            create = functools.partial(
                rds.create_event_subscription,
                SubscriptionName=name,
                SnsTopicArn=topic,
                SourceType=source,
                EventCategories=categories,
                Enabled=True,
            )
            _tolerate(create, "SubscriptionAlreadyExist")
            self.report.add("rds_event_subscription", name)
        self.report.fails(
            "RDS event subscription for instances lacks maintenance and configuration change", instances
        )
        self.report.passes("RDS event subscription sends parameter group configuration changes", groups)
        self.report.fails(
            "No RDS event subscription sends DB cluster maintenance and failure events", self.region
        )
        self.report.fails("No RDS event subscription sends DB security group events", self.region)
