"""Baselines on a synthetic EvidenceBundle, and the report when RCAEval is missing."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from cloudwarden.bench import baselines, cases, runner
from cloudwarden.evidence.model import AlarmInfo, Change, Edge, EvidenceBundle, MetricSeries, Resource
from cloudwarden.simulator import scenario

T = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0b502fe9"
WEB = "arn:aws:ecs:us-east-1:123456789012:service/prod/web-api"
DB = "arn:aws:rds:us-east-1:123456789012:db:orders-db"
SG = "arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef"
INJECT = T - timedelta(minutes=10)


def _series(resource: str, metric: str, base: float, after: float | None = None) -> MetricSeries:
    rng = random.Random(f"{resource}{metric}")
    points = []
    for minute in range(-120, 6):
        moment = T + timedelta(minutes=minute)
        value = base * (1 + rng.gauss(0, 0.05))
        if after is not None and moment >= INJECT:
            value = after * (1 + rng.gauss(0, 0.02))
        points.append((moment, value))
    return MetricSeries(
        resource=resource, namespace="AWS/X", metric=metric, stat="Average", dimensions={}, points=points
    )


def bundle(
    *, metrics: list[MetricSeries] | None = None, changes: list[Change] | None = None
) -> EvidenceBundle:
    return EvidenceBundle(
        account_id="123456789012",
        region="us-east-1",
        alarm=AlarmInfo(
            name="web-5xx",
            arn="arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-5xx",
            state="ALARM",
            state_reason="Threshold crossed",
            state_changed_at=T,
            namespace="AWS/ApplicationELB",
            metric="HTTPCode_Target_5XX_Count",
            statistic="Sum",
            dimensions={"TargetGroup": "targetgroup/web/0b502fe9"},
            threshold=50.0,
            comparison="GreaterThanThreshold",
            period=60,
        ),
        window_start=T - timedelta(minutes=120),
        window_end=T + timedelta(minutes=5),
        resources=[
            Resource(
                key=TG,
                kind="target_group",
                name="web-8080",
                attributes={"dimension": "targetgroup/web/0b502fe9"},
            ),
            Resource(key=WEB, kind="ecs_service", name="web-api", attributes={"cluster_name": "prod"}),
            Resource(key=DB, kind="rds_instance", name="orders-db", attributes={"identifier": "orders-db"}),
            Resource(
                key=SG,
                kind="security_group",
                name="orders-db",
                attributes={"group_id": "sg-0123456789abcdef"},
            ),
        ],
        edges=[
            Edge(source=TG, target=WEB, relation="target-group"),
            Edge(source=WEB, target=DB, relation="env-reference"),
            Edge(source=DB, target=SG, relation="attached-security-group"),
        ],
        metrics=metrics or [],
        changes=changes or [],
    )


def _change(name: str, minutes: int, resources: list[str]) -> Change:
    return Change(
        source="cloudtrail",
        time=T + timedelta(minutes=minutes),
        name=name,
        actor="someone",
        resources=resources,
    )


def test_candidates_and_their_fault_pairs() -> None:
    c = baselines.candidates(bundle())
    assert set(c.resources) == {TG, WEB, DB, SG}
    assert sorted(c.pairs) == sorted(
        [
            (WEB, "bad_deploy"),
            (WEB, "memory_leak"),
            (WEB, "config_change"),
            (WEB, "queue_backlog"),
            (WEB, "capacity_limit"),
            (WEB, "cpu_saturation"),
            (DB, "cpu_saturation"),
            (DB, "db_connection_exhaustion"),
            (DB, "storage_full"),
            (DB, "dependency_latency"),
            (DB, "config_change"),
            (SG, "network_block"),
            (TG, "config_change"),
        ]
    )


def test_random_ranking_is_a_seeded_permutation_of_the_candidates() -> None:
    c = baselines.candidates(bundle())
    a = baselines.random_ranking(c, random.Random(5))
    b = baselines.random_ranking(c, random.Random(5))
    assert a == b
    assert sorted(a.resources) == sorted(c.resources)
    assert sorted(a.pairs) == sorted(c.pairs)


def test_most_recent_change_ranks_the_latest_changed_resource_first() -> None:
    ranking = baselines.most_recent_change(
        bundle(
            changes=[
                _change("UpdateService", -40, [WEB]),
                _change("RevokeSecurityGroupIngress", -8, ["sg-0123456789abcdef"]),
                _change("ModifyDBInstance", 5, ["orders-db"]),  # after the alarm: not a suspect
            ]
        )
    )
    assert ranking.resources == [SG, WEB]
    assert ranking.pairs == [(SG, "network_block"), (WEB, "bad_deploy")]


def test_most_recent_change_puts_the_changed_resource_before_those_it_mentions() -> None:
    web_group = "arn:aws:ec2:us-east-1:123456789012:security-group/sg-0fedcba987654321"
    evidence = bundle()
    evidence.resources.append(
        Resource(
            key=web_group,
            kind="security_group",
            name="web-tasks",
            attributes={"group_id": "sg-0fedcba987654321"},
        )
    )
    # RevokeSecurityGroupIngress on the database's group, naming the web tasks' group as source
    evidence.changes = [
        _change("RevokeSecurityGroupIngress", -3, ["sg-0123456789abcdef", "sg-0fedcba987654321"])
    ]
    assert baselines.most_recent_change(evidence).resources == [SG, web_group]
    evidence.changes = [
        _change("RevokeSecurityGroupIngress", -3, ["sg-0fedcba987654321", "sg-0123456789abcdef"])
    ]
    assert baselines.most_recent_change(evidence).resources == [web_group, SG]


def test_random_ranking_does_not_depend_on_the_ids_aws_drew() -> None:
    evidence = bundle()
    # the same resources under keys that sort the other way round
    renamed = {TG: "arn:zz-tg", WEB: "arn:yy-web", DB: "arn:xx-db", SG: "arn:ww-sg"}
    other = evidence.model_copy(deep=True)
    other.resources = [r.model_copy(update={"key": renamed[r.key]}) for r in evidence.resources]
    other.edges = [
        e.model_copy(update={"source": renamed[e.source], "target": renamed[e.target]})
        for e in evidence.edges
    ]
    names = []
    for b in (evidence, other):
        c = baselines.candidates(b)
        assert len(c.resources) == 4
        ranking = baselines.random_ranking(c, random.Random(9))
        names.append(([c.names[k] for k in ranking.resources], [(c.names[k], f) for k, f in ranking.pairs]))
    assert names[0] == names[1]


def test_metric_frame_feeds_each_series_both_ways() -> None:
    pytest.importorskip("pandas", reason="the metric frame needs pandas (the bench extra)")
    frame, meaning = baselines.metric_frame(bundle(metrics=[_series(DB, "CPUUtilization", 20)]))
    assert list(frame.columns) == ["time", "s0up", "s0down"]
    assert meaning == {"s0up": (DB, "CPUUtilization", 1), "s0down": (DB, "CPUUtilization", -1)}
    assert (frame["s0up"] == -frame["s0down"]).all()
    assert frame["time"].is_monotonic_increasing and len(frame) == 126


@pytest.fixture
def rcaeval() -> None:
    status = baselines.rcaeval_status()
    if not status["installed"]:
        pytest.skip(f"BARO and N-Sigma need the bench extra: {status['detail']}")


@pytest.mark.parametrize("method", ["baro", "nsigma"])
def test_rcaeval_ranks_the_spiking_series_resource_first(rcaeval: None, method: str) -> None:
    evidence = bundle(
        metrics=[
            _series(WEB, "CPUUtilization", 35),
            _series(TG, "RequestCount", 1400),
            _series(DB, "DatabaseConnections", 40, after=400),
        ]
    )
    kinds = baselines.candidates(evidence).kinds
    ranking = baselines.rcaeval_ranking(evidence, method=method, inject_time=INJECT, kinds=kinds)
    assert ranking.resources[0] == DB
    assert ranking.pairs[0] == (DB, "db_connection_exhaustion")


@pytest.mark.parametrize("method", ["baro", "nsigma"])
def test_rcaeval_sees_a_drop_through_the_negated_column(rcaeval: None, method: str) -> None:
    evidence = bundle(
        metrics=[
            _series(WEB, "CPUUtilization", 35),
            _series(TG, "RequestCount", 1400),
            _series(DB, "FreeStorageSpace", 60e9, after=1e9),
        ]
    )
    kinds = baselines.candidates(evidence).kinds
    ranking = baselines.rcaeval_ranking(evidence, method=method, inject_time=INJECT, kinds=kinds)
    assert ranking.pairs[0] == (DB, "storage_full")


def test_without_rcaeval_baro_and_nsigma_are_reported_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(method: str) -> None:
        raise ImportError("No module named 'RCAEval'")

    monkeypatch.setattr(baselines, "_rcaeval_function", missing)
    status = baselines.rcaeval_status()
    assert status["installed"] is False and "not installed" in status["detail"]
    with pytest.raises(baselines.BaselineUnavailable):
        baselines.rcaeval_ranking(bundle(), method="baro", inject_time=INJECT, kinds={})

    variant = cases.generate(scenario.load_all(), cases=1, seed=1)[0]
    result = runner.CaseResult(
        variant=variant,
        truth_resource=WEB,
        truth_fault="bad_deploy",
        candidates=4,
        pair_candidates=6,
        truth_in_candidates=True,
    )
    result.rankings = {
        "cloudwarden": baselines.Ranking([WEB], [(WEB, "bad_deploy")]),
        "random": baselines.Ranking([DB, WEB], []),
        "most_recent_change": baselines.Ranking([], []),
    }
    result.ranks = {
        "cloudwarden": {"resource": 1, "resource_fault": 1},
        "random": {"resource": 2, "resource_fault": None},
        "most_recent_change": {"resource": None, "resource_fault": None},
    }
    out = runner.report([result], command="x", config={}, rcaeval=status)
    assert out["methods"]["baro"]["status"] == "not installed"
    assert out["methods"]["nsigma"]["status"] == "not installed"
    assert out["methods"]["cloudwarden"]["status"] == "ok"
    overall = out["scores"]["overall"]
    assert set(overall["resource"]) == {"cloudwarden", "random", "most_recent_change", "chance"}
    assert overall["resource"]["random"]["AC@1"] == 0.0 and overall["resource"]["random"]["AC@2"] == 1.0
    assert overall["resource_fault"]["chance"]["AC@1"] == pytest.approx(1 / 6, abs=1e-4)
