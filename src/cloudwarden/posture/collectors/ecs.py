"""ECS, read in every region: clusters (with their Container Insights setting), each cluster's
services, and the latest ACTIVE revision of every task definition family.

ListClusters is the main listing. DescribeClusters and DescribeServices are batch calls (100 and
10 names a call); ListServices is per cluster. Task definitions have no batch describe: the
families are listed once (status ACTIVE) and DescribeTaskDefinition is called per family, which
returns its latest ACTIVE revision, so older revisions are not judged. A refusal of any of these
leaves an Unknown where its data would be, and the rest readable.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from cloudwarden.aws import permissions
from cloudwarden.posture.collectors import Clients
from cloudwarden.posture.inventory import Inventory, judge_each, paginate, read
from cloudwarden.posture.model import Result, Unknown

SERVICE = "ecs"
SCOPE: Literal["global", "regional"] = "regional"
PERMISSIONS = permissions.declare(
    "posture.ecs",
    (
        "ecs:ListClusters",
        "ecs:DescribeClusters",
        "ecs:ListServices",
        "ecs:DescribeServices",
        "ecs:ListTaskDefinitionFamilies",
        "ecs:DescribeTaskDefinition",
    ),
    purpose="posture: ECS clusters' monitoring, services' public IPs and task definitions' container settings",
)
CLUSTERS_PER_CALL = 100
SERVICES_PER_CALL = 10


@dataclass(frozen=True)
class Container:
    name: str
    privileged: bool
    read_only_root: bool
    user: str | None
    environment: tuple[str, ...]  # names of the plain environment variables (never their values)
    log_driver: str | None = None  # logConfiguration.logDriver; None: the container's output is not kept


@dataclass(frozen=True)
class TaskDefinition:
    arn: str
    family: str
    revision: int
    network_mode: str  # "awsvpc", "bridge", "host" or "none"
    containers: tuple[Container, ...]
    pid_mode: str | None = None  # "host", "task" or None (each container its own namespace)


@dataclass(frozen=True)
class Family:
    name: str
    latest: TaskDefinition | Unknown | None  # None: no ACTIVE revision was returned


@dataclass(frozen=True)
class Service:
    name: str
    arn: str
    assign_public_ip: bool
    fargate: bool = False  # launch type FARGATE, or a FARGATE / FARGATE_SPOT capacity provider
    platform_version: str = "LATEST"  # Fargate's; AWS's default (and what it reports) is LATEST
    platform_family: str = ""  # "Linux", "WINDOWS_SERVER_2019_FULL", ...; "" when not reported


@dataclass(frozen=True)
class Cluster:
    name: str
    arn: str
    container_insights: str | Unknown  # "enabled", "enhanced" or "disabled"
    services: tuple[Service, ...] | Unknown


@dataclass(frozen=True)
class EcsData:
    clusters: tuple[Cluster, ...]
    families: tuple[Family, ...] | Unknown


def collect(clients: Clients, region: str, account_id: str) -> EcsData:
    ecs = clients("ecs")
    arns = [str(a) for a in paginate(ecs, "list_clusters", "clusterArns")]
    insights = read(ecs, lambda: _insights(ecs, arns)) if arns else {}
    clusters = tuple(
        Cluster(
            name=arn.rsplit("/", 1)[-1],
            arn=arn,
            container_insights=insights
            if isinstance(insights, Unknown)
            else insights.get(arn, Unknown(f"ecs:DescribeClusters did not describe {arn}")),
            services=read(ecs, functools.partial(_services, ecs, arn)),
        )
        for arn in arns
    )
    return EcsData(clusters=clusters, families=read(ecs, lambda: _families(ecs)))


def _insights(ecs: Any, arns: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for start in range(0, len(arns), CLUSTERS_PER_CALL):
        chunk = arns[start : start + CLUSTERS_PER_CALL]
        for cluster in ecs.describe_clusters(clusters=chunk, include=["SETTINGS"]).get("clusters", []):
            settings = {s.get("name"): s.get("value") for s in cluster.get("settings") or ()}
            found[str(cluster["clusterArn"])] = str(settings.get("containerInsights") or "disabled")
    return found


def _services(ecs: Any, cluster: str) -> tuple[Service, ...]:
    arns = [str(a) for a in paginate(ecs, "list_services", "serviceArns", cluster=cluster)]
    services: list[Service] = []
    for start in range(0, len(arns), SERVICES_PER_CALL):
        chunk = arns[start : start + SERVICES_PER_CALL]
        for raw in ecs.describe_services(cluster=cluster, services=chunk).get("services", []):
            awsvpc = (raw.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
            services.append(
                Service(
                    name=str(raw["serviceName"]),
                    arn=str(raw["serviceArn"]),
                    assign_public_ip=str(awsvpc.get("assignPublicIp", "")).upper() == "ENABLED",
                    fargate=_fargate(raw),
                    platform_version=str(raw.get("platformVersion") or "LATEST"),
                    platform_family=str(raw.get("platformFamily") or ""),
                )
            )
    return tuple(services)


def _fargate(raw: dict[str, Any]) -> bool:
    providers = {str(p.get("capacityProvider")) for p in raw.get("capacityProviderStrategy") or ()}
    return raw.get("launchType") == "FARGATE" or bool(providers & {"FARGATE", "FARGATE_SPOT"})


def _families(ecs: Any) -> tuple[Family, ...]:
    names = paginate(ecs, "list_task_definition_families", "families", status="ACTIVE")
    return tuple(Family(str(name), read(ecs, functools.partial(_latest, ecs, str(name)))) for name in names)


def _latest(ecs: Any, family: str) -> TaskDefinition | None:
    raw = ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]
    if raw.get("status", "ACTIVE") != "ACTIVE":
        return None
    return TaskDefinition(
        arn=str(raw["taskDefinitionArn"]),
        family=str(raw.get("family", family)),
        revision=int(raw.get("revision", 0)),
        network_mode=str(raw.get("networkMode") or "bridge"),
        containers=tuple(_container(c) for c in raw.get("containerDefinitions") or ()),
        pid_mode=raw.get("pidMode") or None,
    )


def _container(raw: dict[str, Any]) -> Container:
    return Container(
        name=str(raw.get("name", "")),
        privileged=bool(raw.get("privileged")),
        read_only_root=bool(raw.get("readonlyRootFilesystem")),
        user=raw.get("user") or None,
        environment=tuple(str(e.get("name", "")) for e in raw.get("environment") or ()),
        log_driver=(raw.get("logConfiguration") or {}).get("logDriver") or None,
    )


# ---- helpers for the checks ---------------------------------------------------------------------


def judge_task_definitions(
    inventory: Inventory, judge: Callable[[TaskDefinition, str], Result]
) -> Iterator[Result]:
    """judge(latest ACTIVE revision, region) for every task definition family, per region."""

    def each(family: Family, region: str) -> Result | None:
        if isinstance(family.latest, Unknown):
            resource = (
                f"arn:{inventory.partition}:ecs:{region}:{inventory.account_id}:task-definition/{family.name}"
            )
            return Result.error(resource, region, family.latest)
        return None if family.latest is None else judge(family.latest, region)

    return judge_each(inventory, SERVICE, lambda d: d.families, each, "no active ECS task definitions")


def judge_clusters(
    inventory: Inventory, judge: Callable[[Cluster, str], Iterator[Result]], nothing: str
) -> Iterator[Result]:
    """Every result judge(cluster, region) yields, per region; NOT_APPLICABLE ("<nothing> in
    <region>") without any."""
    for region, ecs in inventory.each(SERVICE):
        where = inventory.region_arn(SERVICE, region)
        if isinstance(ecs, Unknown):
            yield Result.error(where, region, ecs)
            continue
        results = [r for cluster in ecs.clusters for r in judge(cluster, region)]
        yield from results or [Result.not_applicable(where, region, f"{nothing} in {region}")]
