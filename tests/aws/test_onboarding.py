"""Deploying the onboarding stack into the simulated account, as a customer would."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from cloudwarden.aws import template
from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.onboarding import (
    OnboardingOutputs,
    attached_deny_policy_arn,
    deploy_onboarding_stack,
)
from tests.aws.test_template import PRINCIPAL, READS, WRITES

# moto warns that it skips AWS::SNS::TopicPolicy; deploy_onboarding_stack fills that gap.
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse AWS..SNS..TopicPolicy:UserWarning")

EXTERNAL_ID = "Y2xvdWR3YXJkZW4tb25ib2FyZGluZy10ZXN0LWlk-42"
ACCOUNT = "123456789012"


def deploy(sim: SimulatorClient, **kwargs: Any) -> OnboardingOutputs:
    return deploy_onboarding_stack(
        sim,
        principal_arn=PRINCIPAL,
        external_id=EXTERNAL_ID,
        read_actions=READS,
        write_actions=WRITES,
        **kwargs,
    )


def policy_actions(document: dict[str, Any], effect: str = "Allow") -> set[str]:
    actions: set[str] = set()
    for statement in document["Statement"]:
        if statement["Effect"] == effect:
            action = statement["Action"]
            actions.update(action if isinstance(action, list) else [action])
    return actions


def deny_document(sim: SimulatorClient) -> dict[str, Any]:
    """The default version of the write-deny managed policy attached to the read role."""
    iam, arn = sim.client("iam"), attached_deny_policy_arn(sim)
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
    return json.loads(document) if isinstance(document, str) else document


def test_roles_trust_only_cloudwarden_and_only_with_the_external_id(sim: SimulatorClient) -> None:
    outputs = deploy(sim, enable_actions=True)
    assert outputs.read_role_arn == f"arn:aws:iam::{ACCOUNT}:role/CloudWardenReadOnly"
    assert outputs.actions_role_arn == f"arn:aws:iam::{ACCOUNT}:role/CloudWardenActions"
    assert outputs.alerts_topic_arn == f"arn:aws:sns:us-east-1:{ACCOUNT}:CloudWardenAlerts"
    stack = sim.client("cloudformation").describe_stacks(StackName=outputs.stack_id)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"

    iam, sts = sim.client("iam"), sim.client("sts")
    for role_arn in (outputs.read_role_arn, outputs.actions_role_arn):
        role = iam.get_role(RoleName=role_arn.rsplit("/", 1)[1])["Role"]
        assert role["MaxSessionDuration"] == 3600
        [statement] = role["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Principal"] == {"AWS": PRINCIPAL}
        assert statement["Action"] == "sts:AssumeRole"
        assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}}

        assumed = sts.assume_role(RoleArn=role_arn, RoleSessionName="cloudwarden", ExternalId=EXTERNAL_ID)
        assert assumed["AssumedRoleUser"]["Arn"].startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/")
        for wrong in ({"ExternalId": "x" * 40}, {}):
            with pytest.raises(ClientError) as denied:
                sts.assume_role(RoleArn=role_arn, RoleSessionName="cloudwarden", **wrong)
            assert denied.value.response["Error"]["Code"] == "AccessDenied"


def test_roles_hold_exactly_the_declared_actions(sim: SimulatorClient) -> None:
    deploy(sim, enable_actions=True)
    iam = sim.client("iam")
    read_role = template.READ_ROLE_NAME
    names = iam.list_role_policies(RoleName=read_role)["PolicyNames"]
    assert names == [template.READ_POLICY_NAME]
    read = iam.get_role_policy(RoleName=read_role, PolicyName=template.READ_POLICY_NAME)
    assert policy_actions(read["PolicyDocument"]) == set(READS)
    # The write-deny is a customer managed policy of the account, attached to the read role only.
    attached = iam.list_attached_role_policies(RoleName=read_role)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [attached_deny_policy_arn(sim)]
    assert f"-{template.DENY_POLICY_NAME}-" in attached[0]["PolicyName"]  # named by CloudFormation
    assert "ecs:Update*" in policy_actions(deny_document(sim), effect="Deny")
    entities = iam.list_entities_for_policy(PolicyArn=attached[0]["PolicyArn"])
    assert [r["RoleName"] for r in entities["PolicyRoles"]] == [read_role]
    assert entities["PolicyUsers"] == entities["PolicyGroups"] == []

    [name] = iam.list_role_policies(RoleName=template.ACTIONS_ROLE_NAME)["PolicyNames"]
    actions = iam.get_role_policy(RoleName=template.ACTIONS_ROLE_NAME, PolicyName=name)["PolicyDocument"]
    assert policy_actions(actions) == set(WRITES)


def test_actions_role_is_absent_unless_enabled(sim: SimulatorClient) -> None:
    outputs = deploy(sim)
    assert outputs.actions_role_arn is None
    stack = sim.client("cloudformation").describe_stacks(StackName=outputs.stack_id)["Stacks"][0]
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}["EnableActions"] == "false"
    assert "ActionsRoleArn" not in {o["OutputKey"] for o in stack["Outputs"]}
    with pytest.raises(ClientError) as missing:
        sim.client("iam").get_role(RoleName=template.ACTIONS_ROLE_NAME)
    assert missing.value.response["Error"]["Code"] == "NoSuchEntity"


def test_alerts_topic_exists_encrypted_with_its_policy(sim: SimulatorClient) -> None:
    outputs = deploy(sim)
    attributes = sim.client("sns").get_topic_attributes(TopicArn=outputs.alerts_topic_arn)["Attributes"]
    key_id = attributes["KmsMasterKeyId"]
    assert key_id.startswith(f"arn:aws:kms:us-east-1:{ACCOUNT}:key/")
    kms = sim.client("kms")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyManager"] == "CUSTOMER"
    assert "alias/cloudwarden-alerts" in {a["AliasName"] for a in kms.list_aliases()["Aliases"]}

    statements = {s["Sid"]: s for s in json.loads(attributes["Policy"])["Statement"]}
    assert statements["CloudWatchAlarmsPublish"]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT}
    }
    assert statements["EventBridgeRulesPublish"]["Principal"] == {"Service": "events.amazonaws.com"}
    assert statements["CloudWardenSubscribesHttpsIntake"]["Principal"] == {"AWS": PRINCIPAL}
    assert statements["CloudWardenPublishesNotifications"]["Action"] == "sns:Publish"
    assert {s["Resource"] for s in statements.values()} == {outputs.alerts_topic_arn}


@pytest.mark.parametrize(
    ("mode", "policy_arn"),
    [
        ("ReadOnlyAccess", "arn:aws:iam::aws:policy/ReadOnlyAccess"),
        ("ViewOnlyAccess", "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"),
    ],
)
def test_managed_modes_attach_the_aws_policy(
    sim: SimulatorClient, mode: template.PolicyMode, policy_arn: str
) -> None:
    deploy(sim, policy_mode=mode)
    iam = sim.client("iam")
    attached = iam.list_attached_role_policies(RoleName=template.READ_ROLE_NAME)["AttachedPolicies"]
    assert sorted(p["PolicyArn"] for p in attached) == sorted([policy_arn, attached_deny_policy_arn(sim)])
    assert iam.list_role_policies(RoleName=template.READ_ROLE_NAME)["PolicyNames"] == []
    assert "iam:Create*" in policy_actions(deny_document(sim), effect="Deny")


def test_github_token_grant_exists_only_when_its_parameter_is_set(sim: SimulatorClient) -> None:
    """moto's CloudFormation evaluates the template's Conditions: the grants follow the parameters."""
    for case in ("empty", "secret", "secret and key"):
        sim.reset()
        iam = sim.client("iam")
        secret_arn = sim.client("secretsmanager").create_secret(
            Name="cloudwarden/github-token", SecretString="t" * 40
        )["ARN"]
        key_arn = sim.client("kms").create_key(Description="encrypts the GitHub token")["KeyMetadata"]["Arn"]
        opt_in = {
            "empty": {},
            "secret": {"GitHubTokenSecretArn": secret_arn},
            "secret and key": {"GitHubTokenSecretArn": secret_arn, "GitHubTokenKmsKeyArn": key_arn},
        }[case]
        outputs = deploy(sim, opt_in=opt_in)

        stack = sim.client("cloudformation").describe_stacks(StackName=outputs.stack_id)["Stacks"][0]
        assert stack["StackStatus"] == "CREATE_COMPLETE"
        parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
        assert parameters["GitHubTokenSecretArn"] == opt_in.get("GitHubTokenSecretArn", "")
        policies = {
            name: iam.get_role_policy(RoleName=template.READ_ROLE_NAME, PolicyName=name)["PolicyDocument"]
            for name in iam.list_role_policies(RoleName=template.READ_ROLE_NAME)["PolicyNames"]
        }
        optional = set(policies) - {template.READ_POLICY_NAME}
        assert (
            optional
            == {
                "empty": set(),
                "secret": {"CloudWardenGitHubTokenSecret"},
                "secret and key": {"CloudWardenGitHubTokenSecret", "CloudWardenGitHubTokenKmsKey"},
            }[case]
        )
        read_actions = policy_actions(policies[template.READ_POLICY_NAME])
        assert not [a for a in read_actions if a.startswith("secretsmanager:")]
        if "CloudWardenGitHubTokenSecret" in optional:
            [statement] = policies["CloudWardenGitHubTokenSecret"]["Statement"]
            assert statement["Action"] == ["secretsmanager:GetSecretValue"]
            assert statement["Resource"] == secret_arn  # exactly that secret, never "*"
        if "CloudWardenGitHubTokenKmsKey" in optional:
            [statement] = policies["CloudWardenGitHubTokenKmsKey"]["Statement"]
            assert (statement["Action"], statement["Resource"]) == ("kms:Decrypt", key_arn)
            assert statement["Condition"] == {
                "StringLike": {"kms:ViaService": "secretsmanager.*.amazonaws.com"}
            }


def test_an_unknown_optional_parameter_is_refused(sim: SimulatorClient) -> None:
    with pytest.raises(ValueError, match="no optional parameter"):
        deploy(sim, opt_in={"GitHubTokenSecret": "arn:aws:secretsmanager:us-east-1:123456789012:secret:x"})
