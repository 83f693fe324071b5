"""GuardDuty ListFindings and GetFindings over findings injected into a detector.

moto has detectors and filters but no findings API: neither route exists. Here findings are
kept per detector in their wire (JSON) shape, built from the resources moto holds (the
instance's network interfaces and security groups, the role's id, the DB instance's ARN), so
they look like what GuardDuty returns. ListFindings applies FindingCriteria (Eq/Neq/Equals/
NotEquals, Gt/Gte/Lt/Lte and their long forms, Matches/NotMatches) on any dotted field such as
``updatedAt`` (epoch milliseconds), ``severity``, ``type``, ``service.archived`` or
``resource.instanceDetails.networkInterfaces.securityGroups.groupId``, then SortCriteria,
MaxResults (1-50) and NextToken. GetFindings returns the findings for up to 50 ids; unknown ids
are left out, as GuardDuty does.
"""

from __future__ import annotations

import fnmatch
import json
import threading
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from cloudwarden.simulator.patches import Injector, InjectRequest
from cloudwarden.simulator.patches._support import StrictPayload, as_utc, install, parse_payload

MAX_RESULTS = 50
_ROUTES = (
    "{0}/detector/(?P<detector_id>[^/]+)/findings$",
    "{0}/detector/(?P<detector_id>[^/]+)/findings/get$",
)
_lock = threading.RLock()
# (account, region, detector id) -> finding id -> finding in GuardDuty's wire shape.
_findings: dict[tuple[str, str, str], dict[str, dict[str, Any]]] = {}
_applied: list[bool] = []


def _bad_request(message: str) -> Exception:
    from moto.guardduty.exceptions import GuardDutyException

    error = GuardDutyException("BadRequestException", message)
    error.code = 400
    return error


def _wire_time(moment: datetime) -> str:
    """GuardDuty writes its timestamps as ISO 8601 strings with milliseconds and a Z."""
    return as_utc(moment).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _epoch_ms(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def _values_at(finding: Any, path: list[str]) -> list[Any]:
    """Every value at a dotted path; lists are walked through, as GuardDuty's criteria do."""
    if isinstance(finding, list):
        return [v for item in finding for v in _values_at(item, path)]
    if not path:
        return [finding]
    if not isinstance(finding, dict) or path[0] not in finding:
        return []
    return _values_at(finding[path[0]], path[1:])


def _as_text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:  # timestamps compare as epoch milliseconds, the unit the criteria use
        return float(_epoch_ms(str(value)))
    except ValueError:
        return None


_COMPARISONS = {
    "gt": lambda a, b: a > b,
    "greaterThan": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "greaterThanOrEqual": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lessThan": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
    "lessThanOrEqual": lambda a, b: a <= b,
}


def _matches(finding: dict[str, Any], field: str, condition: dict[str, Any]) -> bool:
    values = _values_at(finding, field.split("."))
    texts = {_as_text(v) for v in values}
    for operator, operand in condition.items():
        if operator in ("eq", "equals"):
            ok = bool(texts & {str(o) for o in operand})
        elif operator in ("neq", "notEquals"):
            ok = not texts & {str(o) for o in operand}
        elif operator in ("matches", "notMatches"):
            hit = any(fnmatch.fnmatchcase(t, str(p)) for t in texts for p in operand)
            ok = hit if operator == "matches" else not hit
        elif operator in _COMPARISONS:
            numbers = [n for n in (_as_number(v) for v in values) if n is not None]
            ok = any(_COMPARISONS[operator](n, float(operand)) for n in numbers)
        else:
            raise _bad_request(f"The request is rejected because the condition {operator!r} is invalid.")
        if not ok:
            return False
    return True


def _sorted(findings: list[dict[str, Any]], sort: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not sort:
        return sorted(findings, key=lambda f: (f["createdAt"], f["id"]))
    order = str(sort.get("orderBy", "ASC"))
    if order not in ("ASC", "DESC"):
        raise _bad_request(f"The request is rejected because orderBy {order!r} is invalid.")
    path = str(sort.get("attributeName", "updatedAt")).split(".")

    def key(finding: dict[str, Any]) -> tuple[float, str]:
        first = _values_at(finding, path)[0]
        number = _as_number(first)
        return (number, "") if number is not None else (0.0, _as_text(first))

    # Findings without the attribute come last whichever the order, as GuardDuty lists them.
    present = [f for f in findings if _values_at(f, path)]
    absent = [f for f in findings if not _values_at(f, path)]
    return sorted(present, key=key, reverse=order == "DESC") + absent


def _detector_findings(response: Any, detector_id: str) -> list[dict[str, Any]]:
    response.guardduty_backend.get_detector(detector_id)  # raises as GuardDuty does for a stranger's id
    with _lock:
        stored = _findings.get((response.current_account, response.region, detector_id), {})
        return list(stored.values())


def _body(response: Any) -> dict[str, Any]:
    body = json.loads(response.body) if response.body else {}
    return body if isinstance(body, dict) else {}


def _json(body: dict[str, Any]) -> tuple[int, dict[str, str], str]:
    return 200, {"Content-Type": "application/json"}, json.dumps(body)


def _list_findings(self: Any) -> tuple[int, dict[str, str], str]:
    detector_id = self.path.split("/")[-2]
    body = _body(self)
    max_results = int(body.get("maxResults") or MAX_RESULTS)
    if not 1 <= max_results <= MAX_RESULTS:
        raise _bad_request(f"The request is rejected because maxResults must be between 1 and {MAX_RESULTS}.")
    criteria = (body.get("findingCriteria") or {}).get("criterion") or {}
    matching = [
        f
        for f in _detector_findings(self, detector_id)
        if all(_matches(f, field, condition) for field, condition in criteria.items())
    ]
    matching = _sorted(matching, body.get("sortCriteria"))
    token = str(body.get("nextToken") or "0")
    if not token.isdigit():
        raise _bad_request("The request is rejected because the nextToken is invalid.")
    offset = int(token)
    page = matching[offset : offset + max_results]
    result: dict[str, Any] = {"findingIds": [f["id"] for f in page]}
    if offset + max_results < len(matching):
        result["nextToken"] = str(offset + max_results)
    return _json(result)


def _get_findings(self: Any) -> tuple[int, dict[str, str], str]:
    detector_id = self.path.split("/")[-3]
    body = _body(self)
    wanted = list(body.get("findingIds") or [])
    if not 1 <= len(wanted) <= MAX_RESULTS:
        raise _bad_request(f"The request is rejected because findingIds must hold 1 to {MAX_RESULTS} ids.")
    by_id = {f["id"]: f for f in _detector_findings(self, detector_id)}
    found = [by_id[i] for i in dict.fromkeys(wanted) if i in by_id]
    if body.get("sortCriteria"):
        found = _sorted(found, body["sortCriteria"])
    return _json({"findings": found})


def apply() -> None:
    from moto.guardduty import urls
    from moto.guardduty.responses import GuardDutyResponse

    if _applied:
        return
    # The routes must exist before moto builds GuardDuty's app (at its first request).
    for route in _ROUTES:
        urls.url_paths.setdefault(route, GuardDutyResponse.dispatch)
    install(GuardDutyResponse, "list_findings", _list_findings)
    install(GuardDutyResponse, "get_findings", _get_findings)
    _applied.append(True)


def reset() -> None:
    with _lock:
        _findings.clear()


class InstanceTarget(StrictPayload):
    kind: Literal["instance"]
    instance_id: str


class AccessKeyTarget(StrictPayload):
    """Credentials of a role session used where they should not be (e.g. outside AWS)."""

    kind: Literal["access_key"]
    role_name: str
    session_name: str = "i-0123456789abcdef0"
    access_key_id: str = "ASIAEXAMPLEACCESSKEY"


class EcsTaskTarget(StrictPayload):
    """A task of an ECS service (GuardDuty Runtime Monitoring names the service in the task group)."""

    kind: Literal["ecs_task"]
    cluster: str
    service: str


class RdsTarget(StrictPayload):
    kind: Literal["rds_instance"]
    db_instance: str


Target = Annotated[InstanceTarget | AccessKeyTarget | EcsTaskTarget | RdsTarget, Field(discriminator="kind")]


class GuardDutyFindingPayload(StrictPayload):
    # ThreatPurpose:ResourceTypeAffected/ThreatFamilyName.DetectionMechanism!Artifact
    type: str = Field(pattern=r"^[A-Za-z]+:[A-Za-z0-9]+/[A-Za-z0-9._!-]+$")
    severity: float = Field(ge=1.0, le=10.0)
    title: str = Field(min_length=1)
    description: str = ""
    created_at: datetime
    updated_at: datetime | None = None
    count: int = Field(default=1, ge=1)
    archived: bool = False
    finding_id: str | None = Field(default=None, pattern=r"^[a-z0-9]{1,64}$")
    detector_id: str | None = None
    resource: Target

    @model_validator(mode="after")
    def _updated_after_created(self) -> GuardDutyFindingPayload:
        if self.updated_at is not None and as_utc(self.updated_at) < as_utc(self.created_at):
            raise ValueError("updated_at is before created_at")
        return self


def _instance_details(account_id: str, region: str, target: InstanceTarget) -> dict[str, Any]:
    from moto.ec2.exceptions import InvalidInstanceIdError
    from moto.ec2.models import ec2_backends

    try:
        instance = ec2_backends[account_id][region].get_instance(target.instance_id)
    except InvalidInstanceIdError:
        raise ValueError(f"field 'resource.instance_id': no instance {target.instance_id!r} here") from None
    interfaces = [
        {
            "networkInterfaceId": eni.id,
            "privateIpAddress": eni.private_ip_address,
            "subnetId": eni.subnet.id,
            "vpcId": eni.subnet.vpc_id,
            "securityGroups": [{"groupId": g.id, "groupName": g.name} for g in eni.group_set],
        }
        for eni in instance.network_interfaces
    ]
    return {
        "resourceType": "Instance",
        "instanceDetails": {
            "instanceId": instance.id,
            "instanceType": instance.instance_type,
            "instanceState": instance.instance_state.name,
            "imageId": instance.image_id,
            "availabilityZone": instance.availability_zone,
            "launchTime": _wire_time(instance.launch_time),
            "networkInterfaces": interfaces,
        },
    }


def _access_key_details(account_id: str, target: AccessKeyTarget) -> dict[str, Any]:
    from moto.iam.exceptions import NotFoundException
    from moto.iam.models import iam_backends

    try:
        role = iam_backends[account_id]["aws"].get_role(target.role_name)
    except NotFoundException:
        raise ValueError(f"field 'resource.role_name': no role {target.role_name!r} here") from None
    return {
        "resourceType": "AccessKey",
        "accessKeyDetails": {
            "accessKeyId": target.access_key_id,
            "principalId": f"{role.id}:{target.session_name}",
            "userName": role.name,
            "userType": "AssumedRole",
        },
    }


def _ecs_details(account_id: str, region: str, target: EcsTaskTarget) -> dict[str, Any]:
    from moto.ecs.models import ecs_backends

    backend = ecs_backends[account_id][region]
    cluster = backend.clusters.get(target.cluster)
    service = backend.services.get(f"{target.cluster}:{target.service}")
    if cluster is None or service is None:
        raise ValueError(f"field 'resource': no ECS service {target.service!r} in cluster {target.cluster!r}")
    task_id = uuid.uuid4().hex
    return {
        "resourceType": "ECSCluster",
        "ecsClusterDetails": {
            "name": cluster.name,
            "arn": cluster.arn,
            "status": "ACTIVE",
            "taskDetails": {
                "arn": f"arn:aws:ecs:{region}:{account_id}:task/{cluster.name}/{task_id}",
                "definitionArn": service.task_definition,
                "group": f"service:{service.name}",
                "launchType": service.launch_type or "FARGATE",
            },
        },
    }


def _rds_details(account_id: str, region: str, target: RdsTarget) -> dict[str, Any]:
    from moto.rds.models import rds_backends

    database = rds_backends[account_id][region].databases.get(target.db_instance)
    if database is None:
        raise ValueError(f"field 'resource.db_instance': no DB instance {target.db_instance!r} here")
    return {
        "resourceType": "RDSDBInstance",
        "rdsDbInstanceDetails": {
            "dbInstanceIdentifier": database.db_instance_identifier,
            "engine": database.engine,
            "engineVersion": database.engine_version,
            "dbInstanceArn": database.arn,
        },
    }


def _resource(account_id: str, region: str, target: Any) -> dict[str, Any]:
    if isinstance(target, InstanceTarget):
        return _instance_details(account_id, region, target)
    if isinstance(target, AccessKeyTarget):
        return _access_key_details(account_id, target)
    if isinstance(target, EcsTaskTarget):
        return _ecs_details(account_id, region, target)
    return _rds_details(account_id, region, target)


def _inject_finding(request: InjectRequest) -> dict[str, Any]:
    from moto.guardduty.models import guardduty_backends

    payload = parse_payload(GuardDutyFindingPayload, request.payload, "guardduty_finding")
    account_id, region = request.account_id, request.region
    detectors = list(guardduty_backends[account_id][region].detectors)
    detector_id = payload.detector_id or (detectors[0] if detectors else None)
    if detector_id is None or detector_id not in detectors:
        raise ValueError("field 'detector_id': no such GuardDuty detector in this account and region")
    finding_id = payload.finding_id or uuid.uuid4().hex
    updated = payload.updated_at or payload.created_at
    finding = {
        "accountId": account_id,
        "arn": f"arn:aws:guardduty:{region}:{account_id}:detector/{detector_id}/finding/{finding_id}",
        "createdAt": _wire_time(payload.created_at),
        "description": payload.description or payload.title,
        "id": finding_id,
        "partition": "aws",
        "region": region,
        "resource": _resource(account_id, region, payload.resource),
        "schemaVersion": "2.0",
        "service": {
            "serviceName": "guardduty",
            "detectorId": detector_id,
            "archived": payload.archived,
            "count": payload.count,
            "eventFirstSeen": _wire_time(payload.created_at),
            "eventLastSeen": _wire_time(updated),
            "resourceRole": "TARGET",
        },
        "severity": payload.severity,
        "title": payload.title,
        "type": payload.type,
        "updatedAt": _wire_time(updated),
    }
    with _lock:
        _findings.setdefault((account_id, region, detector_id), {})[finding_id] = finding
    return {"recorded": {"id": finding_id, "arn": finding["arn"], "detector_id": detector_id}}


INJECTORS: dict[str, Injector] = {"guardduty_finding": _inject_finding}
