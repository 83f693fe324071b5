"""End to end: a scenario's alarm, the remediation the diagnosis proposes run through the account's
actions role, and the alarm back to OK, notified through SNS as AWS does."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cloudwarden.actions import specs
from cloudwarden.aws.session import AssumedSession, CallLog, SessionBroker
from cloudwarden.config import DEFAULT_PRINCIPAL, Settings
from cloudwarden.diagnosis.narrate.template import TemplateNarrator
from cloudwarden.incidents import flows as incident_flows
from cloudwarden.simulator import alarms, inject, scenario, workload
from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.inject import Injection
from cloudwarden.simulator.onboarding import deploy_onboarding_stack
from cloudwarden.simulator.patches import ecs_activity
from cloudwarden.simulator.workload import Workload

EXTERNAL_ID = "Qm3vX8tL2pK9wR4yN6bC1dF5gH7jZ0sA9eU3iO2uY4t"


def _subscribed_queue(sim: SimulatorClient) -> tuple[str, str]:
    sns, sqs = sim.client("sns"), sim.client("sqs")
    topic = sns.create_topic(Name="ops-alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="alert-inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    return topic, queue


def _notifications(sim: SimulatorClient, queue: str, alarm: str) -> list[tuple[str, str]]:
    """(old state, new state) of every notification about `alarm` received since the last look."""
    sqs, seen = sim.client("sqs"), list[tuple[str, str]]()
    while True:
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return seen
        for message in messages:
            body: dict[str, Any] = json.loads(json.loads(message["Body"])["Message"])
            if body["AlarmName"] == alarm:
                seen.append((body["OldStateValue"], body["NewStateValue"]))
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])


def _state(sim: SimulatorClient, alarm: str) -> str:
    return str(sim.client("cloudwatch").describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]["StateValue"])


@dataclass
class Incident:
    w: Workload
    injection: Injection
    queue: str
    suggestion: tuple[specs.ActionSpec[Any], specs.ActionParams]  # from the diagnosis's top hypothesis
    actions: AssumedSession  # the account's actions role


def _incident(sim: SimulatorClient, name: str, fault: str) -> Incident:
    """The scenario injected into the onboarded storefront (actions enabled) and investigated."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    w = workload.deploy_workload(sim, now=now)
    outputs = deploy_onboarding_stack(
        sim, principal_arn=DEFAULT_PRINCIPAL, external_id=EXTERNAL_ID, enable_actions=True
    )
    assert outputs.actions_role_arn is not None
    topic, queue = _subscribed_queue(sim)
    alarms.create_alarms(sim, w, topic_arns=[topic], at=now - timedelta(days=1))
    injection = inject.inject(sim, w, scenario.get(name), now=now)
    assert _state(sim, injection.alarm_name) == "ALARM"
    assert _notifications(sim, queue, injection.alarm_name)[-1] == ("OK", "ALARM")
    broker = SessionBroker(Settings(simulator_url=sim.endpoint))
    read = broker.session(role_arn=outputs.read_role_arn, external_id=EXTERNAL_ID, region=w.region)
    found = incident_flows.run(
        read, alarm_name=injection.alarm_name, lookback_minutes=180, narrator=TemplateNarrator()
    )
    top = found.diagnosis.hypotheses[0]
    assert (top.resource, top.fault) == (injection.truth_resource, fault)
    assert top.suggested_action is not None
    actions = broker.session(role_arn=outputs.actions_role_arn, external_id=EXTERNAL_ID, region=w.region)
    assert actions.caller_arn.startswith(f"arn:aws:sts::{w.account_id}:assumed-role/CloudWardenActions/")
    return Incident(w, injection, queue, specs.resolve(top.suggested_action), actions)


def _evaluate(sim: SimulatorClient, incident: Incident, at: datetime) -> list[str]:
    """Time passes in the account: the alarm is evaluated at `at`; its new states."""
    alarm = incident.injection.alarm_name
    payload = {"now": at.isoformat(), "alarm_names": [alarm]}
    answer = sim.inject("evaluate_alarms", account_id=incident.w.account_id, payload=payload)
    return [t["new_state"] for t in answer["transitions"]]


def test_restarting_the_leaking_worker_brings_its_memory_alarm_back_to_ok(sim: SimulatorClient) -> None:
    incident = _incident(sim, "memory_leak", "memory_leak")
    alarm, w = incident.injection.alarm_name, incident.w
    assert alarm == alarms.alarm_name("worker_memory")
    spec, params = incident.suggestion
    assert spec.name == "restart_ecs_service"
    cluster_name = w.ids["cluster"].rsplit("/", 1)[-1]
    assert params.model_dump() == {"cluster": cluster_name, "service": w.ids["service:worker"]}
    log = CallLog()
    clients = specs.session_clients(incident.actions, call_log=log)

    spec.preconditions(clients, params)
    result = spec.execute(clients, params)
    restarted = datetime.now(UTC)

    assert not spec.verify(clients, params, result).done
    ecs_activity.tick(restarted + timedelta(minutes=2))  # ECS completes the rollout
    assert spec.verify(clients, params, result) == specs.Verification(
        True, True, "the new deployment completed: 2/2 tasks running"
    )
    assert log.actions() == set(spec.permissions)
    assert _evaluate(sim, incident, restarted + timedelta(minutes=4)) == ["OK"]
    assert _state(sim, alarm) == "OK"
    assert _notifications(sim, incident.queue, alarm) == [("ALARM", "OK")]


def test_restoring_the_throttled_functions_concurrency_brings_its_alarm_back_to_ok(
    sim: SimulatorClient,
) -> None:
    incident = _incident(sim, "throttling", "throttling")
    alarm = incident.injection.alarm_name
    spec, params = incident.suggestion
    assert spec.name == "set_lambda_concurrency"
    assert params.model_dump()["function_name"] == workload.FUNCTION
    clients = specs.session_clients(incident.actions)

    spec.preconditions(clients, params)
    result = spec.execute(clients, params)
    restored = datetime.now(UTC)

    assert spec.verify(clients, params, result).succeeded
    assert _evaluate(sim, incident, restored + timedelta(minutes=4)) == ["OK"]
    assert _notifications(sim, incident.queue, alarm) == [("ALARM", "OK")]
