"""Contract: AssumeRole enforces existence and ExternalId like AWS, and deleted roles revoke sessions."""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.patches.call_recorder import recorded_events
from cloudwarden.simulator.patches.sts_trust import trust_policy_allows

CUSTOMER = "111111111111"
CLOUDWARDEN = "123456789012"  # the simulator's administrator keys stand in for CloudWarden's principal
ROLE = "CloudWardenReadOnly"
ROLE_ARN = f"arn:aws:iam::{CUSTOMER}:role/{ROLE}"
EXTERNAL_ID = "cw-7f3a9c2e-41d8-4b6a-9e0f-2b5c8d1e6a47"


def _trust(condition: dict[str, Any] | None = None, principal: Any = None) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": principal or {"AWS": f"arn:aws:iam::{CLOUDWARDEN}:root"},
        "Action": "sts:AssumeRole",
    }
    if condition is not None:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


ONBOARDING_TRUST = _trust({"StringEquals": {"sts:ExternalId": EXTERNAL_ID}})


@functools.cache
def _client(endpoint: str, service: str, account: str | None = None, keys: tuple[str, ...] = ()) -> Any:
    """Built once (clients are slow to build); `account` acts inside it, `keys` are session keys."""
    names = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")
    session_keys = dict(zip(names, keys, strict=True)) if keys else {}
    client = SimulatorClient(endpoint).client(service, **session_keys)
    if account is not None:

        def in_account(request: Any, **_: Any) -> None:
            request.headers["x-moto-account-id"] = account  # moto's own header for choosing the account

        client.meta.events.register_first("before-sign", in_account)
    return client


def _create_role(sim: SimulatorClient, trust: dict[str, Any], name: str = ROLE) -> None:
    _client(sim.endpoint, "iam", CUSTOMER).create_role(
        RoleName=name, AssumeRolePolicyDocument=json.dumps(trust)
    )


def _assume(sim: SimulatorClient, role_arn: str = ROLE_ARN, **kwargs: Any) -> tuple[str, str, str]:
    sts = _client(sim.endpoint, "sts")
    credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName="cloudwarden", **kwargs)["Credentials"]
    return credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"]


def _as(sim: SimulatorClient, keys: tuple[str, str, str], service: str) -> Any:
    return _client(sim.endpoint, service, None, keys)


def _denial(call: Any) -> dict[str, Any]:
    """The AWS error a call fails with."""
    with pytest.raises(ClientError) as info:
        call()
    return {
        "code": info.value.response["Error"]["Code"],
        "message": info.value.response["Error"]["Message"],
        "status": info.value.response["ResponseMetadata"]["HTTPStatusCode"],
    }


def test_the_right_external_id_opens_a_session_in_the_customer_account(sim: SimulatorClient) -> None:
    _create_role(sim, ONBOARDING_TRUST)

    keys = _assume(sim, ExternalId=EXTERNAL_ID)
    identity = _as(sim, keys, "sts").get_caller_identity()
    _as(sim, keys, "ecs").create_cluster(clusterName="probe")

    assert identity["Account"] == CUSTOMER
    assert identity["Arn"] == f"arn:aws:sts::{CUSTOMER}:assumed-role/{ROLE}/cloudwarden"
    [event] = recorded_events(CUSTOMER, sim.region)[:1]
    record = json.loads(event["CloudTrailEvent"])
    assert event["EventName"] == "CreateCluster"
    assert event["AccessKeyId"] == keys[0]
    assert record["userIdentity"]["type"] == "AssumedRole"
    assert record["userIdentity"]["arn"] == identity["Arn"]
    assert record["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"] == ROLE_ARN


def test_a_missing_or_wrong_external_id_is_denied_like_aws(sim: SimulatorClient) -> None:
    _create_role(sim, ONBOARDING_TRUST)
    attempts: list[dict[str, str]] = [
        {},
        {"ExternalId": "cw-wrong-id"},
        {"ExternalId": EXTERNAL_ID.upper()},  # StringEquals is case-sensitive
        {"ExternalId": EXTERNAL_ID[:-1]},
    ]

    for attempt in attempts:
        denial = _denial(lambda attempt=attempt: _assume(sim, **attempt))
        assert denial["code"] == "AccessDenied", attempt
        assert denial["status"] == 403
        assert denial["message"] == (
            f"User: arn:aws:iam::{CLOUDWARDEN}:root is not authorized to perform: sts:AssumeRole "
            f"on resource: {ROLE_ARN}"
        )


def test_assuming_a_role_that_does_not_exist_is_denied(sim: SimulatorClient) -> None:
    missing = f"arn:aws:iam::{CUSTOMER}:role/NeverCreated"

    denial = _denial(lambda: _assume(sim, role_arn=missing, ExternalId=EXTERNAL_ID))

    assert denial["code"] == "AccessDenied"
    assert denial["message"].endswith(f"is not authorized to perform: sts:AssumeRole on resource: {missing}")


def test_sessions_of_a_deleted_role_are_denied_and_a_new_role_does_not_revive_them(
    sim: SimulatorClient,
) -> None:
    _create_role(sim, ONBOARDING_TRUST)
    keys = _assume(sim, ExternalId=EXTERNAL_ID)
    assert _as(sim, keys, "ecs").list_clusters()["clusterArns"] == []
    session_arn = f"arn:aws:sts::{CUSTOMER}:assumed-role/{ROLE}/cloudwarden"

    _client(sim.endpoint, "iam", CUSTOMER).delete_role(RoleName=ROLE)

    ecs = _denial(lambda: _as(sim, keys, "ecs").create_cluster(clusterName="after-delete"))
    assert ecs["code"] == "AccessDeniedException"
    assert ecs["message"] == (
        f"User: {session_arn} is not authorized to perform: ecs:CreateCluster "
        "because no identity-based policy allows the ecs:CreateCluster action"
    )
    assert _denial(lambda: _as(sim, keys, "iam").list_roles())["code"] == "AccessDenied"
    assert _denial(lambda: _as(sim, keys, "ec2").describe_instances())["code"] == "UnauthorizedOperation"
    assert _denial(lambda: _as(sim, keys, "cloudtrail").lookup_events())["code"] == "AccessDeniedException"
    # STS still says who the caller is: GetCallerIdentity needs no permission.
    assert _as(sim, keys, "sts").get_caller_identity()["Account"] == CUSTOMER
    assert [e["EventName"] for e in recorded_events(CUSTOMER, sim.region)] == ["DeleteRole", "CreateRole"]

    _create_role(sim, ONBOARDING_TRUST)  # same name, new role: old sessions stay dead
    assert _denial(lambda: _as(sim, keys, "ecs").list_clusters())["code"] == "AccessDeniedException"
    fresh = _assume(sim, ExternalId=EXTERNAL_ID)
    assert _as(sim, fresh, "ecs").list_clusters()["clusterArns"] == []


def test_changing_the_trust_policy_affects_only_new_sessions(sim: SimulatorClient) -> None:
    _create_role(sim, ONBOARDING_TRUST)
    keys = _assume(sim, ExternalId=EXTERNAL_ID)
    rotated = _trust({"StringEquals": {"sts:ExternalId": "cw-rotated-id"}})

    _client(sim.endpoint, "iam", CUSTOMER).update_assume_role_policy(
        RoleName=ROLE, PolicyDocument=json.dumps(rotated)
    )

    assert _as(sim, keys, "ecs").list_clusters()["clusterArns"] == []  # issued sessions keep working
    assert _denial(lambda: _assume(sim, ExternalId=EXTERNAL_ID))["code"] == "AccessDenied"
    assert _assume(sim, ExternalId="cw-rotated-id")[0].startswith("ASIA")


def test_an_expired_session_is_rejected(sim: SimulatorClient) -> None:
    from moto.sts.models import sts_backends

    _create_role(sim, ONBOARDING_TRUST)
    keys = _assume(sim, ExternalId=EXTERNAL_ID)
    # Waiting out the 15-minute minimum is not an option in a test: age the session instead.
    session = sts_backends[CUSTOMER]["aws"].get_assumed_role_from_access_key(keys[0])
    session.expiration = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=1)

    denial = _denial(lambda: _as(sim, keys, "ecs").list_clusters())

    assert denial["code"] == "ExpiredTokenException"


@pytest.mark.parametrize(
    ("trust", "external_id", "allowed"),
    [
        (_trust(), None, True),  # no ExternalId condition: any caller, with or without one
        (_trust(), "anything", True),
        (_trust({"StringEquals": {"sts:ExternalId": [EXTERNAL_ID, "cw-next"]}}), "cw-next", True),
        (_trust({"StringLike": {"sts:ExternalId": "cw-*"}}), EXTERNAL_ID, True),
        (_trust({"StringLike": {"sts:ExternalId": "cw-*"}}), "other", False),
        (_trust({"StringEqualsIfExists": {"sts:ExternalId": EXTERNAL_ID}}), None, True),
        (_trust({"StringEquals": {"sts:externalid": EXTERNAL_ID}}), EXTERNAL_ID, True),  # keys: any case
        (_trust({"StringNotEquals": {"sts:ExternalId": "x"}}), "y", False),  # not understood: closed
        (_trust(principal={"Service": "ecs-tasks.amazonaws.com"}), None, False),  # no IAM caller matches
        (_trust(principal="*"), None, True),
        (
            {"Statement": [*_trust()["Statement"], {**_trust()["Statement"][0], "Effect": "Deny"}]},
            None,
            False,
        ),
        ("{not json", EXTERNAL_ID, False),
    ],
)
def test_trust_policy_evaluation(trust: Any, external_id: str | None, allowed: bool) -> None:
    document = trust if isinstance(trust, str) else json.dumps(trust)

    assert trust_policy_allows(document, external_id) is allowed
