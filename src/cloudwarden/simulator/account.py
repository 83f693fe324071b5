"""The simulated account as `cloudwarden sim` runs it: deployed, onboarded, injected, reset.

The workload and its alarms are deployed by `sim up` and again by `reset`; one scenario at a
time is injected into it (a second would collide with the first's changes, so `injected`
names the one in place and the CLI refuses until a reset). The marker lives in the simulated
account itself (an SSM parameter CloudWarden never reads), so every `sim` command sees it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from botocore.exceptions import ClientError

from cloudwarden.simulator import alarms, workload, workload_lookup
from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.onboarding import DEFAULT_STACK_NAME

OPS_TOPIC = "ops-alerts"
INJECTED_MARKER = "/cloudwarden-sim/injected-scenario"
READY_MARKER = "/cloudwarden-sim/deployed"  # written last by `deploy`


def deploy(sim: SimulatorClient, *, now: datetime) -> workload.Workload:
    """The demo workload and its alarms (to the ops topic), as `sim up` starts with."""
    w = workload.deploy_workload(sim, now=now)
    topic = sim.client("sns").create_topic(Name=OPS_TOPIC)["TopicArn"]
    alarms.create_alarms(sim, w, topic_arns=[topic], at=now - timedelta(days=1))
    sim.client("ssm").put_parameter(Name=READY_MARKER, Value=now.isoformat(), Type="String", Overwrite=True)
    return w


def deployed(sim: SimulatorClient) -> bool:
    """Whether `deploy` has finished (False while `sim up` is still deploying)."""
    try:
        sim.client("ssm").get_parameter(Name=READY_MARKER)
    except ClientError:
        return False
    return True


def alarm_topics(sim: SimulatorClient) -> list[str]:
    """Where the alarms go: the ops topic and, once onboarded, CloudWarden's alerts topic."""
    topics = [t["TopicArn"] for t in sim.client("sns").list_topics()["Topics"]]
    chosen = [t for t in topics if t.endswith(f":{OPS_TOPIC}")]
    alerts = onboarding_topic(sim)
    return chosen + ([alerts] if alerts else [])


def onboarding_topic(sim: SimulatorClient) -> str | None:
    try:
        stack = sim.client("cloudformation").describe_stacks(StackName=DEFAULT_STACK_NAME)["Stacks"][0]
    except ClientError:
        return None
    return next(
        (o["OutputValue"] for o in stack.get("Outputs", []) if o["OutputKey"] == "AlertsTopicArn"), None
    )


def route_alarms(sim: SimulatorClient, *, now: datetime) -> workload.Workload:
    """Point every alarm at the ops topic and CloudWarden's alerts topic (if onboarded)."""
    w = workload_lookup.discover(sim)
    alarms.create_alarms(sim, w, topic_arns=alarm_topics(sim), at=now - timedelta(days=1))
    return w


def injected(sim: SimulatorClient) -> str | None:
    try:
        value: str = sim.client("ssm").get_parameter(Name=INJECTED_MARKER)["Parameter"]["Value"]
    except ClientError:
        return None
    return value


def mark_injected(sim: SimulatorClient, name: str) -> None:
    sim.client("ssm").put_parameter(Name=INJECTED_MARKER, Value=name, Type="String", Overwrite=True)


def reset(sim: SimulatorClient, *, now: datetime) -> workload.Workload:
    """Wipe the simulated account (moto and CloudWarden's extensions) and deploy it again."""
    sim.reset()
    return deploy(sim, now=now)
