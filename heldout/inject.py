"""Play a held-out incident into the simulated account through AWS APIs and the simulator's API.

The alarm fires at `now`; the fault began `onset_minutes_ago` earlier; 3.5 hours of ordinary
telemetry (and routine CloudTrail activity) come before it.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cloudwarden.simulator.client import SimulatorClient
from heldout import baseline, telemetry
from heldout.model import ChangeEffect, Effects, Incident
from heldout.topology import (
    ADMIN,
    CLUSTER,
    FUNCTIONS,
    MYSQL_PARAMS,
    PG_PARAMS,
    Topology,
    function_zip,
    register_task_definition,
)

HISTORY_MINUTES = 210
METRIC_BATCH = 1000
LOG_BATCH = 5000
AUTOSCALING = (
    "arn:aws:sts::{account}:assumed-role/AWSServiceRoleForApplicationAutoScaling_ECSService/AutoScaling"
)
CI_ROLE = "arn:aws:sts::{account}:assumed-role/vc-github-deployer/GitHubActions"


@dataclass(frozen=True)
class Played:
    alarm_name: str
    onset: datetime
    now: datetime
    truth: list[tuple[str, str]]  # (resource key, fault); empty: no fault
    transitions: list[dict[str, Any]]


def _combined(incident: Incident) -> Effects:
    f, d = incident.fault, incident.decoys
    return Effects(
        silence=[*f.silence, *d.silence],
        metrics=[*f.metrics, *d.metrics],
        logs=[*f.logs, *d.logs],
        changes=[*f.changes, *d.changes],
        stopped_tasks=[*f.stopped_tasks, *d.stopped_tasks],
        service_events=[*f.service_events, *d.service_events],
        rds_events=[*f.rds_events, *d.rds_events],
        instance_status=[*f.instance_status, *d.instance_status],
    )


def _logical(ref: str) -> str:
    return ref.split(":", 1)[1]


def perform_change(sim: SimulatorClient, t: Topology, change: ChangeEffect, at: datetime) -> None:
    actor = change.actor.format(account=t.account_id)

    def c(service: str, region: str | None = None) -> Any:
        return sim.acting_client(service, at=at, actor=actor, region=region)

    p, target = change.params, change.target
    action = change.action
    if action == "deploy_service":
        logical = _logical(target)
        ecs = c("ecs")
        current = ecs.describe_task_definition(taskDefinition=t.ids[f"task_definition:{logical}"])[
            "taskDefinition"
        ]
        container = current["containerDefinitions"][0]
        image = container["image"].rsplit(":", 1)[0] + ":" + str(p["image_tag"])
        changed_env = {k: str(v) for k, v in (p.get("environment") or {}).items()}
        environment = [e for e in container.get("environment", []) if e["name"] not in changed_env]
        environment += [{"name": k, "value": v} for k, v in changed_env.items()]
        new_td = register_task_definition(
            ecs,
            family=current["family"],
            container=container["name"],
            image=image,
            environment=environment,
            secrets=container.get("secrets", []),
            task_role=current["taskRoleArn"],
            execution_role=current["executionRoleArn"],
            log_group=container["logConfiguration"]["options"]["awslogs-group"],
            region=t.region,
            port=(container.get("portMappings") or [{}])[0].get("containerPort"),
            cpu=str(p.get("cpu", current["cpu"])),
            memory=str(p.get("memory", current["memory"])),
        )
        service = t.ids[f"service:{logical}"]
        ecs.update_service(cluster=t.ids["cluster"], service=service, taskDefinition=new_td)
        desired = int(
            p.get(
                "desired_count",
                ecs.describe_services(cluster=t.ids["cluster"], services=[service])["services"][0][
                    "desiredCount"
                ],
            )
        )
        state = str(p.get("rollout_state", "COMPLETED"))
        sim.inject(
            "ecs_deployment",
            account_id=t.account_id,
            payload={
                "cluster": t.ids["cluster"],
                "service": service,
                "task_definition": new_td,
                "created_at": at.isoformat(),
                "updated_at": (at + timedelta(minutes=int(p.get("settle_minutes", 6)))).isoformat(),
                "rollout_state": state,
                "desired_count": desired,
                "running_count": int(p.get("running_count", desired)),
                "failed_tasks": int(p.get("failed_tasks", 0)),
            },
        )
        t.ids[f"previous_task_definition:{logical}"] = t.ids[f"task_definition:{logical}"]
        t.ids[f"task_definition:{logical}"] = new_td
    elif action == "set_desired_count":
        c("ecs").update_service(
            cluster=t.ids["cluster"],
            service=t.ids[f"service:{_logical(target)}"],
            desiredCount=int(p["count"]),
        )
    elif action == "set_scaling_bounds":
        c("application-autoscaling").register_scalable_target(
            ServiceNamespace="ecs",
            ResourceId=f"service/{CLUSTER}/{t.ids[f'service:{_logical(target)}']}",
            ScalableDimension="ecs:service:DesiredCount",
            MinCapacity=int(p["min"]),
            MaxCapacity=int(p["max"]),
        )
    elif action in ("revoke_ingress", "authorize_ingress"):
        permission = {
            "IpProtocol": "tcp",
            "FromPort": int(p["port"]),
            "ToPort": int(p["port"]),
        }
        if "from_group" in p:
            permission["UserIdGroupPairs"] = [{"GroupId": t.ids[f"sg:{p['from_group']}"]}]
        else:
            permission["IpRanges"] = [{"CidrIp": p["cidr"]}]
        ec2 = c("ec2")
        call = (
            ec2.revoke_security_group_ingress
            if action == "revoke_ingress"
            else ec2.authorize_security_group_ingress
        )
        call(GroupId=t.ids[f"sg:{_logical(target)}"], IpPermissions=[permission])
    elif action == "detach_role_policy":
        # IAM is global: the call goes to us-east-1, where CloudTrail records it.
        c("iam", region="us-east-1").detach_role_policy(
            RoleName=_logical(target), PolicyArn=t.ids[f"policy:{p['policy']}"]
        )
    elif action == "set_function_concurrency":
        c("lambda").put_function_concurrency(
            FunctionName=FUNCTIONS[_logical(target)][0], ReservedConcurrentExecutions=int(p["value"])
        )
    elif action == "update_function_configuration":
        lam = c("lambda")
        name = FUNCTIONS[_logical(target)][0]
        kwargs: dict[str, Any] = {"FunctionName": name}
        if "environment" in p:
            variables = (
                lam.get_function_configuration(FunctionName=name).get("Environment", {}).get("Variables", {})
            )
            variables.update({k: str(v) for k, v in p["environment"].items()})
            kwargs["Environment"] = {"Variables": variables}
        if "memory" in p:
            kwargs["MemorySize"] = int(p["memory"])
        if "timeout" in p:
            kwargs["Timeout"] = int(p["timeout"])
        lam.update_function_configuration(**kwargs)
    elif action == "update_function_code":
        name = FUNCTIONS[_logical(target)][0]
        body = (
            f"# build {p.get('build', 'unknown')}\ndef handler(event, context):\n    return {{'ok': True}}\n"
        )
        c("lambda").update_function_code(FunctionName=name, ZipFile=function_zip(body), Publish=True)
    elif action == "update_event_source_mapping":
        kwargs = {"UUID": t.ids[f"esm:{_logical(target)}"]}
        if "enabled" in p:
            kwargs["Enabled"] = bool(p["enabled"])
        if "batch_size" in p:
            kwargs["BatchSize"] = int(p["batch_size"])
        c("lambda").update_event_source_mapping(**kwargs)
    elif action == "put_secret_value":
        current = json.loads(
            sim.client("secretsmanager").get_secret_value(SecretId=t.ref(target))["SecretString"]
        )
        current["password"] = str(p.get("password", "R" * 30))
        c("secretsmanager").put_secret_value(
            SecretId=t.ref(target),
            SecretString=json.dumps(current),
            VersionStages=["AWSCURRENT"],
        )
    elif action == "modify_db_parameter_group":
        group = MYSQL_PARAMS if _logical(target) == "mysql" else PG_PARAMS
        c("rds").modify_db_parameter_group(
            DBParameterGroupName=group,
            Parameters=[
                {
                    "ParameterName": str(k),
                    "ParameterValue": str(v),
                    "ApplyMethod": p.get("apply", "immediate"),
                }
                for k, v in p["parameters"].items()
            ],
        )
    elif action == "modify_db_instance":
        identifier = t.ref(target).rsplit(":", 1)[-1]
        c("rds").modify_db_instance(DBInstanceIdentifier=identifier, ApplyImmediately=True, **p["settings"])
    elif action == "set_queue_attributes":
        c("sqs").set_queue_attributes(
            QueueUrl=sim.client("sqs").get_queue_url(QueueName=t.ref(target).rsplit(":", 1)[-1])["QueueUrl"],
            Attributes={k: str(v) for k, v in p["attributes"].items()},
        )
    elif action == "put_parameter":
        c("ssm").put_parameter(Name=p["name"], Value=str(p["value"]), Type="String", Overwrite=True)
    elif action == "modify_target_group":
        c("elbv2").modify_target_group(TargetGroupArn=t.ref(target), **p["settings"])
    elif action == "disable_key":
        c("kms").disable_key(KeyId=t.ids[f"key_id:{_logical(target)}"])
    elif action == "schedule_key_deletion":
        c("kms").schedule_key_deletion(
            KeyId=t.ids[f"key_id:{_logical(target)}"], PendingWindowInDays=int(p.get("days", 7))
        )
    elif action == "put_key_policy":  # added for batch5: a key policy rewritten (resource-based)
        document = json.dumps({"Version": "2012-10-17", "Statement": p["statements"]})
        c("kms").put_key_policy(
            KeyId=t.ids[f"key_id:{_logical(target)}"],
            PolicyName="default",
            Policy=document.replace("{account}", t.account_id),
        )
    elif action == "put_role_policy":  # added for batch5: an inline policy put on a role
        document = json.dumps({"Version": "2012-10-17", "Statement": p["statements"]})
        c("iam", region="us-east-1").put_role_policy(
            RoleName=_logical(target),
            PolicyName=str(p["name"]),
            PolicyDocument=document.replace("{account}", t.account_id),
        )
    else:  # pragma: no cover - the model's Literal forbids it
        raise ValueError(f"unknown action {action}")


def _arns(t: Topology, text: str) -> str:
    """Target group ARNs in ECS messages: {tg_gateway}, {tg_quoter}, {tg_matcher} (added for batch5)."""
    for logical in ("gateway", "quoter", "matcher"):
        text = text.replace(f"{{tg_{logical}}}", t.refs.get(f"target_group:{logical}", ""))
    return text


def _routine_activity(
    sim: SimulatorClient, t: Topology, *, start: datetime, now: datetime, rng: random.Random
) -> None:
    """What any account's CloudTrail shows on a quiet evening: autoscaling, flags, a CI parameter."""
    scaler = AUTOSCALING.format(account=t.account_id)
    ci = CI_ROLE.format(account=t.account_id)
    admin = ADMIN.format(account=t.account_id)
    moment = start + timedelta(minutes=rng.randint(4, 15))
    count = 3
    while moment < now - timedelta(minutes=45):
        count = 4 if count == 3 else 3
        sim.acting_client("ecs", at=moment, actor=scaler).update_service(
            cluster=t.ids["cluster"], service=t.ids["service:locator"], desiredCount=count
        )
        sim.acting_client("ssm", at=moment + timedelta(minutes=rng.randint(2, 9)), actor=admin).put_parameter(
            Name="/velocab/dispatch/flags/airport-queue-v2",
            Value=rng.choice(["true", "false"]),
            Type="String",
            Overwrite=True,
        )
        moment += timedelta(minutes=rng.randint(30, 50))
    sim.acting_client("ssm", at=start + timedelta(minutes=rng.randint(20, 60)), actor=ci).put_parameter(
        Name="/velocab/ci/last-green-build",
        Value=f"build-{rng.randint(4000, 4999)}",
        Type="String",
        Overwrite=True,
    )


def _put_logs(
    sim: SimulatorClient, events: dict[str, list[tuple[datetime, str]]], rng: random.Random
) -> None:
    logs = sim.client("logs")
    for group, items in events.items():
        items.sort(key=lambda item: item[0])
        streams: dict[str, list[dict[str, Any]]] = {}
        for moment, message in items:
            if group.startswith("/aws/lambda/"):
                stream = f"{moment:%Y/%m/%d}/[$LATEST]{rng.choice(['9d1f0c2a', '51be77e0', 'c3a8f114'])}"
            elif group.startswith("/aws/rds/"):
                stream = group.split("/")[4]
            else:
                stream = (
                    f"ecs/{group.rsplit('/', 1)[-1]}/{rng.choice(['2c9f41e0a1', '7b03de95c2', 'e18a6f0b44'])}"
                )
            streams.setdefault(stream, []).append(
                {"timestamp": int(moment.timestamp() * 1000), "message": message}
            )
        for stream, batch in streams.items():
            logs.create_log_stream(logGroupName=group, logStreamName=stream)
            for offset in range(0, len(batch), LOG_BATCH):
                logs.put_log_events(
                    logGroupName=group, logStreamName=stream, logEvents=batch[offset : offset + LOG_BATCH]
                )


def play(
    sim: SimulatorClient, t: Topology, incident: Incident, *, now: datetime | None = None, seed: int = 11
) -> Played:
    now = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    onset = now - timedelta(minutes=incident.onset_minutes_ago)
    start = now - timedelta(minutes=HISTORY_MINUTES)
    rng = random.Random(f"{seed}:{incident.name}")
    effects = _combined(incident)

    _routine_activity(sim, t, start=start, now=now, rng=rng)
    for change in sorted(effects.changes, key=lambda ch: ch.at):
        perform_change(sim, t, change, onset + timedelta(minutes=change.at))

    cloudwatch = sim.client("cloudwatch")
    for namespace, data in telemetry.metric_data(
        t, effects.metrics, start=start, onset=onset, end=now, rng=rng
    ).items():
        for offset in range(0, len(data), METRIC_BATCH):
            cloudwatch.put_metric_data(Namespace=namespace, MetricData=data[offset : offset + METRIC_BATCH])

    history = -(HISTORY_MINUTES - incident.onset_minutes_ago)
    routine = [e.model_copy(update={"start": history}) for e in baseline.BASELINE]
    events = telemetry.log_events(t, routine, onset=onset, end=now, rng=rng)
    for quiet in effects.silence:
        begin = onset + timedelta(minutes=quiet.start)
        finish = now if quiet.end is None else onset + timedelta(minutes=quiet.end)
        for group in t.log_groups[quiet.resource]:
            events[group] = [(m, line) for m, line in events.get(group, []) if not begin <= m < finish]
    for group, items in telemetry.log_events(t, effects.logs, onset=onset, end=now, rng=rng).items():
        events.setdefault(group, []).extend(items)
    _put_logs(sim, events, rng)

    for stopped in effects.stopped_tasks:
        logical = _logical(stopped.resource)
        moment = onset + timedelta(minutes=stopped.start)
        last = now if stopped.end is None else min(now, onset + timedelta(minutes=stopped.end))
        revision = t.ids[f"task_definition:{logical}"]
        if stopped.old_revision:
            revision = t.ids.get(f"previous_task_definition:{logical}", revision)
        while moment < last:
            started = (
                None
                if stopped.stop_code == "TaskFailedToStart"
                else moment - timedelta(minutes=rng.randint(8, 70))
            )
            payload: dict[str, Any] = {
                "cluster": t.ids["cluster"],
                "service": t.ids[f"service:{logical}"],
                "task_definition": revision,
                "status": "STOPPED",
                "stopped_at": moment.isoformat(),
                "stop_code": stopped.stop_code,
                "stopped_reason": _arns(t, stopped.reason),
                "containers": [
                    {
                        "name": t.ids[f"service:{logical}"],
                        "exit_code": stopped.exit_code,
                        "reason": stopped.container_reason,
                    }
                ],
            }
            if started is not None:
                payload["started_at"] = started.isoformat()
            sim.inject("ecs_task", account_id=t.account_id, payload=payload)
            moment += timedelta(minutes=stopped.every_minutes)
    for event in effects.service_events:
        sim.inject(
            "ecs_service_event",
            account_id=t.account_id,
            payload={
                "cluster": t.ids["cluster"],
                "service": t.ids[f"service:{_logical(event.resource)}"],
                "created_at": (onset + timedelta(minutes=event.at)).isoformat(),
                "message": _arns(t, event.message).format(
                    service=t.ids[f"service:{_logical(event.resource)}"]
                ),
            },
        )
    for rds_event in effects.rds_events:
        sim.inject(
            "rds_event",
            account_id=t.account_id,
            payload={
                "db_instance": t.ref(rds_event.resource).rsplit(":", 1)[-1],
                "date": (onset + timedelta(minutes=rds_event.at)).isoformat(),
                "message": rds_event.message,
                "categories": rds_event.categories,
            },
        )
    for status in effects.instance_status:
        moment = onset + timedelta(minutes=status.at)
        scheduled = []
        if status.event_code:
            scheduled.append(
                {
                    "code": status.event_code,
                    "description": status.event_description or status.event_code,
                    "not_before": (moment + timedelta(minutes=3)).isoformat(),
                }
            )
        sim.inject(
            "ec2_instance_status",
            account_id=t.account_id,
            payload={
                "instance_id": t.ref(status.resource),
                "system_status": status.system_status,
                "instance_status": status.instance_status,
                "since": moment.isoformat(),
                "events": scheduled,
            },
        )
    transitions = sim.inject("evaluate_alarms", account_id=t.account_id, payload={"now": now.isoformat()})
    return Played(
        alarm_name=telemetry.alarm_name(incident.alarm),
        onset=onset,
        now=now,
        truth=[(t.ref(c.resource), c.fault) for c in incident.causes],
        transitions=list(transitions.get("transitions", [])) if isinstance(transitions, dict) else [],
    )


def create_alarms(sim: SimulatorClient, t: Topology, *, topic_arns: list[str], at: datetime) -> None:
    cloudwatch = sim.acting_client("cloudwatch", at=at, actor=ADMIN.format(account=t.account_id))
    for request in telemetry.alarm_requests(t, topic_arns):
        cloudwatch.put_metric_alarm(**request)
