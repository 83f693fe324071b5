"""The held-out set: its files are valid, its truths exist, it runs, and no rule can name it."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from heldout.model import Incident, load_batch

from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.server import SimulatorServer
from heldout import baseline, run, telemetry, topology

ROOT = Path(__file__).resolve().parents[2]
DIAGNOSIS = ROOT / "src" / "cloudwarden" / "diagnosis"
BATCH = "batch1"
BATCHES = ("batch1", "batch2", "batch3", "batch4", "batch5")
FAULT_KINDS = {"bad_deploy", "memory_leak", "cpu_saturation", "db_connection_exhaustion", "storage_full"}


@pytest.fixture(scope="module")
def incidents() -> dict[str, Incident]:
    return load_batch(BATCH)


@pytest.fixture(scope="module")
def every_incident() -> dict[str, Incident]:
    """All batches; incident names are unique across them."""
    out: dict[str, Incident] = {}
    for batch in BATCHES:
        for name, incident in load_batch(batch).items():
            assert name not in out, f"{name} is in two batches"
            out[name] = incident
    return out


@pytest.fixture(scope="module")
def server() -> Any:
    with SimulatorServer(tick_seconds=0) as started:
        yield started


def test_batch_is_big_and_varied(incidents: dict[str, Incident]) -> None:
    assert len(incidents) >= 30
    kinds = [i.kind for i in incidents.values()]
    assert kinds.count("no-fault") >= 3 and kinds.count("two-fault") >= 3
    faults = {c.fault for i in incidents.values() for c in i.causes}
    assert faults >= FAULT_KINDS and len(faults) >= 12
    assert len({c.resource.split(":")[0] for i in incidents.values() for c in i.causes}) >= 6


def test_batch2_is_varied() -> None:
    batch = load_batch("batch2")
    assert len(batch) >= 15
    kinds = [i.kind for i in batch.values()]
    assert kinds.count("no-fault") >= 2 and kinds.count("two-fault") >= 2
    faults = {c.fault for i in batch.values() for c in i.causes}
    assert len(faults) >= 12
    assert len({c.resource.split(":")[0] for i in batch.values() for c in i.causes}) >= 6
    # most incidents carry decoys
    with_decoys = [i for i in batch.values() if i.decoys.references() or i.decoys.changes]
    assert len(with_decoys) >= len(batch) * 0.7


def test_batch3_is_varied() -> None:
    batch = load_batch("batch3")
    assert len(batch) >= 15
    kinds = [i.kind for i in batch.values()]
    assert kinds.count("no-fault") >= 3 and kinds.count("two-fault") >= 2
    faults = {c.fault for i in batch.values() for c in i.causes}
    assert len(faults) >= 12
    assert len({c.resource.split(":")[0] for i in batch.values() for c in i.causes}) >= 6
    with_decoys = [i for i in batch.values() if i.decoys.references() or i.decoys.changes]
    assert len(with_decoys) >= len(batch) * 0.7
    # saturation that no change event explains
    assert any(
        c.fault in {"cpu_saturation", "capacity_limit", "memory_leak"} and not i.fault.changes
        for i in batch.values()
        for c in i.causes
    )


def _varied(name: str, *, size: int, single: int, faults: int) -> dict[str, Incident]:
    """A batch's size and mix: single-, two- and no-fault incidents, faults and kinds covered,
    roots behind the alarmed resource, decoys, and saturation that no change event explains."""
    batch = load_batch(name)
    assert len(batch) >= size
    kinds = [i.kind for i in batch.values()]
    assert kinds.count("single") >= single and kinds.count("two-fault") >= 2 and kinds.count("no-fault") >= 3
    singles = [i for i in batch.values() if i.kind == "single"]
    assert len({i.causes[0].fault for i in singles}) >= faults
    assert len({i.causes[0].resource.split(":")[0] for i in singles}) >= 6
    # the root is often not the alarmed resource
    alarmed = {n: telemetry.ALARMS[i.alarm][1] for n, i in batch.items()}
    behind = [i for i in singles if i.causes[0].resource != alarmed[i.name]]
    assert len(behind) >= len(singles) // 2
    with_decoys = [i for i in batch.values() if i.decoys.references() or i.decoys.changes]
    assert len(with_decoys) >= len(batch) * 0.7
    assert any(
        c.fault in {"cpu_saturation", "capacity_limit", "memory_leak"} and not i.fault.changes
        for i in batch.values()
        for c in i.causes
    )
    return batch


def test_batch4_is_varied() -> None:
    batch = _varied("batch4", size=16, single=11, faults=10)
    # a truth on a key (a kind added for this batch)
    assert any(c.resource.startswith("kms_key:") for i in batch.values() for c in i.causes)


def test_batch5_is_varied() -> None:
    batch = _varied("batch5", size=18, single=13, faults=11)
    # a resource-based policy that refuses calls
    assert any(
        c.fault == "permission_denied" and c.resource.split(":")[0] in {"sqs_queue", "kms_key", "secret"}
        for i in batch.values()
        for c in i.causes
    )
    # the change actions added for this batch are played
    actions = {c.action for i in batch.values() for c in [*i.fault.changes, *i.decoys.changes]}
    assert {"put_key_policy", "put_role_policy"} <= actions


def test_every_reference_alarm_and_metric_is_known(every_incident: dict[str, Incident]) -> None:
    refs, metrics = set(topology.logical_refs()), telemetry.known_metrics()
    for incident in every_incident.values():
        assert incident.alarm in telemetry.ALARMS, incident.name
        used = (
            incident.fault.references() | incident.decoys.references() | {c.resource for c in incident.causes}
        )
        assert used <= refs, (incident.name, sorted(used - refs))
        for effect in [*incident.fault.metrics, *incident.decoys.metrics]:
            assert (effect.resource, effect.metric) in metrics, (
                incident.name,
                effect.resource,
                effect.metric,
            )


def test_truths_exist_in_the_deployed_account(
    server: SimulatorServer, every_incident: dict[str, Incident]
) -> None:
    """Deploy once; every truth resolves to a key AWS shows for a resource that exists."""
    sim = SimulatorClient(server.endpoint, region=topology.REGION)
    sim.reset()
    t = topology.deploy(sim, now=datetime.now(UTC))
    shown: set[str] = set()
    shown |= {s["serviceArn"] for s in sim.client("ecs").describe_services(
        cluster=t.ids["cluster"], services=[t.ids[f"service:{k}"] for k in topology.SERVICES]
    )["services"]}  # fmt: skip
    shown |= {f["FunctionArn"] for f in sim.client("lambda").list_functions()["Functions"]}
    shown |= {d["DBInstanceArn"] for d in sim.client("rds").describe_db_instances()["DBInstances"]}
    shown |= {
        i["InstanceId"]
        for r in sim.client("ec2").describe_instances()["Reservations"]
        for i in r["Instances"]
    }
    shown |= {
        f"arn:aws:ec2:{t.region}:{g['OwnerId']}:security-group/{g['GroupId']}"
        for g in sim.client("ec2").describe_security_groups()["SecurityGroups"]
    }
    shown |= {r["Arn"] for r in sim.client("iam", region="us-east-1").list_roles()["Roles"]}
    shown |= {s["ARN"] for s in sim.client("secretsmanager").list_secrets()["SecretList"]}
    shown |= {k["KeyArn"] for k in sim.client("kms").list_keys()["Keys"]}
    shown |= {g["TargetGroupArn"] for g in sim.client("elbv2").describe_target_groups()["TargetGroups"]}
    for url in sim.client("sqs").list_queues()["QueueUrls"]:
        shown.add(
            sim.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
        )
    for incident in every_incident.values():
        for cause in incident.causes:
            assert t.ref(cause.resource) in shown, (incident.name, cause.resource, t.ref(cause.resource))


def test_one_incident_runs_end_to_end_and_is_scored(server: SimulatorServer, tmp_path: Path) -> None:
    from cloudwarden.config import Settings

    incident = load_batch(BATCH)["pricer-concurrency-cut"]
    settings = Settings().model_copy(
        update={
            "data_dir": tmp_path,
            "database_url": f"sqlite:///{tmp_path / 'heldout.db'}",
            "default_region": topology.REGION,
            "simulator_url": server.endpoint,
            "aws_endpoint_url": None,
            "github_token_secret_arn": None,
            "github_repositories": {},
        }
    )
    row = run.run_one(incident, server=server, settings=settings)
    assert row.error is None
    assert row.kind == "single" and len(row.truth) == 1
    assert row.truth[0][0].startswith("arn:aws:lambda:eu-west-1:") and row.truth[0][1] == "throttling"
    assert 0 < row.aws_calls <= 60
    assert row.time_to_diagnosis_ms > 0
    assert row.truth_in_evidence is not None
    assert len(row.top) <= run.TOP
    for hypothesis in row.top:
        assert set(hypothesis) == {"resource", "fault", "confidence"}
        assert 0.0 <= hypothesis["confidence"] <= 1.0
    assert isinstance(row.ac1, bool) and isinstance(row.ac3, bool) and isinstance(row.resource_ac1, bool)
    assert row.ac3 or not row.ac1  # right at the top is right in the top three
    totals = run.totals([row])
    assert totals["scored"] == 1 and totals["ac1_all"]["of"] == 1


def test_scoring_rules() -> None:
    class H:
        def __init__(self, resource: str, fault: str, confidence: float) -> None:
            self.resource, self.fault, self.confidence = resource, fault, confidence

    def incident(truth: Any) -> Incident:
        return Incident(name="x", title="x", story="x", onset_minutes_ago=5, alarm="gw_5xx", truth=truth)

    single = incident([{"resource": "ecs_service:gateway", "fault": "bad_deploy"}])
    got = run.score(single, [("a", "bad_deploy")], [H("b", "bad_deploy", 0.9), H("a", "bad_deploy", 0.5)])
    assert got["ac1"] is False and got["ac3"] is True and got["resource_ac1"] is False
    two = incident(
        [
            {"resource": "ecs_service:gateway", "fault": "bad_deploy"},
            {"resource": "rds_instance:mysql", "fault": "storage_full"},
        ]
    )
    truth = [("a", "bad_deploy"), ("b", "storage_full")]
    hyps = [H("b", "storage_full", 0.8), H("c", "throttling", 0.5), H("a", "bad_deploy", 0.4)]
    assert run.score(two, truth, hyps)["correct"] is True
    assert run.score(two, truth, hyps[:2])["correct"] is False
    none = incident("none")
    assert run.score(none, [], [])["correct"] is True
    assert run.score(none, [], [H("a", "bad_deploy", 0.39)])["correct"] is True
    assert run.score(none, [], [H("a", "bad_deploy", 0.4)])["correct"] is False


# ---------------------------------------------------------------------------- separation guard

_GENERIC = {"error", "slowquery", "postgresql"}


def _identifiers(incidents: dict[str, Incident]) -> set[str]:
    """Every name the held-out topology and incidents use that a rule could match on."""
    names: set[str] = {topology.CLUSTER, topology.LOAD_BALANCER, topology.MYSQL_PARAMS, topology.PG_PARAMS}
    names |= {v[0] for v in topology.SERVICES.values()} | {
        v[1].split(":")[0] for v in topology.SERVICES.values()
    }
    names |= {v[0] for v in topology.FUNCTIONS.values()}
    names |= set(topology.QUEUES.values()) | set(topology.DATABASES.values()) | set(topology.SECRETS.values())
    names |= set(topology.INSTANCES.values()) | set(topology.TARGET_GROUPS.values())
    names |= set(topology.SECURITY_GROUPS) | set(topology.ROLE_SERVICES)
    names |= {name for name, _, _ in topology.POLICIES.values()}
    names |= {alarm[0] for alarm in telemetry.ALARMS.values()}
    names |= {"velocab", "surge-model", "surge-modle"}
    names |= set(incidents)  # incident names
    for incident in incidents.values():
        # logical names: the full resource names (role, security group); the short keys of the
        # other kinds (gateway, mysql, router) are the topology's own words, listed above in full
        names |= {c.resource.split(":", 1)[1] for c in incident.causes if "-" in c.resource}
        for change in [*incident.fault.changes, *incident.decoys.changes]:
            names |= {part for part in re.split(r"[:/]", change.actor) if part.startswith("vc-")}
    # distinctive identifiers in the log lines: class, logger and module paths, error codes
    lines = [line for effect in baseline.BASELINE for line in effect.lines]
    for incident in incidents.values():
        lines += [line for effect in [*incident.fault.logs, *incident.decoys.logs] for line in effect.lines]
    for line in lines:
        names |= set(re.findall(r"com\.velocab\.[A-Za-z.]+", line))
        names |= set(re.findall(r"/src/internal/[a-z/]+\.go", line))
        names |= set(re.findall(r"[a-z]+\.go:\d+", line))
    return {n for n in names if len(n) >= 3 and n.lower() not in _GENERIC}


def test_no_rule_names_anything_from_the_held_out_set(every_incident: dict[str, Incident]) -> None:
    identifiers = _identifiers(every_incident)
    assert len(identifiers) > 80
    files = [
        p
        for p in DIAGNOSIS.rglob("*")
        if p.is_file() and p.suffix in {".py", ".yaml", ".yml", ".json", ".txt", ".md", ".toml"}
    ]
    assert files, f"no rule files under {DIAGNOSIS}"
    found = []
    for path in files:
        text = path.read_text(errors="replace").lower()
        found += [f"{path.relative_to(ROOT)}: {n}" for n in identifiers if n.lower() in text]
    assert not found, "held-out identifiers occur in rule code:\n" + "\n".join(sorted(found))
