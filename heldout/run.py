"""Run held-out incidents end to end through CloudWarden's own journey and score the answers.

    python -m heldout.run --batch batch1 [--only NAME[,NAME]] [--json out.json]

For each incident: a fresh simulated account (reset), Velocab deployed, CloudWarden registered and
onboarded through its read-only role with the ExternalId (the onboarding CloudFormation stack),
the alarms routed to CloudWarden's SNS topic, the incident played, the alarm notification taken
in by CloudWarden's SNS intake, and the investigation run through `incidents.flows.investigate`
(what `cloudwarden investigate` and the demo run). Only the answer is read back; the ground truth
is read from the incident file for scoring alone.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cloudwarden import runtime
from cloudwarden.accounts import flows as account_flows
from cloudwarden.alerts.intake import sns
from cloudwarden.aws.session import SessionBroker, base_session
from cloudwarden.aws.template import READ_ROLE_NAME
from cloudwarden.config import Settings
from cloudwarden.incidents import flows as incident_flows
from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.onboarding import deploy_onboarding_stack
from cloudwarden.simulator.server import SimulatorServer
from cloudwarden.simulator.sns_receiver import SnsIntakeServer
from cloudwarden.store import service as store
from heldout import inject, topology
from heldout.model import Incident, load_batch

ACCOUNT_NAME = "heldout (simulated)"
ALARM_WAIT_SECONDS = 20
NO_FAULT_CONFIDENCE = 0.4
TOP = 3


@dataclass
class Row:
    name: str
    kind: str  # single | two-fault | no-fault
    alarm: str
    truth: list[list[str]]
    top: list[dict[str, Any]] = field(default_factory=list)
    ac1: bool = False
    ac3: bool = False
    resource_ac1: bool | None = None  # None for no-fault incidents
    correct: bool = False  # the incident's own rule (single: AC@1; two-fault: both in top 3; none: < 0.4)
    top_confidence: float | None = None
    aws_calls: int = 0
    time_to_diagnosis_ms: int = 0
    candidates: int = 0
    truth_in_evidence: bool | None = None  # every truth resource is among the resources CloudWarden saw
    wall_ms: int = 0
    error: str | None = None


def score(incident: Incident, truth: list[tuple[str, str]], hypotheses: list[Any]) -> dict[str, Any]:
    pairs = [(str(h.resource), str(h.fault)) for h in hypotheses]
    top = pairs[0] if pairs else None
    confidence = float(hypotheses[0].confidence) if hypotheses else None
    if incident.kind == "no-fault":
        ok = confidence is None or confidence < NO_FAULT_CONFIDENCE
        return {"ac1": ok, "ac3": ok, "resource_ac1": None, "correct": ok, "top_confidence": confidence}
    resources = {r for r, _ in truth}
    in_top3 = [p in pairs[:TOP] for p in truth]
    ac1 = top in truth
    ac3 = all(in_top3)
    return {
        "ac1": ac1,
        "ac3": ac3,
        "resource_ac1": bool(top and top[0] in resources),
        "correct": ac1 if incident.kind == "single" else ac3,
        "top_confidence": confidence,
    }


def check_alarm(incident: Incident, *, server: SimulatorServer, seed: int = 11) -> list[str]:
    """Play the incident without CloudWarden; the alarms that went into ALARM (an authoring check)."""
    sim = SimulatorClient(server.endpoint, region=topology.REGION)
    sim.reset()
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    t = topology.deploy(sim, now=now)
    topic = sim.client("sns").create_topic(Name="vc-oncall")["TopicArn"]
    inject.create_alarms(sim, t, topic_arns=[topic], at=now - timedelta(days=1))
    played = inject.play(sim, t, incident, now=now, seed=seed)
    return sorted({x["alarm_name"] for x in played.transitions if x.get("new_state") == "ALARM"})


def run_one(
    incident: Incident,
    *,
    server: SimulatorServer,
    settings: Settings,
    seed: int = 11,
    dump: Path | None = None,
) -> Row:
    row = Row(name=incident.name, kind=incident.kind, alarm=incident.alarm, truth=[])
    started = time.perf_counter()
    sim = SimulatorClient(server.endpoint, region=settings.default_region)
    sim.reset()
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    t = topology.deploy(sim, now=now)
    factory = runtime.open_store(settings)
    role_arn = f"arn:aws:iam::{t.account_id}:role/{READ_ROLE_NAME}"
    with factory.begin() as db:
        existing = store.get_account_by_role(
            db=db, workspace_id=runtime.LOCAL_WORKSPACE_ID, role_arn=role_arn
        )
        if existing is not None:
            if existing.name != ACCOUNT_NAME:
                raise RuntimeError(f"the store has a real account for {role_arn}; use a throwaway store")
            store.close_account(db=db, account=existing)
        account, _ = account_flows.register(
            db=db,
            actor="heldout",
            workspace_id=runtime.LOCAL_WORKSPACE_ID,
            role_arn=role_arn,
            region=sim.region,
            name=ACCOUNT_NAME,
        )
        account_id, external_id = account.id, account.external_id
    outputs = deploy_onboarding_stack(sim, principal_arn=settings.principal_arn, external_id=external_id)
    broker = SessionBroker(settings)
    with factory.begin() as db:
        connection = account_flows.connect(
            db=db,
            broker=broker,
            account=store.require_account(
                db=db, workspace_id=runtime.LOCAL_WORKSPACE_ID, account_id=account_id
            ),
            probe=False,
        )
    connection.raise_for_error()

    from heldout.telemetry import alarm_name

    expected = alarm_name(incident.alarm)
    received = threading.Event()
    incidents: dict[str, tuple[str, float]] = {}

    def on_alarm(message: sns.SnsMessage, alarm: sns.AlarmNotification) -> None:
        if alarm.NewStateValue != "ALARM":
            return
        arrival = time.perf_counter()
        with factory.begin() as db:
            opened, _ = store.record_incident(
                db=db,
                workspace_id=runtime.LOCAL_WORKSPACE_ID,
                account_id=account_id,
                alarm_name=alarm.AlarmName,
                alarm_arn=alarm.AlarmArn or "",
                region=sim.region,
                opened_at=runtime.aware(alarm.StateChangeTime),
                notification=alarm.model_dump(mode="json"),
                dedup_key=message.message_id,
            )
            incidents.setdefault(alarm.AlarmName, (opened.id, arrival))
        if alarm.AlarmName == expected:
            received.set()

    intake = SnsIntakeServer(on_alarm=on_alarm, fetch_cert=sns.simulator_cert_fetcher(sim.endpoint)).start()
    try:
        inject.create_alarms(sim, t, topic_arns=[outputs.alerts_topic_arn], at=now - timedelta(days=1))
        own = base_session(settings, sim.region).client("sns", endpoint_url=settings.aws_endpoint())
        own.subscribe(TopicArn=outputs.alerts_topic_arn, Protocol="http", Endpoint=intake.url)
        played = inject.play(sim, t, incident, now=now, seed=seed)
        row.truth = [[r, f] for r, f in played.truth] or [["none", "none"]]
        if not received.wait(ALARM_WAIT_SECONDS):
            fired = [x["alarm_name"] for x in played.transitions if x.get("new_state") == "ALARM"]
            raise RuntimeError(
                f"alarm {expected} did not fire (alarms that did: {fired}; intake errors: {intake.errors})"
            )
        with factory.begin() as db:
            outcome = incident_flows.investigate(
                db=db,
                actor="heldout",
                broker=broker,
                account=store.require_account(
                    db=db, workspace_id=runtime.LOCAL_WORKSPACE_ID, account_id=account_id
                ),
                alarm_name=expected,
                lookback_minutes=settings.lookback_minutes,
                incident_id=incidents[expected][0],
                source="sns",
            )
        result = outcome.raise_for_error()
        done = time.perf_counter()
    finally:
        intake.stop()
    hypotheses = list(result.diagnosis.hypotheses)
    row.top = [
        {"resource": h.resource, "fault": h.fault, "confidence": round(float(h.confidence), 3)}
        for h in hypotheses[:TOP]
    ]
    for key, value in score(incident, played.truth, hypotheses).items():
        setattr(row, key, value)
    if dump is not None:
        dump.mkdir(parents=True, exist_ok=True)
        (dump / f"{incident.name}.diagnosis.json").write_text(result.diagnosis.model_dump_json(indent=2))
        (dump / f"{incident.name}.bundle.json").write_text(result.bundle.model_dump_json(indent=2))
    seen = {r.key for r in result.bundle.resources}
    row.truth_in_evidence = all(r in seen for r, _ in played.truth) if played.truth else None
    row.aws_calls = int(result.diagnosis.aws_calls)
    row.candidates = int(getattr(result.diagnosis, "candidates", 0) or 0)
    row.time_to_diagnosis_ms = int((done - incidents[expected][1]) * 1000)
    row.wall_ms = int((time.perf_counter() - started) * 1000)
    return row


def percentile(values: list[float], p: int) -> float | None:
    """Nearest rank."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-p * len(ordered) // 100))
    return ordered[rank - 1]


def totals(rows: list[Row]) -> dict[str, Any]:
    ok = [r for r in rows if r.error is None]
    single = [r for r in ok if r.kind == "single"]
    two = [r for r in ok if r.kind == "two-fault"]
    none = [r for r in ok if r.kind == "no-fault"]
    faulty = [r for r in ok if r.kind != "no-fault"]

    def share(items: list[Row], attr: str) -> dict[str, Any]:
        hits = sum(1 for r in items if getattr(r, attr))
        return {"hits": hits, "of": len(items), "rate": round(hits / len(items), 3) if items else None}

    calls = [float(r.aws_calls) for r in ok]
    times = [float(r.time_to_diagnosis_ms) for r in ok]
    return {
        "incidents": len(rows),
        "scored": len(ok),
        "errors": [{"name": r.name, "error": r.error} for r in rows if r.error],
        "ac1_all": share(ok, "ac1"),
        "ac3_all": share(ok, "ac3"),
        "correct_all": share(ok, "correct"),
        "ac1_faulty": share(faulty, "ac1"),
        "ac3_faulty": share(faulty, "ac3"),
        "resource_ac1_faulty": share(faulty, "resource_ac1"),
        "single_ac1": share(single, "ac1"),
        "single_ac3": share(single, "ac3"),
        "two_fault_correct": share(two, "correct"),
        "no_fault_correct": share(none, "correct"),
        "aws_calls": {"p50": percentile(calls, 50), "max": max(calls) if calls else None},
        "time_to_diagnosis_ms": {"p50": percentile(times, 50), "max": max(times) if times else None},
    }


def _mark(value: bool | None) -> str:
    return "-" if value is None else ("Y" if value else ".")


def _short(resource: str) -> str:
    return resource.rsplit(":", 1)[-1].rsplit("/", 1)[-1] if resource.startswith("arn:") else resource


def table(rows: list[Row]) -> str:
    lines = [
        "| incident | kind | AC@1 | AC@3 | res@1 | ok | top answer (resource, fault, confidence) | calls | ttd ms |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r.error:
            lines.append(f"| {r.name} | {r.kind} | ERROR: {r.error[:80]} | | | | | | |")
            continue
        top = r.top[0] if r.top else None
        answer = f"{_short(top['resource'])}, {top['fault']}, {top['confidence']:.2f}" if top else "(none)"
        lines.append(
            f"| {r.name} | {r.kind} | {_mark(r.ac1)} | {_mark(r.ac3)} | {_mark(r.resource_ac1)} | {_mark(r.correct)} "
            f"| {answer} | {r.aws_calls} | {r.time_to_diagnosis_ms} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m heldout.run", description=__doc__.splitlines()[0])
    parser.add_argument("--batch", default="batch1")
    parser.add_argument("--only", default=None, help="comma-separated incident names")
    parser.add_argument("--json", dest="json_path", default=None)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--dump", default=None, help="write each incident's diagnosis and evidence bundle here"
    )
    parser.add_argument(
        "--check-alarms", action="store_true", help="only play each incident and list the alarms that fire"
    )
    args = parser.parse_args(argv)
    incidents = load_batch(args.batch)
    names = sorted(incidents)
    if args.only:
        wanted = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in wanted if n not in incidents]
        if unknown:
            parser.error(f"unknown incidents {unknown}; known: {', '.join(names)}")
        names = wanted
    if args.check_alarms:
        from heldout.telemetry import alarm_name

        server = SimulatorServer(tick_seconds=0).start()
        failures = 0
        try:
            for name in names:
                fired = check_alarm(incidents[name], server=server, seed=args.seed)
                expected = alarm_name(incidents[name].alarm)
                failures += expected not in fired
                print(f"{'ok ' if expected in fired else 'NO '} {name}: expected {expected}; fired {fired}")
        finally:
            server.stop()
        return 1 if failures else 0
    with tempfile.TemporaryDirectory(prefix="cw-heldout-") as folder:
        settings = Settings().model_copy(
            update={
                "data_dir": Path(folder),
                "database_url": f"sqlite:///{Path(folder) / 'heldout.db'}",
                "default_region": topology.REGION,
                "aws_endpoint_url": None,
                "github_token_secret_arn": None,
                "github_repositories": {},
            }
        )
        started = time.perf_counter()
        rows = _with_simulator(names, incidents, settings, args.seed, Path(args.dump) if args.dump else None)
        wall = round(time.perf_counter() - started, 1)
    summary = totals(rows)
    print(table(rows))
    print()
    print(json.dumps(summary, indent=2))
    if args.json_path:
        out = {
            "command": "python -m heldout.run " + " ".join(argv if argv is not None else sys.argv[1:]),
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "batch": args.batch,
            "seed": args.seed,
            "wall_seconds": wall,
            "totals": summary,
            "rows": [asdict(r) for r in rows],
        }
        Path(args.json_path).write_text(json.dumps(out, indent=2) + "\n")
    return 0


def _with_simulator(
    names: list[str], incidents: dict[str, Incident], settings: Settings, seed: int, dump: Path | None = None
) -> list[Row]:
    """The simulator's endpoint must be in the settings before any session is made."""
    rows: list[Row] = []
    server = SimulatorServer(tick_seconds=0).start()
    try:
        configured = settings.model_copy(update={"simulator_url": server.endpoint})
        for name in names:
            incident = incidents[name]
            started = time.perf_counter()
            try:
                row = run_one(incident, server=server, settings=configured, seed=seed, dump=dump)
            except Exception as exc:  # reported in the table, never dropped
                row = Row(
                    name=name,
                    kind=incident.kind,
                    alarm=incident.alarm,
                    truth=[],
                    error=f"{type(exc).__name__}: {exc}",
                )
                row.wall_ms = int((time.perf_counter() - started) * 1000)
            rows.append(row)
            top = row.top[0] if row.top else {}
            print(
                f"{name:<44} {row.kind:<9} ok={_mark(row.correct)} ac1={_mark(row.ac1)} ac3={_mark(row.ac3)} "
                f"top={_short(str(top.get('resource', '-')))}/{top.get('fault', '-')}/{top.get('confidence', '-')} "
                f"calls={row.aws_calls} wall={row.wall_ms}ms" + (f" ERROR {row.error}" if row.error else ""),
                file=sys.stderr,
                flush=True,
            )
    finally:
        server.stop()
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
