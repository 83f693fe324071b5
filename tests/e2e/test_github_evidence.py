"""GitHub evidence end to end: the customer opts in, the bad_deploy investigation shows the commits.

The demo stores a token in the simulated account's Secrets Manager, deploys the onboarding stack
with GitHubTokenSecretArn, and configures CloudWarden's GitHub settings; the investigation reads
the token through the assumed role (the optional, ARN-scoped grant) and asks the simulator's
stand-in for GitHub's compare API.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from cloudwarden.aws import permissions, template
from cloudwarden.aws.session import AssumedSession
from cloudwarden.cli import output
from cloudwarden.config import Settings
from cloudwarden.demo import DemoRun, run_demo
from cloudwarden.simulator import github as sim_github
from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.server import SimulatorServer
from cloudwarden.store import db as store_db

GET_SECRET = "secretsmanager:GetSecretValue"


@dataclass
class GitHubRun:
    run: DemoRun
    clients: list[tuple[str, str | None, str]]  # (service, region, the session's caller ARN)
    folder: Path
    # The simulated account as the demo left it (other tests reset the shared simulator later).
    secret_arn: str
    role_policies: dict[str, Any]
    stack_parameters: dict[str, str]
    stack_template: dict[str, Any]


@pytest.fixture(scope="module")
def github_run(simulator_server: SimulatorServer, tmp_path_factory: pytest.TempPathFactory) -> GitHubRun:
    """The bad_deploy demo with GitHub, and every client the investigation's sessions built."""
    clients: list[tuple[str, str | None, str]] = []
    original = AssumedSession.client

    def spy(self: AssumedSession, service: str, **kwargs: Any) -> Any:
        clients.append((service, kwargs.get("region"), self.caller_arn))
        return original(self, service, **kwargs)

    folder = tmp_path_factory.mktemp("github")
    settings = Settings(data_dir=folder, database_url=f"sqlite:///{folder / 'cw.db'}")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(AssumedSession, "client", spy)
        run = run_demo("bad_deploy", settings=settings, server=simulator_server, github=True)
    sim = SimulatorClient(simulator_server.endpoint)
    iam, cloudformation = sim.client("iam"), sim.client("cloudformation")
    role = template.READ_ROLE_NAME
    stack = cloudformation.describe_stacks(StackName="CloudWardenOnboarding")["Stacks"][0]
    body = cloudformation.get_template(StackName="CloudWardenOnboarding")["TemplateBody"]
    return GitHubRun(
        run=run,
        clients=clients,
        folder=folder,
        secret_arn=sim.client("secretsmanager").describe_secret(SecretId=sim_github.TOKEN_SECRET_NAME)["ARN"],
        role_policies={
            name: iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
            for name in iam.list_role_policies(RoleName=role)["PolicyNames"]
        },
        stack_parameters={p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]},
        stack_template=yaml.safe_load(body) if isinstance(body, str) else body,
    )


def test_bad_deploy_investigation_shows_the_compared_commits(
    github_run: GitHubRun, capsys: pytest.CaptureFixture[str]
) -> None:
    run = github_run.run
    top = run.diagnosis.hypotheses[0]
    assert (top.resource, top.fault) == (run.injection.truth_resource, "bad_deploy")
    assert run.diagnosis.evidence_unavailable == []

    [compared] = run.bundle.deploy_commits
    assert (compared.repository, compared.base, compared.head) == (
        "acme-retail/storefront-api",
        "v2.13.4",
        "v2.14.0",
    )
    assert compared.resource == top.resource and compared.total_commits == 3
    newest = compared.commits[0]
    assert (newest.message, newest.author) == ("pricing: promo engine v2", "mhernandez")
    assert "storefront/pricing/engine_v2.py" in {f.filename for f in compared.files}

    # The JSON: under the hypothesis, as context (weight 0).
    shown = [
        e
        for e in run.diagnosis.model_dump(mode="json")["hypotheses"][0]["evidence"]
        if e["source"] == "github"
    ]
    assert shown[0]["summary"] == "acme-retail/storefront-api v2.13.4..v2.14.0: 3 commits, 5 files changed"
    assert shown[1]["summary"] == f"{newest.sha[:7]} mhernandez: pricing: promo engine v2"
    assert len(shown) == 4 and all(e["weight"] == 0 for e in shown)

    # The text report and the narration say it too.
    output.print_diagnosis(run.diagnosis)
    text = " ".join(capsys.readouterr().out.split())
    assert "acme-retail/storefront-api v2.13.4..v2.14.0: 3 commits" in text
    assert f"{newest.sha[:7]} mhernandez: pricing: promo engine v2" in text
    assert run.diagnosis.narration is not None
    assert "pricing: promo engine v2" in run.diagnosis.narration.text

    # Stored with the investigation: the comparison as data, its lines as the hypothesis' evidence.
    engine = store_db.make_engine(f"sqlite:///{github_run.folder / 'cw.db'}")
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT kind, summary FROM evidence_records WHERE source = 'github'"
        ).fetchall()
    assert ("deploy-commits", "acme-retail/storefront-api v2.13.4..v2.14.0: 3 commits") in rows
    assert ("finding:bad_deploy", f"{newest.sha[:7]} mhernandez: pricing: promo engine v2") in rows


def test_the_token_is_read_once_through_the_assumed_role_under_the_optional_grant(
    github_run: GitHubRun,
) -> None:
    run = github_run.run
    assert run.aws_calls_by_action.get(GET_SECRET) == 1
    account = run.role_arn.split(":")[4]
    role = f"arn:aws:sts::{account}:assumed-role/{template.READ_ROLE_NAME}/"
    readers = [
        (region, caller) for service, region, caller in github_run.clients if service == "secretsmanager"
    ]
    assert readers and all(caller.startswith(role) for _, caller in readers)
    assert {region for region, _ in readers} == {"us-east-1"}  # the secret's region

    # Declared, and optional: every call is declared, GetSecretValue only as the opt-in grant.
    required, optional = set(permissions.actions("read")), set(permissions.optional_actions())
    calls = set(run.aws_calls_by_action) | {p.action for p in run.probe}
    assert calls <= required | optional, sorted(calls - required - optional)
    assert optional <= calls, "every optional declaration is used once GitHub is configured"
    assert GET_SECRET in optional and GET_SECRET not in required

    # The deployed stack granted it on exactly the token's secret, in its own conditional policy.
    assert github_run.stack_parameters["GitHubTokenSecretArn"] == github_run.secret_arn
    assert github_run.stack_template["Resources"]["CloudWardenGitHubTokenSecret"]["Condition"] == (
        "GitHubTokenSecretArnSet"
    )
    [statement] = github_run.role_policies["CloudWardenGitHubTokenSecret"]["Statement"]
    assert (statement["Action"], statement["Resource"]) == ([GET_SECRET], github_run.secret_arn)
    others = {k: v for k, v in github_run.role_policies.items() if k != "CloudWardenGitHubTokenSecret"}
    granted_elsewhere = [
        name
        for name, document in others.items()
        for s in document["Statement"]
        if s["Effect"] == "Allow" and any(a.startswith("secretsmanager") for a in _as_list(s["Action"]))
    ]
    assert granted_elsewhere == []


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
