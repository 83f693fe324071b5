"""EC2: security groups (and who may reach whom through them), instances and their status checks.

Discovery (`get`/`transform`) reads every security group and instance; the status checks and
scheduled events (`get_status`/`transform_status`) are a scoped read for the candidate instances.
"""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import islice
from typing import Any

from cloudwarden.aws.arns import security_group_key
from cloudwarden.aws.permissions import declare
from cloudwarden.evidence.collector import Probe
from cloudwarden.evidence.model import Resource, ServiceEvent

SOURCE = "ec2"
PERMISSIONS = declare(
    "evidence.ec2",
    ("ec2:DescribeSecurityGroups", "ec2:DescribeInstances", "ec2:DescribeInstanceStatus"),
    purpose="Read security groups and their rules, EC2 instances, their status checks and scheduled events",
)
PROBES: tuple[Probe, ...] = (
    Probe("ec2", "ec2", "ec2:DescribeSecurityGroups", lambda c: c.describe_security_groups(MaxResults=5)),
    Probe(
        "ec2-status", "ec2", "ec2:DescribeInstanceStatus", lambda c: c.describe_instance_status(MaxResults=5)
    ),
)
# DescribeInstanceStatus takes at most 100 instance ids a call; more candidate instances than
# that are not looked at (the caller scopes the read to the incident's candidates).
MAX_STATUS_INSTANCES = 100
# Pages read at most per listing: discovery is bounded whatever the account's size.
MAX_PAGES = 3


def get(client: Any) -> dict[str, Any]:
    groups: list[dict[str, Any]] = []
    for page in islice(client.get_paginator("describe_security_groups").paginate(), MAX_PAGES):
        groups.extend(page.get("SecurityGroups", []))
    instances: list[dict[str, Any]] = []
    for page in islice(client.get_paginator("describe_instances").paginate(), MAX_PAGES):
        for reservation in page.get("Reservations", []):
            instances.extend(reservation.get("Instances", []))
    return {"security_groups": groups, "instances": instances}


def transform(raw: dict[str, Any], *, region: str) -> list[Resource]:
    resources = []
    for group in raw["security_groups"]:
        ingress = []
        for permission in group.get("IpPermissions", []):
            for pair in permission.get("UserIdGroupPairs", []):
                ingress.append(
                    {
                        "from_group": pair["GroupId"],
                        "port": permission.get("FromPort"),
                        "protocol": permission.get("IpProtocol"),
                    }
                )
            for ip_range in permission.get("IpRanges", []):
                ingress.append(
                    {
                        "cidr": ip_range.get("CidrIp"),
                        "port": permission.get("FromPort"),
                        "protocol": permission.get("IpProtocol"),
                    }
                )
        resources.append(
            Resource(
                key=security_group_key(region, group["OwnerId"], group["GroupId"]),
                kind="security_group",
                name=group["GroupId"],
                attributes={
                    "group_id": group["GroupId"],
                    "group_name": group.get("GroupName"),
                    "ingress": ingress,
                },
            )
        )
    for instance in raw["instances"]:
        if instance.get("State", {}).get("Name") == "terminated":
            continue
        resources.append(
            Resource(
                key=instance["InstanceId"],
                kind="ec2_instance",
                name=instance["InstanceId"],
                attributes={
                    "state": instance.get("State", {}).get("Name"),
                    "security_groups": [g["GroupId"] for g in instance.get("SecurityGroups", [])],
                    "private_ip": instance.get("PrivateIpAddress"),
                    "private_dns": instance.get("PrivateDnsName") or None,
                    "instance_type": instance.get("InstanceType"),
                    "tag_name": _tag(instance, "Name"),
                    "iam_instance_profile": (instance.get("IamInstanceProfile") or {}).get("Arn"),
                },
            )
        )
    return resources


def _tag(item: dict[str, Any], key: str) -> str | None:
    return next((str(t.get("Value", "")) for t in item.get("Tags", []) if t.get("Key") == key), None)


def get_status(client: Any, instance_ids: list[str]) -> list[dict[str, Any]]:
    """Status checks and scheduled events of these instances, whatever their state.

    One DescribeInstanceStatus call (the first MAX_STATUS_INSTANCES distinct ids), followed by
    NextToken only if AWS returns one. No ids, no call: without InstanceIds AWS would answer for
    every running instance in the region.
    """
    ids = list(dict.fromkeys(instance_ids))[:MAX_STATUS_INSTANCES]
    if not ids:
        return []
    statuses: list[dict[str, Any]] = []
    request: dict[str, Any] = {"InstanceIds": ids, "IncludeAllInstances": True}
    while True:
        page = client.describe_instance_status(**request)
        statuses.extend(page.get("InstanceStatuses", []))
        token = page.get("NextToken")
        if not token:
            return statuses
        request["NextToken"] = token


def _impaired_since(check: dict[str, Any]) -> datetime | None:
    times = [d["ImpairedSince"] for d in check.get("Details", []) if d.get("ImpairedSince") is not None]
    return min(times).astimezone(UTC) if times else None


def transform_status(
    raw: list[dict[str, Any]], *, start: datetime, end: datetime
) -> tuple[dict[str, dict[str, Any]], list[ServiceEvent]]:
    """Per instance id: its check statuses and when a check began failing; and the events.

    An impaired check is a "status-check" event at its ImpairedSince (the check is failing now,
    so one that began before `start` is still reported; one that began after `end` is not). A
    scheduled event (reboot, maintenance, retirement, stop) is a "scheduled-event" at its
    NotBefore when its [NotBefore, NotAfter] overlaps the window.
    """
    attributes: dict[str, dict[str, Any]] = {}
    events: list[ServiceEvent] = []
    for status in raw:
        instance_id = status["InstanceId"]
        checks = {"system": status.get("SystemStatus") or {}, "instance": status.get("InstanceStatus") or {}}
        since_by_check = {name: _impaired_since(check) for name, check in checks.items()}
        known = [t for t in since_by_check.values() if t is not None]
        attributes[instance_id] = {
            "system_status": checks["system"].get("Status"),
            "instance_status": checks["instance"].get("Status"),
            "impaired_since": min(known) if known else None,
        }
        for name, check in checks.items():
            if check.get("Status") != "impaired":
                continue
            since = since_by_check[name]
            if since is not None and since > end:
                continue
            failed = [str(d.get("Name")) for d in check.get("Details", []) if d.get("Status") == "failed"]
            what = f"{name} status check failed" + (f" ({', '.join(failed)})" if failed else "")
            events.append(
                ServiceEvent(
                    source="ec2",
                    resource=instance_id,
                    # AWS always dates a failed check; if it did not, it was seen failing at `end`.
                    time=since if since is not None else end,
                    kind="status-check",
                    message=f"{what} since {since:%H:%M} UTC" if since is not None else what,
                    data={"check": name, "status": "impaired", "failed": failed},
                )
            )
        for scheduled in status.get("Events", []):
            not_before: datetime = scheduled["NotBefore"].astimezone(UTC)
            not_after: datetime = (scheduled.get("NotAfter") or not_before).astimezone(UTC)
            if not_before > end or not_after < start:
                continue
            events.append(
                ServiceEvent(
                    source="ec2",
                    resource=instance_id,
                    time=not_before,
                    kind="scheduled-event",
                    message=f"{scheduled['Code']}: {scheduled.get('Description', '')}",
                    data={
                        "code": scheduled["Code"],
                        "event_id": scheduled.get("InstanceEventId"),
                        "not_after": not_after.isoformat() if scheduled.get("NotAfter") else None,
                    },
                )
            )
    return attributes, events
