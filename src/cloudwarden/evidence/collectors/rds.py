"""RDS: DB instances (endpoint, security groups, storage) and their events."""

from __future__ import annotations

from datetime import datetime
from itertools import islice
from typing import Any

from cloudwarden.aws.permissions import declare
from cloudwarden.evidence.collector import Probe
from cloudwarden.evidence.model import Resource, ServiceEvent

SOURCE = "rds"
PERMISSIONS = declare(
    "evidence.rds",
    ("rds:DescribeDBInstances", "rds:DescribeEvents"),
    purpose="Read DB instances and the events RDS recorded for them",
)
PROBES: tuple[Probe, ...] = (
    Probe("rds", "rds", "rds:DescribeDBInstances", lambda c: c.describe_db_instances(MaxRecords=20)),
)
# Pages read at most per listing: discovery is bounded whatever the account's size.
MAX_PAGES = 3


def get(client: Any, *, start: datetime, end: datetime) -> dict[str, Any]:
    instances: list[dict[str, Any]] = []
    for page in islice(client.get_paginator("describe_db_instances").paginate(), MAX_PAGES):
        instances.extend(page.get("DBInstances", []))
    events: list[dict[str, Any]] = []
    if instances:
        kwargs: dict[str, Any] = {
            "SourceType": "db-instance",
            "StartTime": start,
            "EndTime": end,
            "MaxRecords": 100,
        }
        for _ in range(3):
            response = client.describe_events(**kwargs)
            events.extend(response.get("Events", []))
            if not response.get("Marker"):
                break
            kwargs["Marker"] = response["Marker"]
    return {"instances": instances, "events": events}


def transform(raw: dict[str, Any]) -> tuple[list[Resource], list[ServiceEvent]]:
    resources = []
    key_by_id: dict[str, str] = {}
    for instance in raw["instances"]:
        key = instance["DBInstanceArn"]
        key_by_id[instance["DBInstanceIdentifier"]] = key
        endpoint = instance.get("Endpoint") or {}
        resources.append(
            Resource(
                key=key,
                kind="rds_instance",
                name=instance["DBInstanceIdentifier"],
                attributes={
                    "identifier": instance["DBInstanceIdentifier"],
                    "endpoint": endpoint.get("Address", ""),
                    "port": endpoint.get("Port"),
                    "engine": instance.get("Engine"),
                    "status": instance.get("DBInstanceStatus"),
                    "allocated_storage_gib": instance.get("AllocatedStorage"),
                    "instance_class": instance.get("DBInstanceClass"),
                    "security_groups": [
                        g["VpcSecurityGroupId"] for g in instance.get("VpcSecurityGroups", [])
                    ],
                    "log_exports": list(instance.get("EnabledCloudwatchLogsExports", [])),
                    # A parameter group's change is the instance's configuration change.
                    "parameter_groups": [
                        g["DBParameterGroupName"]
                        for g in instance.get("DBParameterGroups", [])
                        if not g["DBParameterGroupName"].startswith("default.")
                    ],
                },
            )
        )
    events = []
    for event in raw["events"]:
        owner = key_by_id.get(event.get("SourceIdentifier", ""))
        if owner is None:
            continue
        events.append(
            ServiceEvent(
                source="rds",
                resource=owner,
                time=event["Date"],
                kind="rds-event",
                message=event.get("Message", ""),
                data={"categories": list(event.get("EventCategories", []))},
            )
        )
    return resources, events
