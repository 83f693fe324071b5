"""Deploy the onboarding template into the simulated account, exactly as a customer would.

CreateStack with the rendered CloudFormation template and its parameters (the optional ones,
such as GitHubTokenSecretArn, empty unless given), wait for CREATE_COMPLETE, read the outputs.
Then the simulator works around moto's CloudFormation gaps, each only where moto left one (so a
workaround switches itself off if moto learns the feature):
- `ManagedPolicyArns` is dropped: the managed policy is attached through IAM;
- `AWS::SNS::TopicPolicy` is not supported: the topic policy is set through SNS;
- inline role policies (the role's own and the optional grants' AWS::IAM::Policy) and the KMS
  key policy are kept as objects, not JSON, so GetRolePolicy answers a Python repr and every KMS
  call on the key fails: both are put again as JSON.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cloudwarden.aws import template
from cloudwarden.aws.permissions import PermissionDeclaration
from cloudwarden.aws.template import PolicyMode
from cloudwarden.simulator.client import SimulatorClient

DEFAULT_STACK_NAME = "CloudWardenOnboarding"
_FINAL_STATES = {"CREATE_COMPLETE", "CREATE_FAILED", "ROLLBACK_COMPLETE", "ROLLBACK_FAILED"}


class OnboardingFailed(RuntimeError):
    """The onboarding stack did not reach CREATE_COMPLETE."""


@dataclass(frozen=True)
class OnboardingOutputs:
    read_role_arn: str
    actions_role_arn: str | None
    alerts_topic_arn: str
    stack_id: str


def deploy_onboarding_stack(
    sim: SimulatorClient,
    *,
    principal_arn: str,
    external_id: str,
    enable_actions: bool = False,
    policy_mode: PolicyMode = "least-privilege",
    stack_name: str = DEFAULT_STACK_NAME,
    read_actions: Sequence[str] | None = None,
    write_actions: Sequence[str] | None = None,
    optional: Sequence[PermissionDeclaration] | None = None,
    opt_in: dict[str, str] | None = None,
    timeout_seconds: float = 30.0,
) -> OnboardingOutputs:
    """Create the onboarding stack in the simulated account and return its outputs.

    Without `read_actions`/`write_actions`/`optional` the declarations in the permission registry
    are used. `opt_in` sets optional parameters ({"GitHubTokenSecretArn": arn}); the others are
    passed empty, as a customer who leaves them alone.
    """
    if read_actions is None or write_actions is None:
        declared_reads, declared_writes = template.declared_actions()
        read_actions = declared_reads if read_actions is None else read_actions
        write_actions = declared_writes if write_actions is None else write_actions
    policies = template.build_policies(
        principal_arn=principal_arn,
        read_actions=read_actions,
        write_actions=write_actions,
        policy_mode=policy_mode,
        optional=template.declared_optional() if optional is None else optional,
    )
    opt_in = dict(opt_in or {})
    optional_parameters = [
        name
        for g in policies.optional
        for name in (g.opt_in.parameter, g.opt_in.kms_key_parameter if g.kms_document else None)
        if name
    ]
    unknown = sorted(set(opt_in) - set(optional_parameters))
    if unknown:
        raise ValueError(f"the template has no optional parameter {unknown}; it has {optional_parameters}")
    cloudformation = sim.client("cloudformation")
    stack_id: str = cloudformation.create_stack(
        StackName=stack_name,
        TemplateBody=template.cloudformation_yaml(policies),
        Parameters=[
            {"ParameterKey": "ExternalId", "ParameterValue": external_id},
            {"ParameterKey": "EnableActions", "ParameterValue": "true" if enable_actions else "false"},
            *({"ParameterKey": n, "ParameterValue": opt_in.get(n, "")} for n in optional_parameters),
        ],
        Capabilities=["CAPABILITY_NAMED_IAM"],
    )["StackId"]
    stack = _wait_for_stack(cloudformation, stack_id, timeout_seconds)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    result = OnboardingOutputs(
        read_role_arn=outputs["ReadOnlyRoleArn"],
        actions_role_arn=outputs.get("ActionsRoleArn"),
        alerts_topic_arn=outputs["AlertsTopicArn"],
        stack_id=stack_id,
    )
    values = _stack_values(result.alerts_topic_arn, external_id)
    for grant in policies.optional:  # the variable's token stands for the parameter's value
        for parameter, variable in [
            (grant.opt_in.parameter, grant.opt_in.variable),
            (grant.opt_in.kms_key_parameter, grant.opt_in.kms_key_variable),
        ]:
            if parameter and variable and opt_in.get(parameter):
                values[variable] = opt_in[parameter]
    _fill_moto_gaps(sim, policies.resolved(values), result, granted=set(values))
    return result


def put_read_policies(
    sim: SimulatorClient,
    *,
    principal_arn: str,
    external_id: str,
    alerts_topic_arn: str,
    read_actions: Sequence[str],
) -> None:
    """Give the deployed read role the inline policies a stack deployed with `read_actions` has.

    The read and the write-deny policies, generated exactly as `deploy_onboarding_stack` does
    (least-privilege mode, the declared writes), put on the existing role: IAM evaluates a
    role's policies on every request, so sessions already issued see the change at once, and
    a test can try many policies without redeploying the stack (and re-assuming the role).
    """
    policies = template.build_policies(
        principal_arn=principal_arn,
        read_actions=read_actions,
        write_actions=template.declared_actions()[1],
        optional=template.declared_optional(),
    ).resolved(_stack_values(alerts_topic_arn, external_id))
    assert policies.read is not None  # least-privilege mode always has one
    iam = sim.client("iam")
    iam.put_role_policy(
        RoleName=template.READ_ROLE_NAME,
        PolicyName=template.READ_POLICY_NAME,
        PolicyDocument=json.dumps(policies.read),
    )
    # The deny is a managed policy: its new version replaces the default (IAM keeps at most 5).
    deny_arn = attached_deny_policy_arn(sim)
    versions = iam.list_policy_versions(PolicyArn=deny_arn)["Versions"]
    for old in (v for v in versions if not v["IsDefaultVersion"]):
        iam.delete_policy_version(PolicyArn=deny_arn, VersionId=old["VersionId"])
    iam.create_policy_version(
        PolicyArn=deny_arn, PolicyDocument=json.dumps(policies.deny_writes), SetAsDefault=True
    )


def delete_onboarding_stack(sim: SimulatorClient, name: str, timeout_seconds: float = 30.0) -> None:
    """Delete the stack as CloudFormation would, and wait until it is gone.

    moto's CloudFormation does not delete an AWS::IAM::ManagedPolicy, and deletes the role
    without detaching it first (IAM refuses: DeleteConflict). CloudFormation deletes the policy
    (which the role's Ref makes depend on it) before the role: done here the same way.
    """
    cloudformation, iam = sim.client("cloudformation"), sim.client("iam")
    resources = cloudformation.describe_stack_resources(StackName=name)["StackResources"]
    deny = [
        r["PhysicalResourceId"] for r in resources if r.get("LogicalResourceId") == template.DENY_POLICY_NAME
    ]
    for deny_arn in deny:
        entities = iam.list_entities_for_policy(PolicyArn=deny_arn)
        for role in entities["PolicyRoles"]:
            iam.detach_role_policy(RoleName=role["RoleName"], PolicyArn=deny_arn)
        for version in iam.list_policy_versions(PolicyArn=deny_arn)["Versions"]:
            if not version["IsDefaultVersion"]:
                iam.delete_policy_version(PolicyArn=deny_arn, VersionId=version["VersionId"])
        iam.delete_policy(PolicyArn=deny_arn)
    cloudformation.delete_stack(StackName=name)
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        stacks = cloudformation.describe_stacks()["Stacks"]
        if not any(s["StackName"] == name and s["StackStatus"] != "DELETE_COMPLETE" for s in stacks):
            return
        time.sleep(0.2)
    raise OnboardingFailed(f"stack {name} was not deleted within {timeout_seconds:.0f} s")


def delete_read_role(sim: SimulatorClient) -> None:
    """The customer revokes CloudWarden by deleting the read role, as the IAM console does it:
    its inline policies deleted and its managed policies detached first (IAM refuses otherwise)."""
    iam, role = sim.client("iam"), template.READ_ROLE_NAME
    for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        iam.delete_role_policy(RoleName=role, PolicyName=name)
    for attached in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
        iam.detach_role_policy(RoleName=role, PolicyArn=attached["PolicyArn"])
    iam.delete_role(RoleName=role)


def attached_deny_policy_arn(sim: SimulatorClient) -> str:
    """The ARN of the write-deny managed policy attached to the read role (CloudFormation names
    it <stack>-CloudWardenDenyWrites-<suffix>)."""
    attached = sim.client("iam").list_attached_role_policies(RoleName=template.READ_ROLE_NAME)
    [arn] = [
        p["PolicyArn"] for p in attached["AttachedPolicies"] if template.DENY_POLICY_NAME in p["PolicyName"]
    ]
    return str(arn)


def _stack_values(alerts_topic_arn: str, external_id: str) -> dict[str, str]:
    """What the stack's tokens resolve to; the account and partition are its topic's."""
    # arn:<partition>:sns:<region>:<account>:<name>
    _, partition, _, _, account_id, _ = alerts_topic_arn.split(":", 5)
    return {
        "partition": partition,
        "account_id": account_id,
        "topic_arn": alerts_topic_arn,
        "external_id": external_id,
    }


def _fill_moto_gaps(
    sim: SimulatorClient, policies: template.OnboardingPolicies, result: OnboardingOutputs, granted: set[str]
) -> None:
    iam, sns, kms = sim.client("iam"), sim.client("sns"), sim.client("kms")
    role = template.READ_ROLE_NAME
    if policies.managed_policy_arn is not None:
        attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
        if policies.managed_policy_arn not in {p["PolicyArn"] for p in attached}:
            iam.attach_role_policy(RoleName=role, PolicyArn=policies.managed_policy_arn)

    deny_arn = sim.client("cloudformation").describe_stack_resource(
        StackName=result.stack_id, LogicalResourceId=template.DENY_POLICY_NAME
    )["StackResourceDetail"]["PhysicalResourceId"]
    attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    if deny_arn not in {p["PolicyArn"] for p in attached}:
        iam.attach_role_policy(RoleName=role, PolicyArn=deny_arn)

    inline: dict[tuple[str, str], template.PolicyDocument] = {}
    if policies.read is not None:
        inline[(role, template.READ_POLICY_NAME)] = policies.read
    if result.actions_role_arn is not None:
        inline[(template.ACTIONS_ROLE_NAME, template.ACTIONS_POLICY_NAME)] = policies.actions
    for grant in policies.optional:  # present only where the stack's condition held
        if grant.opt_in.variable in granted:
            inline[(role, grant.name)] = grant.document
            if grant.kms_document is not None and grant.opt_in.kms_key_variable in granted:
                inline[(role, grant.kms_name)] = grant.kms_document
    for (role_name, policy_name), document in inline.items():
        stored = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
        if not isinstance(stored, dict):  # botocore decodes real JSON into a dict
            iam.put_role_policy(
                RoleName=role_name, PolicyName=policy_name, PolicyDocument=json.dumps(document)
            )

    topic = sns.get_topic_attributes(TopicArn=result.alerts_topic_arn)["Attributes"]
    current = json.loads(topic.get("Policy", "{}")).get("Statement", [])
    if {s["Sid"] for s in policies.alerts_topic["Statement"]} - {s.get("Sid") for s in current}:
        sns.set_topic_attributes(
            TopicArn=result.alerts_topic_arn,
            AttributeName="Policy",
            AttributeValue=json.dumps(policies.alerts_topic),
        )

    key_id = topic["KmsMasterKeyId"]
    if not isinstance(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"], str):
        kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(policies.alerts_key))


def _wait_for_stack(cloudformation: Any, stack_id: str, timeout_seconds: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_seconds
    while True:
        stack: dict[str, Any] = cloudformation.describe_stacks(StackName=stack_id)["Stacks"][0]
        status = stack["StackStatus"]
        if status == "CREATE_COMPLETE":
            return stack
        if status in _FINAL_STATES or time.monotonic() > deadline:
            events = cloudformation.describe_stack_events(StackName=stack_id)["StackEvents"]
            reasons = [
                f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason', e['ResourceStatus'])}"
                for e in events
                if e["ResourceStatus"].endswith("FAILED")
            ]
            raise OnboardingFailed(f"onboarding stack ended in {status}: {reasons or 'no failure events'}")
        time.sleep(0.2)
