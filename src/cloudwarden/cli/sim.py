"""`cloudwarden sim up|inject|list`: the simulated AWS account as a standalone process."""

from __future__ import annotations

import contextlib
import signal
import threading
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from cloudwarden.cli import output

app = output.sub_app("The simulated AWS account (moto, extended where it is silent).")
ONBOARDING_STACK = "CloudWardenOnboarding"


@app.command("up")
def up(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1")] = 5055,
    tick: Annotated[float, typer.Option(help="Seconds between alarm evaluations")] = 10.0,
) -> None:
    """Run the simulated account with the demo workload until interrupted; prints the endpoint."""
    from cloudwarden.simulator import alarms, workload
    from cloudwarden.simulator.client import SimulatorClient
    from cloudwarden.simulator.server import SimulatorServer

    with output.step("Starting the simulated AWS account"):
        server = SimulatorServer(port=port, tick_seconds=tick).start()
    sim = SimulatorClient(server.endpoint)
    now = datetime.now(UTC)
    with output.step("Deploying the workload and its alarms"):
        w = workload.deploy_workload(sim, now=now)
        topic = sim.client("sns").create_topic(Name="ops-alerts")["TopicArn"]
        alarms.create_alarms(sim, w, topic_arns=[topic], at=now - timedelta(days=1))
    output.out.print(f"Simulated AWS account {w.account_id} at [bold]{server.endpoint}[/bold]")
    output.out.print(f"  export CLOUDWARDEN_SIMULATOR_URL={server.endpoint}")
    output.out.print(
        "  then deploy `cloudwarden iam-template` into it, `cloudwarden connect`, `cloudwarden sim inject NAME`."
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    server.stop()


@app.command("inject")
def inject_scenario(
    name: Annotated[str, typer.Argument(help="Scenario name (cloudwarden demo --list)")],
    endpoint: Annotated[
        str, typer.Option(envvar="CLOUDWARDEN_SIMULATOR_URL", help="Simulator endpoint")
    ] = "http://127.0.0.1:5055",
    seed: Annotated[int, typer.Option(help="Random seed for noise")] = 7,
    json_: output.JsonFlag = False,
) -> None:
    """Inject a scenario into a running simulator; its alarm fires through SNS."""
    from botocore.exceptions import ClientError

    from cloudwarden.simulator import alarms, inject, scenario, workload_lookup
    from cloudwarden.simulator.client import SimulatorClient

    try:
        chosen = scenario.get(name)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="NAME") from None
    sim = SimulatorClient(endpoint)
    now = datetime.now(UTC)
    w = workload_lookup.discover(sim)
    topics = [
        t["TopicArn"]
        for t in sim.client("sns").list_topics()["Topics"]
        if t["TopicArn"].endswith(":ops-alerts")
    ]
    try:
        stack = sim.client("cloudformation").describe_stacks(StackName=ONBOARDING_STACK)["Stacks"][0]
        topics += [o["OutputValue"] for o in stack.get("Outputs", []) if o["OutputKey"] == "AlertsTopicArn"]
    except ClientError:  # no onboarding stack deployed yet
        output.console.print(
            "[yellow]No CloudWarden onboarding stack: the alarm goes to ops-alerts only.[/yellow]"
        )
    alarms.create_alarms(sim, w, topic_arns=topics, at=now - timedelta(days=1))
    injection = inject.inject(sim, w, chosen, now=now, seed=seed)
    if json_:
        output.print_json(
            {
                "scenario": chosen.name,
                "alarm": injection.alarm_name,
                "onset": injection.onset,
                "transitions": injection.transitions,
            }
        )
    else:
        output.out.print(
            f"Injected {chosen.name}; alarm [bold]{injection.alarm_name}[/bold] fired at {injection.now:%H:%M} UTC."
        )
