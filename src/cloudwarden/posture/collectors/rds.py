"""RDS, read in every region: DB instances, DB clusters and the manual snapshots of both, with
whom each snapshot is shared; the event notification subscriptions; and, for PostgreSQL and MySQL
instances outside clusters, the parameter that forces TLS in their parameter group.

DescribeDBInstances is the main listing (its failure makes the service unknown in the region);
clusters and snapshots are listed on their own, so a refusal of one of them leaves the others
readable. Parameter values are read once per parameter group in use (DescribeDBParameters has
no batch form). Sharing is per snapshot (DescribeDB[Cluster]SnapshotAttributes has no batch
form) and only manual snapshots can be shared. Neptune and DocumentDB, which answer the same APIs, are
left out: they are other services.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from cloudwarden.aws import permissions
from cloudwarden.posture.collectors import Clients
from cloudwarden.posture.collectors._rds_events import EventSubscription, read_parameters, read_subscriptions
from cloudwarden.posture.inventory import Inventory, judge_each, paginate, read
from cloudwarden.posture.model import Result, Unknown

SERVICE = "rds"
SCOPE: Literal["global", "regional"] = "regional"
PERMISSIONS = permissions.declare(
    "posture.rds",
    (
        "rds:DescribeDBInstances",
        "rds:DescribeDBClusters",
        "rds:DescribeDBSnapshots",
        "rds:DescribeDBSnapshotAttributes",
        "rds:DescribeDBClusterSnapshots",
        "rds:DescribeDBClusterSnapshotAttributes",
        "rds:DescribeEventSubscriptions",
        "rds:DescribeDBParameters",
    ),
    purpose="posture: RDS instances' and clusters' protection settings, manual snapshots, event "
    "subscriptions and TLS parameters",
)
OTHER_SERVICES_ENGINES = ("neptune", "docdb")
# The parameter that forces TLS on each engine's instances (FSBP RDS.38, RDS.39): read only for
# instances of these engines outside clusters.
TRANSIT_PARAMETERS = {"postgres": "rds.force_ssl", "mysql": "require_secure_transport"}


@dataclass(frozen=True)
class DbInstance:
    identifier: str
    arn: str
    engine: str
    cluster: str | None  # the cluster it belongs to (Aurora, Multi-AZ DB clusters)
    replica_of: str | None  # the source of a read replica
    storage_encrypted: bool
    publicly_accessible: bool
    auto_minor_version_upgrade: bool
    multi_az: bool
    monitoring_interval: int  # seconds; 0: enhanced monitoring off
    deletion_protection: bool
    log_exports: tuple[str, ...]
    backup_retention_days: int
    copy_tags_to_snapshot: bool
    master_username: str = ""
    iam_auth: bool = False  # IAM database authentication
    port: int | None = None
    vpc_id: str | None = None  # DBSubnetGroup.VpcId; None: not in a VPC (EC2-Classic)
    parameter_group: str | None = None  # its DB parameter group
    # TRANSIT_PARAMETERS' value in its parameter group ("" when unset); None: not read (engine)
    transit_parameter: str | Unknown | None = None


@dataclass(frozen=True)
class DbCluster:
    identifier: str
    arn: str
    engine: str
    storage_encrypted: bool
    deletion_protection: bool
    copy_tags_to_snapshot: bool = False
    master_username: str = ""
    iam_auth: bool = False
    multi_az: bool = False
    auto_minor_version_upgrade: bool = False
    backtrack_window: int = 0  # seconds; 0: backtracking off (Aurora MySQL only)
    port: int | None = None
    log_exports: tuple[str, ...] = ()  # EnabledCloudwatchLogsExports


@dataclass(frozen=True)
class Snapshot:
    identifier: str
    arn: str
    kind: Literal["DB snapshot", "DB cluster snapshot"]
    encrypted: bool
    restorable_by: tuple[str, ...] | Unknown  # account ids it is shared with; "all": public


SUBSCRIPTIONS_NOT_READ = Unknown("rds:DescribeEventSubscriptions was not called")


@dataclass(frozen=True)
class RdsData:
    instances: tuple[DbInstance, ...]
    clusters: tuple[DbCluster, ...] | Unknown
    snapshots: tuple[Snapshot, ...] | Unknown  # manual DB snapshots
    cluster_snapshots: tuple[Snapshot, ...] | Unknown  # manual DB cluster snapshots
    event_subscriptions: tuple[EventSubscription, ...] | Unknown = SUBSCRIPTIONS_NOT_READ


def collect(clients: Clients, region: str, account_id: str) -> RdsData:
    rds = clients("rds")
    raw_instances = [
        i for i in paginate(rds, "describe_db_instances", "DBInstances") if _ours(i.get("Engine"))
    ]
    transit = _transit_parameters(rds, raw_instances)
    instances = tuple(_instance(i, transit) for i in raw_instances)
    clusters = read(
        rds,
        lambda: tuple(
            _cluster(c) for c in paginate(rds, "describe_db_clusters", "DBClusters") if _ours(c.get("Engine"))
        ),
    )
    snapshots = read(
        rds,
        lambda: tuple(
            _snapshot(rds, s)
            for s in paginate(rds, "describe_db_snapshots", "DBSnapshots", SnapshotType="manual")
            if _ours(s.get("Engine"))
        ),
    )
    cluster_snapshots = read(
        rds,
        lambda: tuple(
            _cluster_snapshot(rds, s)
            for s in paginate(
                rds, "describe_db_cluster_snapshots", "DBClusterSnapshots", SnapshotType="manual"
            )
            if _ours(s.get("Engine"))
        ),
    )
    return RdsData(
        instances=instances,
        clusters=clusters,
        snapshots=snapshots,
        cluster_snapshots=cluster_snapshots,
        event_subscriptions=read(rds, lambda: read_subscriptions(rds)),
    )


def _transit_group(raw: dict[str, Any]) -> tuple[str, str] | None:
    """(parameter group, TLS parameter) for a PostgreSQL or MySQL instance outside a cluster."""
    name = TRANSIT_PARAMETERS.get(str(raw.get("Engine", "")))
    groups = raw.get("DBParameterGroups") or ()
    if name is None or raw.get("DBClusterIdentifier") or not groups:
        return None
    return str(groups[0]["DBParameterGroupName"]), name


def _transit_parameters(rds: Any, raw_instances: list[dict[str, Any]]) -> dict[str, dict[str, str] | Unknown]:
    """Each parameter group in use: the TLS parameters' values, read once per group."""
    wanted: dict[str, set[str]] = {}
    for raw in raw_instances:
        if (found := _transit_group(raw)) is not None:
            wanted.setdefault(found[0], set()).add(found[1])
    return {
        group: read(rds, functools.partial(read_parameters, rds, group, frozenset(names)))
        for group, names in sorted(wanted.items())
    }


def _ours(engine: Any) -> bool:
    return str(engine or "") not in OTHER_SERVICES_ENGINES


def _instance(raw: dict[str, Any], transit: dict[str, dict[str, str] | Unknown]) -> DbInstance:
    groups = raw.get("DBParameterGroups") or ()
    transit_value: str | Unknown | None = None
    if (found := _transit_group(raw)) is not None:
        values = transit[found[0]]
        transit_value = values if isinstance(values, Unknown) else values.get(found[1], "")
    return DbInstance(
        identifier=str(raw["DBInstanceIdentifier"]),
        arn=str(raw["DBInstanceArn"]),
        engine=str(raw.get("Engine", "")),
        cluster=raw.get("DBClusterIdentifier"),
        replica_of=raw.get("ReadReplicaSourceDBInstanceIdentifier")
        or raw.get("ReadReplicaSourceDBClusterIdentifier"),
        storage_encrypted=bool(raw.get("StorageEncrypted")),
        publicly_accessible=bool(raw.get("PubliclyAccessible")),
        auto_minor_version_upgrade=bool(raw.get("AutoMinorVersionUpgrade")),
        multi_az=bool(raw.get("MultiAZ")),
        monitoring_interval=int(raw.get("MonitoringInterval") or 0),
        deletion_protection=bool(raw.get("DeletionProtection")),
        log_exports=tuple(raw.get("EnabledCloudwatchLogsExports") or ()),
        backup_retention_days=int(raw.get("BackupRetentionPeriod") or 0),
        copy_tags_to_snapshot=bool(raw.get("CopyTagsToSnapshot")),
        master_username=str(raw.get("MasterUsername") or ""),
        iam_auth=bool(raw.get("IAMDatabaseAuthenticationEnabled")),
        port=_port(raw.get("Endpoint", {}).get("Port") or raw.get("DbInstancePort")),
        vpc_id=(raw.get("DBSubnetGroup") or {}).get("VpcId") or None,
        parameter_group=str(groups[0]["DBParameterGroupName"]) if groups else None,
        transit_parameter=transit_value,
    )


def _port(value: Any) -> int | None:
    return int(value) if value else None


def _cluster(raw: dict[str, Any]) -> DbCluster:
    return DbCluster(
        identifier=str(raw["DBClusterIdentifier"]),
        arn=str(raw["DBClusterArn"]),
        engine=str(raw.get("Engine", "")),
        storage_encrypted=bool(raw.get("StorageEncrypted")),
        deletion_protection=bool(raw.get("DeletionProtection")),
        copy_tags_to_snapshot=bool(raw.get("CopyTagsToSnapshot")),
        master_username=str(raw.get("MasterUsername") or ""),
        iam_auth=bool(raw.get("IAMDatabaseAuthenticationEnabled")),
        multi_az=bool(raw.get("MultiAZ")),
        auto_minor_version_upgrade=bool(raw.get("AutoMinorVersionUpgrade")),
        backtrack_window=int(raw.get("BacktrackWindow") or 0),
        port=_port(raw.get("Port")),
        log_exports=tuple(raw.get("EnabledCloudwatchLogsExports") or ()),
    )


def _snapshot(rds: Any, raw: dict[str, Any]) -> Snapshot:
    name = str(raw["DBSnapshotIdentifier"])
    shared = read(
        rds,
        lambda: _restorable_by(
            rds.describe_db_snapshot_attributes(DBSnapshotIdentifier=name)["DBSnapshotAttributesResult"].get(
                "DBSnapshotAttributes", []
            )
        ),
    )
    return Snapshot(name, str(raw["DBSnapshotArn"]), "DB snapshot", bool(raw.get("Encrypted")), shared)


def _cluster_snapshot(rds: Any, raw: dict[str, Any]) -> Snapshot:
    name = str(raw["DBClusterSnapshotIdentifier"])
    shared = read(
        rds,
        lambda: _restorable_by(
            rds.describe_db_cluster_snapshot_attributes(DBClusterSnapshotIdentifier=name)[
                "DBClusterSnapshotAttributesResult"
            ].get("DBClusterSnapshotAttributes", [])
        ),
    )
    encrypted = bool(raw.get("StorageEncrypted"))
    return Snapshot(name, str(raw["DBClusterSnapshotArn"]), "DB cluster snapshot", encrypted, shared)


def _restorable_by(attributes: list[dict[str, Any]]) -> tuple[str, ...]:
    for attribute in attributes:
        if attribute.get("AttributeName") == "restore":
            return tuple(str(v) for v in attribute.get("AttributeValues") or ())
    return ()


# ---- helpers for the checks -------------------------------------------------------------------

InstanceJudge = Callable[[DbInstance, str], Result | None]


def judge_instances(
    inventory: Inventory, judge: InstanceJudge, nothing: str = "no DB instances"
) -> Iterator[Result]:
    """judge(instance, region) for every DB instance, per region; None leaves one unjudged.

    A region without a judged instance is NOT_APPLICABLE with `nothing`.
    """
    for region, rds in inventory.each(SERVICE):
        where = inventory.region_arn(SERVICE, region)
        if isinstance(rds, Unknown):
            yield Result.error(where, region, rds)
            continue
        results = [r for i in rds.instances if (r := judge(i, region)) is not None]
        yield from results or [Result.not_applicable(where, region, f"{nothing} in {region}")]


def judge_clusters(
    inventory: Inventory, judge: Callable[[DbCluster, str], Result | None], nothing: str = "no DB clusters"
) -> Iterator[Result]:
    """judge(cluster, region) for every DB cluster, per region (None leaves one unjudged);
    NOT_APPLICABLE with `nothing` where no cluster was judged."""
    return judge_each(inventory, SERVICE, lambda rds: rds.clusters, judge, nothing)


# The engines' default administrator names (FSBP RDS.24 and RDS.25 fail them).
DEFAULT_ADMIN_USERNAMES = frozenset({"admin", "postgres"})
# The instance engines that support IAM database authentication (FSBP RDS.10).
IAM_AUTH_INSTANCE_ENGINES = frozenset({"mysql", "mariadb", "postgres"})
# Each engine family's default port (FSBP RDS.23), by the engine name's prefix.
DEFAULT_PORTS = (
    ("aurora-postgresql", 5432),
    ("aurora", 3306),  # aurora and aurora-mysql
    ("mysql", 3306),
    ("mariadb", 3306),
    ("postgres", 5432),
    ("oracle", 1521),
    ("sqlserver", 1433),
    ("db2", 50000),
)


def default_port(engine: str) -> int | None:
    return next((port for prefix, port in DEFAULT_PORTS if engine.startswith(prefix)), None)


def judge_transit(instance: DbInstance, region: str, parameter: str) -> Result:
    """FSBP RDS.38/RDS.39: FAIL unless `parameter` is on (1) in the instance's parameter group."""
    value, group = instance.transit_parameter, instance.parameter_group
    if isinstance(value, Unknown):
        return Result.error(instance.arn, region, value)
    if value is None:
        return Result.error(instance.arn, region, f"{parameter} of parameter group {group} was not read")
    return Result.verdict(
        value.strip().lower() in ("1", "on", "true"),
        instance.arn,
        region,
        passed=f"{parameter} is on in parameter group {group}",
        failed=f"{parameter} is {value or 'not set (off)'} in parameter group {group}",
    )


def judge_snapshots(inventory: Inventory, judge: Callable[[Snapshot, str], Result]) -> Iterator[Result]:
    """judge(snapshot, region) for every manual DB and DB cluster snapshot, per region."""
    for region, rds in inventory.each(SERVICE):
        where = inventory.region_arn(SERVICE, region)
        if isinstance(rds, Unknown):
            yield Result.error(where, region, rds)
            continue
        results: list[Result] = []
        unread = [x.reason for x in (rds.snapshots, rds.cluster_snapshots) if isinstance(x, Unknown)]
        if unread:  # one result per region, whichever listing failed
            results.append(Result.error(where, region, "; ".join(unread)))
        for listing in (rds.snapshots, rds.cluster_snapshots):
            if not isinstance(listing, Unknown):
                results.extend(judge(s, region) for s in listing)
        yield from results or [Result.not_applicable(where, region, f"no manual RDS snapshots in {region}")]
