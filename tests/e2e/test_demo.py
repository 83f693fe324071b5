"""The demo journey end to end on the simulated account: every scenario diagnosed correctly."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from cloudwarden.aws import permissions, redact
from cloudwarden.aws.session import SessionBroker
from cloudwarden.config import Settings
from cloudwarden.demo import DemoRun, run_demo
from cloudwarden.simulator import github as sim_github
from cloudwarden.simulator import scenario
from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.server import SimulatorServer

SCENARIOS = sorted(scenario.load_all())
MAX_AWS_CALLS = 30


def _settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'cw.db'}")


@pytest.fixture(scope="module")
def runs(simulator_server: SimulatorServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, DemoRun]:
    results = {}
    for name in SCENARIOS:
        results[name] = run_demo(
            name, settings=_settings(tmp_path_factory.mktemp(name)), server=simulator_server
        )
    return results


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario_root_cause_ranked_first(runs: dict[str, DemoRun], name: str) -> None:
    run = runs[name]
    top = run.diagnosis.hypotheses[0]
    assert (top.resource, top.fault) == (run.injection.truth_resource, run.injection.truth_fault), (
        run.diagnosis.summary
    )
    assert top.evidence, "the top hypothesis must cite evidence"
    assert not run.diagnosis.evidence_unavailable, run.diagnosis.evidence_unavailable
    assert run.diagnosis.aws_calls <= MAX_AWS_CALLS


def test_every_aws_call_is_declared_and_every_declaration_used(runs: dict[str, DemoRun]) -> None:
    # Required declarations only: the optional ones (GitHub's token read) are granted only when
    # the customer opts in, and these runs do not; tests/e2e/test_github_evidence.py proves them used.
    # The evidence collectors' reads; the posture collectors' are checked by a posture scan
    # (tests/aws/test_least_privilege_enforced.py).
    read = {
        a
        for d in permissions.declarations("read")
        if d.owner.startswith("evidence.") and not d.optional
        for a in d.actions
    }
    optional = set(permissions.optional_actions())
    assert optional and not optional & read
    used: set[str] = set()
    for run in runs.values():
        calls = set(run.aws_calls_by_action) | {p.action for p in run.probe}
        assert calls <= read, f"undeclared AWS calls: {sorted(calls - read)}"
        used |= calls
        # Not configured, GitHub is silent: no call, no gap, no claim.
        assert not run.bundle.deploy_commits
        assert not [e for h in run.diagnosis.hypotheses for e in h.evidence if e.source == "github"]
    assert used == read, f"declared but never used: {sorted(read - used)}"


def test_probe_reports_every_source_usable(runs: dict[str, DemoRun]) -> None:
    probe = runs[SCENARIOS[0]].probe
    assert {p.source for p in probe} >= {
        "alarms",
        "metrics",
        "logs",
        "cloudtrail",
        "ecs",
        "rds",
        "ec2",
        "lambda",
    }
    assert all(p.usable for p in probe), [p for p in probe if not p.usable]


def test_session_credentials_never_persisted_or_logged(
    simulator_server: SimulatorServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log_file = tmp_path / "cloudwarden.log"
    handler = logging.FileHandler(log_file)
    redact.install(handler)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)  # the worst case: botocore logs request headers at DEBUG
    captured: list[SessionBroker] = []
    original = SessionBroker.session

    def spy(self: SessionBroker, **kwargs: str):  # type: ignore[no-untyped-def]
        captured.append(self)
        return original(self, **kwargs)

    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(SessionBroker, "session", spy)
            # With GitHub: the investigation also reads a GitHub token from Secrets Manager.
            run = run_demo("bad_deploy", settings=_settings(tmp_path), server=simulator_server, github=True)
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
        handler.close()
    secrets = set()
    for broker in captured:
        for session in broker._cache.values():
            creds = session._credentials
            secrets |= {creds.access_key_id, creds.secret_access_key, creds.session_token}
    assert secrets, "the spy saw no session"
    assert run.aws_calls_by_action.get("secretsmanager:GetSecretValue") == 1 and run.bundle.deploy_commits
    github_token = (
        SimulatorClient(simulator_server.endpoint)
        .client("secretsmanager")
        .get_secret_value(SecretId=sim_github.TOKEN_SECRET_NAME)["SecretString"]
    )
    assert github_token.startswith("ghp_")
    secrets.add(github_token)
    out = capsys.readouterr()
    haystacks = {"stdout": out.out, "stderr": out.err}
    for path in tmp_path.rglob("*"):
        if path.is_file():
            haystacks[str(path)] = path.read_bytes().decode("latin-1")
    assert log_file.stat().st_size > 10_000, "DEBUG logging should have recorded the AWS traffic"
    for where, text in haystacks.items():
        for secret in secrets:
            assert secret not in text, f"session credential or GitHub token found in {where}"


@pytest.mark.parametrize("name", ["dependency_latency", "secret_rotation_failure"])
def test_a_large_account_stays_within_the_call_budget(
    simulator_server: SimulatorServer, tmp_path: Path, name: str
) -> None:
    """Fifteen more functions (thirty more candidates) for the web API: still right, still <= 30 calls."""
    chosen = scenario.get(name).model_copy(
        update={"topology": scenario.Topology(extra_functions=scenario.MAX_EXTRA_FUNCTIONS)}
    )
    run = run_demo(name, settings=_settings(tmp_path), server=simulator_server, chosen=chosen)
    assert run.diagnosis.candidates >= 40
    top = run.diagnosis.hypotheses[0]
    assert (top.resource, top.fault) == (run.injection.truth_resource, run.injection.truth_fault)
    assert run.diagnosis.aws_calls <= MAX_AWS_CALLS
    assert not run.diagnosis.evidence_unavailable
