"""GitHub evidence in an investigation: which deployments are compared, one token read, gaps.

Runs against the simulated account (the token in its Secrets Manager, read through an assumed
role) and the simulator's stand-in for GitHub's compare API.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cloudwarden.aws.session import AssumedSession, SessionBroker
from cloudwarden.config import Settings
from cloudwarden.evidence import github
from cloudwarden.evidence.context import CollectContext
from cloudwarden.evidence.model import AlarmInfo, Change, EvidenceBundle
from cloudwarden.simulator import github as sim_github
from cloudwarden.simulator.client import SimulatorClient

ACCOUNT = "123456789012"
EXTERNAL_ID = "q3JtVYg0w0t8cQyq5hR0f7bIeE0lJm8bY4P6j7z2kXo"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/CloudWardenReadOnly"
REGISTRY = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"
WEB = f"arn:aws:ecs:us-east-1:{ACCOUNT}:service/prod-main/storefront-api"
WORKER = f"arn:aws:ecs:us-east-1:{ACCOUNT}:service/prod-main/order-worker"
ALARM_AT = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=5)
GET_SECRET = "secretsmanager:GetSecretValue"


@pytest.fixture
def session(sim: SimulatorClient) -> AssumedSession:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}},
            }
        ],
    }
    sim.client("iam").create_role(RoleName="CloudWardenReadOnly", AssumeRolePolicyDocument=json.dumps(trust))
    broker = SessionBroker(Settings(simulator_url=sim.endpoint))
    return broker.session(role_arn=ROLE_ARN, external_id=EXTERNAL_ID, region="us-east-1")


def _config(sim: SimulatorClient, secret_arn: str, **overrides: Any) -> github.GitHubConfig:
    values: dict[str, Any] = {
        "token_secret_arn": secret_arn,
        "repositories": dict(sim_github.REPOSITORIES),
        "api_url": sim.endpoint + sim_github.PREFIX,
        "timeout_seconds": 5,
    }
    return github.GitHubConfig(**{**values, **overrides})


def _deploy(service: str, minutes_before_alarm: int, previous: str | None, new: str, *, n: int) -> Change:
    repo = "storefront-api" if service == WEB else "order-worker"
    return Change(
        source="ecs-deployment",
        time=ALARM_AT - timedelta(minutes=minutes_before_alarm),
        name="Deployment",
        actor="ecs",
        resources=[service],
        parameters={
            "deployment": f"ecs-svc/{n}",
            "images": [f"{REGISTRY}/{repo}:{new}"],
            "previous_images": [f"{REGISTRY}/{repo}:{previous}"] if previous else [],
        },
        event_id=f"ecs-svc/{n}",
    )


def _bundle(*changes: Change) -> EvidenceBundle:
    alarm = AlarmInfo(
        name="storefront-5xx-high",
        arn=f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:storefront-5xx-high",
        state="ALARM",
        state_reason="Threshold Crossed",
        state_changed_at=ALARM_AT,
        namespace=None,
        metric=None,
        statistic=None,
        dimensions={},
        threshold=None,
        comparison=None,
        period=None,
    )
    return EvidenceBundle(
        account_id=ACCOUNT,
        region="us-east-1",
        alarm=alarm,
        window_start=ALARM_AT - timedelta(hours=3),
        window_end=ALARM_AT + timedelta(minutes=5),
        changes=list(changes),
    )


def _token_secret(sim: SimulatorClient) -> str:
    return sim_github.create_token_secret(sim, account_id=ACCOUNT, at=ALARM_AT - timedelta(days=1))


def test_not_configured_calls_nothing_and_claims_nothing(session: AssumedSession) -> None:
    ctx = CollectContext(session=session)
    bundle = _bundle(_deploy(WEB, 5, "v2.13.4", "v2.14.0", n=1))
    github.collect(ctx, bundle, None)
    assert ctx.call_log.count == 0
    assert (bundle.deploy_commits, bundle.gaps, ctx.gaps) == ([], [], [])


def test_the_two_newest_suspect_deployments_are_compared_with_one_token_read(
    sim: SimulatorClient, session: AssumedSession
) -> None:
    changes = [
        _deploy(WEB, 120, "v2.12.0", "v2.13.0", n=1),  # more than an hour before the alarm
        _deploy(WEB, 50, "v2.13.0", "v2.13.4", n=2),  # in the window, but a third one
        _deploy(WORKER, 20, "v1.8.2", "v1.9.0", n=3),
        _deploy(WEB, 5, "v2.13.4", "v2.14.0", n=4),
        _deploy(WORKER, 3, "v1.9.0", "v1.9.0", n=5),  # a restart: no new image
        Change(source="cloudtrail", time=ALARM_AT, name="UpdateService", actor="x", resources=[WEB]),
    ]
    bundle = _bundle(*changes)
    ctx = CollectContext(session=session)
    github.collect(ctx, bundle, _config(sim, _token_secret(sim)))

    assert ctx.gaps == [] and bundle.gaps == []
    assert ctx.call_log.calls == [(GET_SECRET, "ok")]  # one read for both comparisons
    newest, older = bundle.deploy_commits
    assert (newest.repository, newest.base, newest.head) == (
        "acme-retail/storefront-api",
        "v2.13.4",
        "v2.14.0",
    )
    assert (newest.resource, newest.deployment, newest.deployed_at) == (WEB, "ecs-svc/4", changes[3].time)
    assert newest.total_commits == 3
    assert newest.commits[0].message == "pricing: promo engine v2"  # newest first, first line only
    assert newest.commits[0].author == "mhernandez"
    assert "storefront/pricing/engine_v2.py" in {f.filename for f in newest.files}
    assert (older.repository, older.base, older.head, older.resource) == (
        "acme-retail/order-worker",
        "v1.8.2",
        "v1.9.0",
        WORKER,
    )
    assert older.total_commits == len(older.commits) >= 1


def test_the_token_is_read_in_the_secrets_region_through_the_assumed_role(
    sim: SimulatorClient, session: AssumedSession
) -> None:
    token = "ghp_" + "k" * 36
    created = sim.client("secretsmanager", region="eu-west-1").create_secret(
        Name=sim_github.TOKEN_SECRET_NAME, SecretString=json.dumps({"token": token})
    )
    ctx = CollectContext(session=session)
    bundle = _bundle(_deploy(WEB, 5, "v2.13.4", "v2.14.0", n=1))
    github.collect(ctx, bundle, _config(sim, created["ARN"]))

    assert [d.head for d in bundle.deploy_commits] == ["v2.14.0"]
    client = ctx._clients["secretsmanager@eu-west-1"]
    assert client.meta.region_name == "eu-west-1"
    assert client._request_signer._credentials.access_key == session._credentials.access_key_id
    assert ctx.call_log.calls == [(GET_SECRET, "ok")]
    assert token not in bundle.model_dump_json()


def test_an_unreadable_token_is_one_gap_not_one_per_deployment(
    sim: SimulatorClient, session: AssumedSession
) -> None:
    missing = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:cloudwarden/nothing-AbCdEf"
    bundle = _bundle(_deploy(WEB, 5, "v2.13.4", "v2.14.0", n=1), _deploy(WORKER, 9, "v1.8.2", "v1.9.0", n=2))
    ctx = CollectContext(session=session)
    github.collect(ctx, bundle, _config(sim, missing))

    assert bundle.deploy_commits == []
    [gap] = ctx.gaps
    assert bundle.gaps == [gap]
    assert (gap.source, gap.action, gap.code) == ("github", GET_SECRET, "ResourceNotFoundException")
    assert [action for action, _ in ctx.call_log.calls] == [GET_SECRET]  # read once, not retried


def test_a_token_github_rejects_is_a_readable_gap(sim: SimulatorClient, session: AssumedSession) -> None:
    _token_secret(sim)  # what the stand-in for GitHub accepts
    other = sim.client("secretsmanager").create_secret(Name="old-token", SecretString="ghp_" + "x" * 36)
    bundle = _bundle(_deploy(WEB, 5, "v2.13.4", "v2.14.0", n=1))
    ctx = CollectContext(session=session)
    github.collect(ctx, bundle, _config(sim, other["ARN"]))
    [gap] = ctx.gaps
    assert (gap.action, gap.code) == ("github:compare", "Unauthorized")
    assert gap.describe().startswith("evidence unavailable: github:compare unauthorized (GitHub rejected")


def test_an_unmapped_image_repository_is_a_gap_and_reads_no_secret(
    sim: SimulatorClient, session: AssumedSession
) -> None:
    bundle = _bundle(_deploy(WORKER, 5, "v1.8.2", "v1.9.0", n=1))
    ctx = CollectContext(session=session)
    config = _config(sim, _token_secret(sim), repositories={"storefront-api": "acme-retail/storefront-api"})
    github.collect(ctx, bundle, config)
    assert ctx.call_log.count == 0
    [gap] = ctx.gaps
    assert (gap.code, gap.message) == (
        "NotConfigured",
        "no GitHub repository is configured for image repository order-worker",
    )
