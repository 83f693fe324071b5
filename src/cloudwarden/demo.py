"""The demo: onboard a simulated account exactly as a customer would, then diagnose an incident."""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloudwarden import demo_loop as loop
from cloudwarden import runtime
from cloudwarden.accounts import flows as account_flows
from cloudwarden.aws.probe import ProbeResult
from cloudwarden.aws.session import SessionBroker, base_session
from cloudwarden.aws.template import READ_ROLE_NAME
from cloudwarden.config import Settings
from cloudwarden.diagnosis.model import Diagnosis
from cloudwarden.embedded import EmbeddedService
from cloudwarden.errors import CloudWardenError, UsageError
from cloudwarden.evidence.github import TOKEN_OPT_IN
from cloudwarden.evidence.model import EvidenceBundle
from cloudwarden.incidents import flows as incident_flows
from cloudwarden.simulator import alarms, inject, scenario, workload
from cloudwarden.simulator import github as sim_github
from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.onboarding import deploy_onboarding_stack
from cloudwarden.simulator.server import SimulatorServer
from cloudwarden.store import models
from cloudwarden.store import service as store

StepReporter = Callable[[str], contextlib.AbstractContextManager[Any]]
# Adds to the simulated account right after the workload is deployed: (simulator, the run's now).
AccountExtension = Callable[[SimulatorClient, datetime], None]
ALARM_WAIT_SECONDS = 15
INVESTIGATION_WAIT_SECONDS = 120
# The demo's accounts carry this name. The demo retires an earlier demo account of its own in the
# store it is given (the benchmark reuses one throwaway store), and refuses to touch any other.
DEMO_ACCOUNT_NAME = "demo (simulated)"


@dataclass
class DemoRun:
    scenario: scenario.Scenario
    injection: inject.Injection
    account_id: str
    role_arn: str
    incident_id: str
    diagnosis: Diagnosis
    bundle: EvidenceBundle
    probe: list[ProbeResult]
    aws_calls_by_action: dict[str, int]
    time_to_diagnosis_ms: int
    deliveries: list[dict[str, str]] = field(default_factory=list)  # channel, recipient, kind, status
    remediation: dict[str, Any] | None = None  # action, consent, executed, recovered
    posture: dict[str, Any] | None = None  # the account's posture audit: scores, counts, top failures

    def truth(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario.name,
            "resource": self.injection.truth_resource,
            "fault": self.injection.truth_fault,
            "onset": self.injection.onset.isoformat(),
        }

    def correct(self) -> bool:
        top = self.diagnosis.hypotheses[0] if self.diagnosis.hypotheses else None
        return bool(
            top and top.resource == self.injection.truth_resource and top.fault == self.injection.truth_fault
        )


def run_demo(
    scenario_name: str,
    *,
    settings: Settings,
    step: StepReporter = contextlib.nullcontext,
    server: SimulatorServer | None = None,
    seed: int = 7,
    chosen: scenario.Scenario | None = None,
    github: bool = False,
    beside_workload: AccountExtension | None = None,
    deliver: bool = False,
    posture: bool = False,
    approver: loop.Approver | None = None,
) -> DemoRun:
    """Run the journey for the shipped scenario `scenario_name`, or for `chosen` (a variant).

    CloudWarden runs in this process as the service (`embedded.py`): the alarm reaches its SNS
    intake, the investigation runs as a task. `deliver`: the rest of the on-call loop too (a
    WhatsApp channel on the local stand-in, the diagnosis delivered, the proposed remediation
    approved by a button reply, executed through the actions role, the recovery reported).

    `github`: the customer also opts in to GitHub evidence (a token secret, the template's
    GitHubTokenSecretArn parameter, CloudWarden's GitHub settings), against the simulator's
    stand-in for GitHub's compare API. `beside_workload(sim, now)` adds to the account right
    after the workload is deployed (the benchmark's unrelated resources), before onboarding.
    `posture`: afterwards, the account's usual misconfigurations are seeded and its security
    posture audited (`posture scan`), for a summary beside the incident. `approver` (with
    `deliver`): the fix is approved in the console by that callable, not by the phone's button.
    """
    chosen = chosen or scenario.get(scenario_name)
    own_server = server is None
    with step("Starting the simulated AWS account"):
        server = server or SimulatorServer(tick_seconds=0).start()
    try:
        sim = SimulatorClient(server.endpoint, region=settings.default_region)
        if not own_server:
            sim.reset()
        return _run(
            chosen,
            sim,
            settings.model_copy(update={"simulator_url": server.endpoint, "aws_endpoint_url": None}),
            step,
            seed,
            github,
            beside_workload,
            deliver,
            posture,
            approver,
        )
    finally:
        if own_server:
            server.stop()


def _run(
    chosen: scenario.Scenario,
    sim: SimulatorClient,
    settings: Settings,
    step: StepReporter,
    seed: int,
    github: bool = False,
    beside_workload: AccountExtension | None = None,
    deliver: bool = False,
    posture: bool = False,
    approver: loop.Approver | None = None,
) -> DemoRun:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    with step("Deploying the customer's workload (ECS, RDS, Lambda, ALB, SQS, alarms)"):
        w = workload.deploy_workload(sim, now=now, extra_functions=chosen.topology.extra_functions)
    if beside_workload is not None:
        with step("Deploying the rest of the account"):
            beside_workload(sim, now)
    factory = runtime.open_store(settings)
    role_arn = f"arn:aws:iam::{w.account_id}:role/{READ_ROLE_NAME}"
    with step("Registering the account (CloudWarden generates its ExternalId)"), factory.begin() as db:
        existing = store.get_account_by_role(
            db=db, workspace_id=runtime.LOCAL_WORKSPACE_ID, role_arn=role_arn
        )
        if existing is not None and existing.name != DEMO_ACCOUNT_NAME:
            raise UsageError(
                f"this store already has a real account for {role_arn} ({existing.name}); the demo "
                "needs a store of its own",
                hint="`cloudwarden demo` uses a throwaway database; point run_demo at one",
            )
        if existing is not None:  # an earlier demo run in this throwaway store
            store.close_account(db=db, account=existing)
        account, _ = account_flows.register(
            db=db,
            actor="demo",
            workspace_id=runtime.LOCAL_WORKSPACE_ID,
            role_arn=role_arn,
            region=sim.region,
            name=DEMO_ACCOUNT_NAME,
        )
        account_id, external_id = account.id, account.external_id
    opt_in: dict[str, str] = {}
    if github:
        with step("Storing a read-only GitHub token in Secrets Manager, for GitHub evidence (opt-in)"):
            at = now - timedelta(days=1)
            secret_arn = sim_github.create_token_secret(sim, account_id=w.account_id, at=at)
            opt_in[TOKEN_OPT_IN.parameter] = secret_arn
    with step("Deploying the onboarding CloudFormation stack, as the customer would"):
        outputs = deploy_onboarding_stack(
            sim,
            principal_arn=settings.principal_arn,
            external_id=external_id,
            opt_in=opt_in,
            enable_actions=deliver,
        )
        if outputs.read_role_arn != role_arn:
            raise RuntimeError(f"stack created {outputs.read_role_arn}, expected {role_arn}")
        if outputs.actions_role_arn is not None:  # EnableActions: approved remediations may run
            with factory.begin() as db:
                account_flows.set_actions_role(
                    db=db,
                    actor="demo",
                    account=store.require_account(
                        db=db, workspace_id=runtime.LOCAL_WORKSPACE_ID, account_id=account_id
                    ),
                    actions_role_arn=outputs.actions_role_arn,
                )
    broker = SessionBroker(settings)
    with step("Connecting: AssumeRole with the ExternalId, then probing permissions"):
        with factory.begin() as db:
            connection = account_flows.connect(
                db=db,
                broker=broker,
                account=store.require_account(
                    db=db, workspace_id=runtime.LOCAL_WORKSPACE_ID, account_id=account_id
                ),
                probe=True,
            )
        connection.raise_for_error()
        probe = connection.probe

    expected = alarms.alarm_name(chosen.alarm)
    investigated: dict[str, tuple[incident_flows.Investigation, float]] = {}  # incident id -> (it, when)
    failures: dict[str, CloudWardenError] = {}
    done = threading.Condition()

    def observe(event: str, details: dict[str, Any]) -> None:
        with done:
            if event == "investigated":
                investigated[details["incident_id"]] = (details["investigation"], time.time())
            elif event == "investigation_failed":
                failures[details["incident_id"]] = details["error"]
            done.notify_all()

    service_settings = _github_settings(settings, sim, opt_in.get(TOKEN_OPT_IN.parameter))
    with EmbeddedService(service_settings, factory=factory) as service:
        service.context.observers.append(observe)
        phone = loop.prepare(service, factory=factory, sim=sim) if deliver else None
        with step("Routing the alarms to CloudWarden's SNS topic and subscribing the service's intake"):
            alarms.create_alarms(sim, w, topic_arns=[outputs.alerts_topic_arn], at=now - timedelta(days=1))
            own = base_session(settings, sim.region).client("sns", endpoint_url=settings.aws_endpoint())
            own.subscribe(
                TopicArn=outputs.alerts_topic_arn,
                Protocol="http",
                Endpoint=f"{service.url}/api/v1/intake/workspaces/{runtime.LOCAL_WORKSPACE_ID}/sns",
            )
        with step(f"Injecting scenario {chosen.name}: {chosen.title}"):
            injection = inject.inject(sim, w, chosen, now=now, seed=seed)
        with step("The alarm reaches CloudWarden through SNS; investigating (evidence, ranked causes)"):
            incident_id = _wait_for_incident(factory, account_id, expected)
            with done:
                if not done.wait_for(
                    lambda: incident_id in investigated or incident_id in failures,
                    timeout=INVESTIGATION_WAIT_SECONDS,
                ):
                    raise RuntimeError(
                        f"the investigation of {expected} did not finish in {INVESTIGATION_WAIT_SECONDS}s"
                    )
            if incident_id in failures:
                raise failures[incident_id]
            result, stored_at = investigated[incident_id]
            arrival = _arrival(factory, incident_id)
        remediation = (
            loop.run(
                service,
                factory=factory,
                sim=sim,
                incident_id=incident_id,
                phone=phone,
                step=step,
                approver=approver,
            )
            if phone
            else None
        )
    audit = _audit_posture(sim, factory, broker, account_id, step) if posture else None
    return DemoRun(
        scenario=chosen,
        injection=injection,
        account_id=account_id,
        role_arn=role_arn,
        incident_id=incident_id,
        diagnosis=result.diagnosis,
        bundle=result.bundle,
        probe=probe,
        aws_calls_by_action=dict(result.call_log.by_action()),
        time_to_diagnosis_ms=max(0, int((stored_at - arrival) * 1000)),
        deliveries=remediation.deliveries if remediation else [],
        remediation=remediation.summary if remediation else None,
        posture=audit,
    )


def _audit_posture(
    sim: SimulatorClient,
    factory: sessionmaker[Session],
    broker: SessionBroker,
    account_id: str,
    step: StepReporter,
) -> dict[str, Any]:
    """Seed the account's everyday misconfigurations, then audit it as `posture scan` does."""
    from cloudwarden.posture import flows as posture_flows
    from cloudwarden.posture.outputs.tabular import summary
    from cloudwarden.simulator import posture_seed

    with step("Auditing the account's security posture (CIS AWS Foundations, AWS FSBP)"):
        posture_seed.seed_misconfigurations(sim, region=sim.region)
        # moto prints "Unable to find appropriate backend" on stdout for APIs it lacks (Access
        # Analyzer): stdout stays the demo's own (--json).
        with factory.begin() as db, contextlib.redirect_stdout(sys.stderr):
            account = store.require_account(
                db=db, workspace_id=runtime.LOCAL_WORKSPACE_ID, account_id=account_id
            )
            report = posture_flows.scan_account(db=db, broker=broker, account=account, actor="demo")
            failing = sorted(
                (f for f, _ in report.findings if f.status.value == "FAIL"),
                key=lambda f: ("critical", "high", "medium", "low", "informational").index(f.severity.value),
            )
            return {
                **summary(report),
                "top_failures": [
                    {"check_id": f.check_id, "severity": f.severity.value, "resource_id": f.resource_id}
                    for f in failing[:5]
                ],
            }


def _wait_for_incident(factory: sessionmaker[Session], account_id: str, alarm_name: str) -> str:
    """The incident the alarm's SNS notification opened in the service."""
    deadline = time.monotonic() + ALARM_WAIT_SECONDS
    while time.monotonic() < deadline:
        with factory.begin() as db:
            found = db.scalars(
                select(models.Incident.id).where(
                    models.Incident.account_id == account_id, models.Incident.alarm_name == alarm_name
                )
            ).first()
        if found:
            return found
        time.sleep(0.05)
    raise RuntimeError(f"alarm {alarm_name} did not arrive through SNS within {ALARM_WAIT_SECONDS}s")


def _arrival(factory: sessionmaker[Session], incident_id: str) -> float:
    with factory.begin() as db:
        incident = db.get(models.Incident, incident_id)
        assert incident is not None
        return incident.received_at.timestamp()


def _github_settings(settings: Settings, sim: SimulatorClient, secret_arn: str | None) -> Settings:
    """GitHub settings as the customer would set them, pointed at the simulator; off without a secret."""
    if secret_arn is None:  # whatever CLOUDWARDEN_GITHUB_* say, the demo's account has no such secret
        return settings.model_copy(update={"github_token_secret_arn": None, "github_repositories": {}})
    return settings.model_copy(
        update={
            "github_token_secret_arn": secret_arn,
            "github_repositories": dict(sim_github.REPOSITORIES),
            "github_api_url": sim.endpoint + sim_github.PREFIX,
        }
    )
