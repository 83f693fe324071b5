"""`cloudwarden sim up|onboard|inject|reset`: the simulated AWS account as a standalone process.

With these and the rest of the CLI, the simulated account is onboarded, injected and
investigated with CloudWarden alone, as the README's "simulated account on its own" shows.
"""

from __future__ import annotations

import contextlib
import errno
import signal
import socket
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlsplit

import typer

from cloudwarden.cli import output
from cloudwarden.errors import ConfigurationError, Unreachable, UsageError

if TYPE_CHECKING:
    from cloudwarden.accounts.flows import Connection
    from cloudwarden.simulator.client import SimulatorClient
    from cloudwarden.store.models import Account

Step = Callable[[str], contextlib.AbstractContextManager[Any]]

app = output.sub_app("The simulated AWS account (moto, extended where it is silent).")
SIMULATOR_VARIABLE = "CLOUDWARDEN_SIMULATOR_URL"
READ_ROLE = "CloudWardenReadOnly"
ONBOARD_WAIT_SECONDS = 60  # `sim up &` then `sim onboard`: the workload takes a few seconds


def _endpoint_option(value: str) -> str:
    parts = urlsplit(value.strip())
    try:
        parts.port  # noqa: B018  (raises for a port outside 0-65535)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        valid = False
    if not valid:
        raise typer.BadParameter("must be an http:// or https:// URL, e.g. http://127.0.0.1:5055")
    return value.strip().rstrip("/")


Endpoint = Annotated[
    str,
    typer.Option(
        envvar=SIMULATOR_VARIABLE,
        callback=_endpoint_option,
        help=f"Simulator endpoint (default: {SIMULATOR_VARIABLE})",
    ),
]


@app.command("up")
def up(
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port on 127.0.0.1")] = 5055,
    tick: Annotated[
        float,
        typer.Option(
            min=0, max=3600, help="Seconds between alarm evaluations (0-3600; 0: only on injection)"
        ),
    ] = 10.0,
    enforce_iam: Annotated[
        bool,
        typer.Option(
            "--enforce-iam/--no-enforce-iam",
            help="Authorize CloudWarden's assumed-role session against its role's policies, as AWS does",
        ),
    ] = False,
) -> None:
    """Run the simulated account with the demo workload until interrupted; prints the endpoint."""
    from cloudwarden.simulator import account
    from cloudwarden.simulator.client import SimulatorClient
    from cloudwarden.simulator.server import SimulatorServer

    _require_free_port(port)  # werkzeug would print its own advice and exit
    with output.step("Starting the simulated AWS account"):
        server = SimulatorServer(port=port, tick_seconds=tick, enforce_iam=enforce_iam).start()
    sim = SimulatorClient(server.endpoint)
    with output.step("Deploying the workload and its alarms"):
        w = account.deploy(sim, now=datetime.now(UTC))
    output.out.print(f"Simulated AWS account {w.account_id} at [bold]{server.endpoint}[/bold]")
    output.out.print(f"  export {SIMULATOR_VARIABLE}={server.endpoint}")
    output.out.print(
        "  then `cloudwarden sim onboard`, `cloudwarden sim inject NAME`, `cloudwarden investigate`."
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    server.stop()


@app.command("onboard")
def onboard(
    policy: Annotated[
        str, typer.Option(help="least-privilege (the generated policy), ReadOnlyAccess or ViewOnlyAccess")
    ] = "least-privilege",
    actions: Annotated[
        bool, typer.Option("--actions", help="Deploy with EnableActions=true and register the actions role")
    ] = False,
    json_: output.JsonFlag = False,
) -> None:
    """Register the simulated account, deploy the onboarding stack with its ExternalId, connect.

    Waits (up to a minute) for a `sim up` started just before to finish deploying.

    What a customer does with `cloudwarden connect` and their CloudFormation client, done in the
    simulated account only (CLOUDWARDEN_SIMULATOR_URL); it never touches a real account.
    """
    from cloudwarden.cli.accounts import print_connection

    if policy not in ("least-privilege", "ReadOnlyAccess", "ViewOnlyAccess"):
        raise typer.BadParameter(
            "must be least-privilege, ReadOnlyAccess or ViewOnlyAccess", param_hint="--policy"
        )
    sim = _simulated_account(wait_seconds=ONBOARD_WAIT_SECONDS)
    step: Step = output.quiet_step if json_ else output.step
    account, connection, replaced = _onboard(sim, policy=policy, step=step, actions=actions)
    if replaced and not json_:
        output.console.print("The onboarding stack existed already: it was deployed again with this policy.")
    print_connection(account, connection, as_json=json_)


@app.command("inject")
def inject_scenario(
    name: Annotated[str, typer.Argument(help="Scenario name (cloudwarden demo --list)")],
    endpoint: Endpoint = "http://127.0.0.1:5055",
    seed: Annotated[int, typer.Option(help="Random seed for noise")] = 7,
    json_: output.JsonFlag = False,
) -> None:
    """Inject a scenario into a running simulator; its alarm fires through SNS.

    One scenario at a time: `cloudwarden sim reset` before the next one.
    """
    from cloudwarden.simulator import account, inject, scenario

    try:
        chosen = scenario.get(name)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="NAME") from None
    sim = _reachable(endpoint)
    already = account.injected(sim)
    if already is not None:
        raise UsageError(
            f"scenario {already} is already injected in this simulated account; scenarios change the "
            f"workload, so a second one cannot go on top of it",
            hint="`cloudwarden sim reset` puts the account back as `sim up` deployed it (still onboarded)",
        )
    now = datetime.now(UTC)
    if account.onboarding_topic(sim) is None and not json_:
        output.console.print(
            "No CloudWarden onboarding stack (`cloudwarden sim onboard`): the alarm goes to ops-alerts only."
        )
    w = account.route_alarms(sim, now=now)
    account.mark_injected(sim, chosen.name)  # first: a half-done injection also needs a reset
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
        return
    output.out.print(
        f"Injected {chosen.name}; alarm [bold]{injection.alarm_name}[/bold] fired at {injection.now:%H:%M} UTC."
    )


@app.command("reset")
def reset(json_: output.JsonFlag = False) -> None:
    """Put the simulated account back as `sim up` deployed it, onboarded again if it was."""
    from cloudwarden.simulator import account

    sim = _simulated_account()
    step: Step = output.quiet_step if json_ else output.step
    onboarded = account.onboarding_topic(sim) is not None
    with step("Resetting the simulated account and deploying the workload again"):
        account.reset(sim, now=datetime.now(UTC))
    connected = False
    if onboarded:
        _, connection, _ = _onboard(sim, policy="least-privilege", step=step)
        connection.raise_for_error()
        connected = True
    if json_:
        output.print_json({"reset": True, "onboarded": connected})
    else:
        output.out.print(
            "The simulated account is as `sim up` left it" + (", onboarded." if connected else ".")
        )


def _require_free_port(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise UsageError(
                    f"port {port} is already in use", hint="choose another with --port"
                ) from None
            raise UsageError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}") from None


def _simulated_account(*, wait_seconds: float = 0) -> SimulatorClient:
    from cloudwarden.config import get_settings

    settings = get_settings()
    if not settings.simulator_url:
        raise ConfigurationError(
            f"{SIMULATOR_VARIABLE} is not set: this command works on the simulated account only",
            hint=f"export {SIMULATOR_VARIABLE}=<the endpoint `cloudwarden sim up` printed>",
        )
    return _reachable(settings.simulator_url, wait_seconds=wait_seconds)


def _reachable(endpoint: str, *, wait_seconds: float = 0) -> SimulatorClient:
    """The simulated account at `endpoint`, once `sim up` has deployed it (waiting up to `wait_seconds`)."""
    import time

    from botocore.exceptions import BotoCoreError, ClientError

    from cloudwarden.simulator import account
    from cloudwarden.simulator.client import SimulatorClient

    sim = SimulatorClient(endpoint)
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            if account.deployed(sim):
                return sim
            problem = "it is still deploying the workload"
        except (BotoCoreError, ClientError) as exc:
            problem = type(exc).__name__
        if time.monotonic() >= deadline:
            raise Unreachable(
                f"cannot reach the simulated account at {endpoint}: {problem}",
                hint=f"is `cloudwarden sim up` running there? ({SIMULATOR_VARIABLE})",
            )
        time.sleep(0.5)


def _onboard(
    sim: SimulatorClient, *, policy: str, step: Step, actions: bool = False
) -> tuple[Account, Connection, bool]:
    """Register (or find) the account for the simulated role, deploy its stack, route, connect."""
    from cloudwarden import runtime
    from cloudwarden.accounts import flows
    from cloudwarden.aws.session import SessionBroker
    from cloudwarden.config import get_settings
    from cloudwarden.simulator import account as sim_account
    from cloudwarden.simulator.onboarding import (
        DEFAULT_STACK_NAME,
        delete_onboarding_stack,
        deploy_onboarding_stack,
    )
    from cloudwarden.store import service as store

    settings = get_settings()
    aws_account = sim.client("sts").get_caller_identity()["Account"]
    role_arn = f"arn:aws:iam::{aws_account}:role/{READ_ROLE}"
    factory = runtime.open_store(settings)
    with factory.begin() as db:
        registered, _ = flows.register(
            db=db,
            actor=runtime.local_actor(),
            workspace_id=runtime.LOCAL_WORKSPACE_ID,
            role_arn=role_arn,
            region=sim.region,
            name="simulated",
        )
        external_id, account_id = registered.external_id, registered.id
    replaced = sim_account.onboarding_topic(sim) is not None
    with step("Deploying the onboarding stack with the account's ExternalId, as the customer would"):
        if replaced:
            delete_onboarding_stack(sim, DEFAULT_STACK_NAME)
        outputs = deploy_onboarding_stack(
            sim,
            principal_arn=settings.principal_arn,
            external_id=external_id,
            policy_mode=policy,  # type: ignore[arg-type]
            enable_actions=actions,
        )
        sim_account.route_alarms(sim, now=datetime.now(UTC))
    with factory.begin() as db:
        flows.set_actions_role(
            db=db,
            actor=runtime.local_actor(),
            account=store.require_account(
                db=db, workspace_id=runtime.LOCAL_WORKSPACE_ID, account_id=account_id
            ),
            actions_role_arn=outputs.actions_role_arn,
        )
    with step("AssumeRole with the ExternalId, then probing permissions"), factory.begin() as db:
        registered = store.require_account(
            db=db, workspace_id=runtime.LOCAL_WORKSPACE_ID, account_id=account_id
        )
        connection = flows.connect(db=db, broker=SessionBroker(settings), account=registered, probe=True)
    return registered, connection, replaced
