"""Inject a scenario into the simulated account through AWS APIs and the simulator's own API.

Everything is placed relative to `now`: the alarm fires now, the fault began
`onset_minutes_ago` earlier, and 3.5 hours of ordinary telemetry precede it.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cloudwarden.simulator import baseline_logs, extra_fleet, telemetry
from cloudwarden.simulator.alarms import alarm_name
from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.scenario import ChangeEffect, Effects, Scenario
from cloudwarden.simulator.workload import ADMIN_ACTOR, Workload, register_task_definition

HISTORY_MINUTES = 215
LOG_BATCH = 5000


@dataclass(frozen=True)
class Injection:
    scenario: str
    alarm_name: str
    onset: datetime
    now: datetime
    truth_resource: str
    truth_fault: str
    transitions: list[dict[str, Any]]


def _combined(scenario: Scenario) -> Effects:
    f, d = scenario.fault, scenario.distractors
    return Effects(
        metrics=[*f.metrics, *d.metrics],
        logs=[*f.logs, *d.logs],
        changes=[*f.changes, *d.changes],
        stopped_tasks=[*f.stopped_tasks, *d.stopped_tasks],
        service_events=[*f.service_events, *d.service_events],
        rds_events=[*f.rds_events, *d.rds_events],
        instance_status=[*f.instance_status, *d.instance_status],
    )


def _perform_change(sim: SimulatorClient, w: Workload, change: ChangeEffect, at: datetime) -> None:
    actor = change.actor.format(account=w.account_id)

    def c(service: str) -> Any:
        return sim.acting_client(service, at=at, actor=actor)

    target, params = change.target, change.params
    if change.action == "deploy_new_revision":
        logical = target.split(":", 1)[1]
        ecs = c("ecs")
        current = ecs.describe_task_definition(taskDefinition=w.ids[f"task_definition:{logical}"])[
            "taskDefinition"
        ]
        container = current["containerDefinitions"][0]
        image = container["image"].rsplit(":", 1)[0] + ":" + params["image_tag"]
        environment = [
            e for e in container.get("environment", []) if e["name"] not in params.get("environment", {})
        ]
        environment += [{"name": k, "value": str(v)} for k, v in params.get("environment", {}).items()]
        options = container["logConfiguration"]["options"]
        new_td = register_task_definition(
            ecs,
            family=current["family"],
            image=image,
            environment=environment,
            secrets=container.get("secrets", []),
            task_role=current["taskRoleArn"],
            execution_role=current["executionRoleArn"],
            log_group=options["awslogs-group"],
            region=w.region,
            port=(container.get("portMappings") or [{}])[0].get("containerPort"),
        )
        ecs.update_service(
            cluster=w.ids["cluster"], service=w.ids[f"service:{logical}"], taskDefinition=new_td
        )
        sim.inject(
            "ecs_deployment",
            account_id=w.account_id,
            payload={
                "cluster": w.ids["cluster"],
                "service": w.ids[f"service:{logical}"],
                "task_definition": new_td,
                "created_at": at.isoformat(),
                "rollout_state": params.get("rollout_state", "IN_PROGRESS"),
                "desired_count": params.get("desired_count", 4),
                "running_count": params.get("running_count", 4),
                "failed_tasks": params.get("failed_tasks", 0),
            },
        )
        w.ids[f"task_definition:{logical}"] = new_td
    elif change.action == "set_function_concurrency":
        c("lambda").put_function_concurrency(
            FunctionName=w.ref(target).rsplit(":", 1)[-1], ReservedConcurrentExecutions=int(params["value"])
        )
    elif change.action == "revoke_ingress":
        group_id = w.ids[f"sg:{target.split(':', 1)[1]}"]
        source = w.ids[f"sg:{params['from_group']}"]
        c("ec2").revoke_security_group_ingress(
            GroupId=group_id,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": int(params["port"]),
                    "ToPort": int(params["port"]),
                    "UserIdGroupPairs": [{"GroupId": source}],
                }
            ],
        )
    elif change.action == "detach_role_policy":
        c("iam").detach_role_policy(
            RoleName=w.ref(target).rsplit("/", 1)[-1], PolicyArn=w.ids[params["policy"]]
        )
    elif change.action == "set_desired_count":
        logical = target.split(":", 1)[1]
        c("ecs").update_service(
            cluster=w.ids["cluster"], service=w.ids[f"service:{logical}"], desiredCount=int(params["count"])
        )
    elif change.action == "put_parameter":
        c("ssm").put_parameter(Name=params["name"], Value=str(params["value"]), Type="String", Overwrite=True)
    elif change.action == "update_function_configuration":
        lam = c("lambda")
        name = w.ref(target).rsplit(":", 1)[-1]
        variables = (
            lam.get_function_configuration(FunctionName=name).get("Environment", {}).get("Variables", {})
        )
        variables.update({k: str(v) for k, v in params.get("environment", {}).items()})
        lam.update_function_configuration(FunctionName=name, Environment={"Variables": variables})
    elif change.action in ("deny_in_queue_policy", "deny_in_key_policy"):
        # A resource-based policy that now denies one role an action (params: role, api_action).
        statement = {
            "Effect": "Deny",
            "Principal": {"AWS": w.ref(f"iam_role:{params['role']}")},
            "Action": params["api_action"],
            "Resource": w.ref(target),
        }
        policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
        if change.action == "deny_in_queue_policy":
            c("sqs").set_queue_attributes(QueueUrl=w.ids["queue_url"], Attributes={"Policy": policy})
        else:
            c("kms").put_key_policy(KeyId=w.ref(target), PolicyName="default", Policy=policy)
    elif change.action == "modify_health_check":
        # ModifyTargetGroup with health check settings (params: path, port, matcher, thresholds).
        names = {
            "path": "HealthCheckPath",
            "port": "HealthCheckPort",
            "interval": "HealthCheckIntervalSeconds",
            "healthy_threshold": "HealthyThresholdCount",
            "unhealthy_threshold": "UnhealthyThresholdCount",
        }
        settings: dict[str, Any] = {names[k]: v for k, v in params.items() if k in names}
        if "port" in settings:
            settings["HealthCheckPort"] = str(settings["HealthCheckPort"])
        if "matcher" in params:
            settings["Matcher"] = {"HttpCode": str(params["matcher"])}
        c("elbv2").modify_target_group(TargetGroupArn=w.ref(target), **settings)
    elif change.action == "disable_key":
        c("kms").disable_key(KeyId=w.ref(target).rsplit("/", 1)[-1])
    elif change.action == "schedule_key_deletion":
        c("kms").schedule_key_deletion(
            KeyId=w.ref(target).rsplit("/", 1)[-1], PendingWindowInDays=int(params.get("days", 7))
        )
    elif change.action == "put_secret_value":
        c("secretsmanager").put_secret_value(
            SecretId=w.ref(target), SecretString=json.dumps({"password": params.get("password", "r" * 24)})
        )


def _render(text: str | None, w: Workload, rng: random.Random, moment: datetime) -> str | None:
    """A reason or message with the workload's names filled in ({account}, {region}, ...)."""
    return telemetry.render_line(text, w, rng, moment) if text and "{" in text else text


def _put_logs(
    sim: SimulatorClient, w: Workload, events: dict[str, list[tuple[datetime, str]]], rng: random.Random
) -> None:
    logs = sim.client("logs")
    for group, items in events.items():
        items.sort(key=lambda item: item[0])
        streams: dict[str, list[dict[str, Any]]] = {}
        for moment, message in items:
            stream = f"app/{group.rsplit('/', 1)[-1]}/{rng.choice(['4f1c9a0e', 'b7d2e611', '0ac94d3f'])}"
            streams.setdefault(stream, []).append(
                {"timestamp": int(moment.timestamp() * 1000), "message": message}
            )
        for stream, batch in streams.items():
            logs.create_log_stream(logGroupName=group, logStreamName=stream)
            for offset in range(0, len(batch), LOG_BATCH):
                logs.put_log_events(
                    logGroupName=group, logStreamName=stream, logEvents=batch[offset : offset + LOG_BATCH]
                )


def _routine_activity(
    sim: SimulatorClient, w: Workload, *, start: datetime, now: datetime, rng: random.Random
) -> None:
    """Ordinary writes seen in every account's CloudTrail: autoscaling, log streams, parameters."""
    autoscaling = f"arn:aws:sts::{w.account_id}:assumed-role/AWSServiceRoleForApplicationAutoScaling_ECSService/AutoScaling"
    moment = start + timedelta(minutes=rng.randint(5, 20))
    count = 2
    while moment < now - timedelta(minutes=40):
        count = 3 if count == 2 else 2
        sim.acting_client("ecs", at=moment, actor=autoscaling).update_service(
            cluster=w.ids["cluster"], service=w.ids["service:worker"], desiredCount=count
        )
        sim.acting_client(
            "ssm", at=moment + timedelta(minutes=3), actor=ADMIN_ACTOR.format(account=w.account_id)
        ).put_parameter(
            Name="/storefront/feature-flags/banner",
            Value=rng.choice(["on", "off"]),
            Type="String",
            Overwrite=True,
        )
        moment += timedelta(minutes=rng.randint(35, 55))


def inject(
    sim: SimulatorClient, w: Workload, scenario: Scenario, *, now: datetime | None = None, seed: int = 7
) -> Injection:
    now = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    onset = now - timedelta(minutes=scenario.onset_minutes_ago)
    start = now - timedelta(minutes=HISTORY_MINUTES)
    rng = random.Random(seed)
    effects = _combined(scenario)

    _routine_activity(sim, w, start=start, now=now, rng=rng)
    sim.inject(
        "guardduty_finding",
        account_id=w.account_id,
        payload={
            "type": "Discovery:IAMUser/AnomalousBehavior",
            "severity": 2.0,
            "title": "APIs commonly used in discovery tactics were invoked by a task role.",
            "created_at": (now - timedelta(minutes=rng.randint(70, 150))).isoformat(),
            "resource": {"kind": "access_key", "role_name": "image-resizer-exec"},
        },
    )
    for change in sorted(effects.changes, key=lambda c: c.at):
        _perform_change(sim, w, change, onset + timedelta(minutes=change.at))

    for namespace, data in telemetry.metric_data(
        w, effects.metrics, start=start, onset=onset, end=now, rng=rng
    ).items():
        sim.service_metrics(account_id=w.account_id, namespace=namespace, data=data)

    history_start = -(HISTORY_MINUTES - scenario.onset_minutes_ago)  # minutes relative to onset
    baseline = [e.model_copy(update={"start": history_start}) for e in baseline_logs.BASELINE]
    baseline += extra_fleet.baseline_logs(w, history_start)
    events = telemetry.log_events(w, [*baseline, *effects.logs], onset=onset, end=now, rng=rng)
    _put_logs(sim, w, events, rng)

    for stopped in effects.stopped_tasks:
        logical = stopped.resource.split(":", 1)[1]
        moment = onset + timedelta(minutes=stopped.start)
        while moment < now:
            sim.inject(
                "ecs_task",
                account_id=w.account_id,
                payload={
                    "cluster": w.ids["cluster"],
                    "service": w.ids[f"service:{logical}"],
                    "task_definition": w.ids[f"task_definition:{logical}"],
                    "status": "STOPPED",
                    "started_at": (moment - timedelta(minutes=rng.randint(20, 90))).isoformat()
                    if stopped.started
                    else None,
                    "stopped_at": moment.isoformat(),
                    "stop_code": stopped.stop_code,
                    "stopped_reason": _render(stopped.reason, w, rng, moment),
                    "containers": [
                        {
                            "name": w.ids[f"service:{logical}"],
                            "exit_code": stopped.exit_code,
                            "reason": _render(stopped.container_reason, w, rng, moment),
                        }
                    ],
                },
            )
            moment += timedelta(minutes=stopped.every_minutes)
    for service_event in effects.service_events:
        logical = service_event.resource.split(":", 1)[1]
        moment = onset + timedelta(minutes=service_event.start)
        while moment < now:
            sim.inject(
                "ecs_service_event",
                account_id=w.account_id,
                payload={
                    "cluster": w.ids["cluster"],
                    "service": w.ids[f"service:{logical}"],
                    "created_at": moment.isoformat(),
                    "message": _render(service_event.message, w, rng, moment),
                },
            )
            if service_event.every_minutes is None:
                break
            moment += timedelta(minutes=service_event.every_minutes)
    for event in effects.rds_events:
        sim.inject(
            "rds_event",
            account_id=w.account_id,
            payload={
                "db_instance": w.ref(event.resource).rsplit(":", 1)[-1],
                "date": (onset + timedelta(minutes=event.at)).isoformat(),
                "message": event.message,
                "categories": event.categories,
            },
        )
    for status in effects.instance_status:
        moment = onset + timedelta(minutes=status.at)
        scheduled: list[dict[str, Any]] = []
        if status.event_code:
            scheduled.append(
                {
                    "code": status.event_code,
                    "description": status.event_description,
                    "not_before": (moment + timedelta(minutes=2)).isoformat(),
                }
            )
        sim.inject(
            "ec2_instance_status",
            account_id=w.account_id,
            payload={
                "instance_id": w.ref(status.resource),
                "system_status": status.system_status,
                "instance_status": status.instance_status,
                "since": moment.isoformat(),
                "events": scheduled,
            },
        )
    transitions = sim.inject("evaluate_alarms", account_id=w.account_id, payload={"now": now.isoformat()})
    return Injection(
        scenario=scenario.name,
        alarm_name=alarm_name(scenario.alarm),
        onset=onset,
        now=now,
        truth_resource=w.ref(scenario.truth.resource),
        truth_fault=scenario.truth.fault,
        transitions=list(transitions.get("transitions", [])) if isinstance(transitions, dict) else [],
    )
