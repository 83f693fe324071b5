"""The onboarding template a customer deploys: CloudFormation (YAML) and Terraform (HCL).

Both are rendered from one target-neutral description (`OnboardingPolicies`, built in
`cloudwarden.aws.onboarding_policies`) from the IAM actions CloudWarden declares, so the two
formats cannot drift apart. Policy documents are plain
IAM JSON whose strings may hold `{{token}}` placeholders (account id, partition, topic ARN,
external id); each renderer turns them into its own references, and the simulator into values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import yaml

from cloudwarden.aws import template_terraform
from cloudwarden.aws.onboarding_policies import (
    DENY_BASELINE_SERVICES,
    INLINE_POLICY_BUDGET,
    KMS_KEY_ARN_PATTERN,
    MANAGED_POLICY_ARNS,
    MANAGED_POLICY_BUDGET,
    TOKEN,
    WRITE_VERBS_BY_SERVICE,
    OnboardingPolicies,
    OptionalGrant,
    PolicyDocument,
    PolicyMode,
    build_policies,
    matching_patterns,
    policy_size,
    resolve_tokens,
    substitute_values,
    write_deny_patterns,
)

if TYPE_CHECKING:
    from cloudwarden.aws.permissions import PermissionDeclaration

# The policy building lives in `onboarding_policies`; its public names stay importable from here.
__all__ = [
    "ACTIONS_POLICY_NAME",
    "ACTIONS_ROLE_NAME",
    "ALERTS_KEY_ALIAS",
    "ALERTS_KEY_DELETION_DAYS",
    "ALERTS_TOPIC_NAME",
    "DENY_BASELINE_SERVICES",
    "DENY_POLICY_NAME",
    "EXTERNAL_ID_MAX_LENGTH",
    "EXTERNAL_ID_MIN_LENGTH",
    "EXTERNAL_ID_PATTERN",
    "INLINE_POLICY_BUDGET",
    "KMS_KEY_ARN_PATTERN",
    "MANAGED_POLICY_ARNS",
    "MANAGED_POLICY_BUDGET",
    "MAX_SESSION_SECONDS",
    "READ_POLICY_NAME",
    "READ_ROLE_NAME",
    "TOKEN",
    "WRITE_VERBS_BY_SERVICE",
    "OnboardingPolicies",
    "OptionalGrant",
    "PolicyDocument",
    "PolicyMode",
    "build_policies",
    "cloudformation_yaml",
    "declared_actions",
    "declared_optional",
    "matching_patterns",
    "policy_size",
    "render_cloudformation",
    "render_declared",
    "render_terraform",
    "resolve_tokens",
    "substitute_values",
    "write_deny_patterns",
]

READ_ROLE_NAME = "CloudWardenReadOnly"
ACTIONS_ROLE_NAME = "CloudWardenActions"
ALERTS_TOPIC_NAME = "CloudWardenAlerts"
ALERTS_KEY_ALIAS = "alias/cloudwarden-alerts"
ALERTS_KEY_DELETION_DAYS = 7
READ_POLICY_NAME = "CloudWardenRead"
DENY_POLICY_NAME = "CloudWardenDenyWrites"
ACTIONS_POLICY_NAME = "CloudWardenRemediations"
MAX_SESSION_SECONDS = 3600
EXTERNAL_ID_MIN_LENGTH = 32
EXTERNAL_ID_MAX_LENGTH = 1224  # STS's own limit
EXTERNAL_ID_PATTERN = "^[A-Za-z0-9_-]+$"  # url-safe base64 alphabet


def render_cloudformation(
    *,
    principal_arn: str,
    read_actions: Sequence[str],
    write_actions: Sequence[str],
    policy_mode: PolicyMode = "least-privilege",
    optional: Sequence[PermissionDeclaration] = (),
) -> str:
    """The CloudFormation template (YAML) the customer deploys."""
    return cloudformation_yaml(
        build_policies(
            principal_arn=principal_arn,
            read_actions=read_actions,
            write_actions=write_actions,
            policy_mode=policy_mode,
            optional=optional,
        )
    )


def render_terraform(
    *,
    principal_arn: str,
    read_actions: Sequence[str],
    write_actions: Sequence[str],
    policy_mode: PolicyMode = "least-privilege",
    optional: Sequence[PermissionDeclaration] = (),
) -> str:
    """The equivalent Terraform configuration (HCL), for customers who manage IAM that way."""
    return template_terraform.render(
        build_policies(
            principal_arn=principal_arn,
            read_actions=read_actions,
            write_actions=write_actions,
            policy_mode=policy_mode,
            optional=optional,
        )
    )


def declared_actions() -> tuple[list[str], list[str]]:
    """(read, write) IAM actions from the permission registry, optional declarations excluded."""
    from cloudwarden.aws import permissions

    return permissions.actions("read"), permissions.actions("write")


def declared_optional() -> list[PermissionDeclaration]:
    """The optional declarations: each granted only through its opt-in parameter."""
    from cloudwarden.aws import permissions

    return permissions.optional_declarations()


def render_declared(
    template_format: Literal["cloudformation", "terraform"],
    *,
    principal_arn: str,
    policy_mode: PolicyMode = "least-privilege",
) -> str:
    """The onboarding template for what CloudWarden's collectors and remediations declare."""
    reads, writes = declared_actions()
    render = render_cloudformation if template_format == "cloudformation" else render_terraform
    return render(
        principal_arn=principal_arn,
        read_actions=reads,
        write_actions=writes,
        policy_mode=policy_mode,
        optional=declared_optional(),
    )


# --- CloudFormation -------------------------------------------------------------------------

_CFN_REFS = {
    "account_id": "AWS::AccountId",
    "partition": "AWS::Partition",
    "topic_arn": "CloudWardenAlerts",  # Ref of a topic is its ARN
    "external_id": "ExternalId",
}
_CFN_HEADER = """\
# CloudWarden onboarding: read-only access for CloudWarden to this AWS account.
# Generated from the IAM actions CloudWarden's collectors and remediations declare; do not edit
# by hand, regenerate instead. Deploy once per account (the roles are global, so not per region).
#   ExternalId     generated by CloudWarden for this account; paste it, never choose your own.
#   EnableActions  "true" adds a separate role for the few remediations CloudWarden can run,
#                  each only after a person approves it; leave "false" for read-only.
# Optional parameters (empty by default, granting nothing) each let the read role read one more
# resource, named by its full ARN: e.g. GitHubTokenSecretArn, the secret with a GitHub token.
"""
_CFN_COMMENTS = {
    "CloudWardenReadOnly": (
        "Assumable only by CloudWarden's principal, and only with this account's ExternalId.",
        'Read policy: exactly the declared actions, Resource "*" because the Describe/List/Get',
        "APIs of these services mostly do not support resource-level permissions.",
    ),
    DENY_POLICY_NAME: (
        "A second wall, attached to the read role: write verbs are denied even if an allow ever",
        "slips in. A managed policy (6,144 characters of its own), so the reads keep the role's",
        "10,240-character inline budget.",
    ),
    "CloudWardenActions": (
        "Only with EnableActions=true: the declared remediation actions and nothing else.",
        "CloudWarden uses it only after a person approves one specific action (single use).",
    ),
    "CloudWardenAlertsKey": (
        "A customer managed key, not alias/aws/sns: CloudWatch alarms and EventBridge rules cannot",
        "publish to a topic encrypted with the AWS managed key (its policy cannot grant them",
        "kms:GenerateDataKey*/Decrypt), and an unencrypted topic fails the usual encryption checks.",
        "Costs about 1 USD a month; the key protects nothing but this topic.",
    ),
    "CloudWardenAlertsPolicy": (
        "Alarms and EventBridge rules of this account publish; CloudWarden subscribes its HTTPS",
        "intake and may publish notifications.",
    ),
}


def _cfn(value: Any, refs: dict[str, str] = _CFN_REFS) -> Any:
    def reference(text: str) -> Any:
        whole = TOKEN.fullmatch(text)
        if whole:
            return {"Ref": refs[whole.group(1)]}
        return {"Fn::Sub": TOKEN.sub(lambda m: "${" + refs[m.group(1)] + "}", text)}

    return resolve_tokens(value, reference)


def _cfn_optional(grants: Sequence[OptionalGrant]) -> dict[str, dict[str, Any]]:
    """Parameters, Conditions, Resources (each an AWS::IAM::Policy) and Comments of optional grants."""
    out: dict[str, dict[str, Any]] = {"Parameters": {}, "Conditions": {}, "Resources": {}, "Comments": {}}

    def grant(name: str, parameter: str, pattern: str, description: str, document: Any) -> None:
        out["Parameters"][parameter] = {
            "Type": "String",
            "Default": "",
            "AllowedPattern": f"^$|{pattern}",
            "ConstraintDescription": "empty, or a full ARN",
            "Description": description,
        }
        out["Resources"][name] = {
            "Type": "AWS::IAM::Policy",
            "Condition": f"{parameter}Set",
            "Properties": {
                "PolicyName": name,
                "Roles": [{"Ref": READ_ROLE_NAME}],
                "PolicyDocument": document,
            },
        }

    def is_set(parameter: str) -> dict[str, Any]:
        return {"Fn::Not": [{"Fn::Equals": [{"Ref": parameter}, ""]}]}

    for g in grants:
        o, refs = g.opt_in, {**_CFN_REFS, g.opt_in.variable: g.opt_in.parameter}
        grant(g.name, o.parameter, o.arn_pattern, o.description, _cfn(g.document, refs))
        out["Conditions"][f"{o.parameter}Set"] = is_set(o.parameter)
        out["Comments"][g.name] = (
            f"Only when {o.parameter} is set: {', '.join(g.actions)} on exactly that ARN.",
        )
        if g.kms_document is None or not o.kms_key_parameter or not o.kms_key_variable:
            continue
        kms = o.kms_key_parameter
        description = (
            f"Optional, with {o.parameter}: the customer managed KMS key that encrypts it. "
            f"Empty for the AWS managed key (aws/{o.kms_via_service}), which needs no grant."
        )
        grant(
            g.kms_name, kms, KMS_KEY_ARN_PATTERN, description, _cfn(g.kms_document, {o.kms_key_variable: kms})
        )
        out["Conditions"][f"{kms}Set"] = {"Fn::And": [{"Condition": f"{o.parameter}Set"}, is_set(kms)]}
        out["Comments"][g.kms_name] = (
            f"Only when {kms} is set too: kms:Decrypt on that key, and only through",
            f"{o.kms_via_service} (kms:ViaService), to decrypt the resource above.",
        )
    return out


def _cloudformation_template(p: OnboardingPolicies) -> dict[str, Any]:
    read_policies = [{"PolicyName": READ_POLICY_NAME, "PolicyDocument": p.read}] if p.read else []
    read_role: dict[str, Any] = {
        "RoleName": READ_ROLE_NAME,
        "Description": "CloudWarden reads evidence for incident investigation (read-only)",
        "MaxSessionDuration": MAX_SESSION_SECONDS,
        "AssumeRolePolicyDocument": _cfn(p.trust),
    }
    if read_policies:
        read_role["Policies"] = read_policies
    deny_writes = {
        "Description": "CloudWarden's read role: write verbs denied (a second wall)",
        "Roles": [{"Ref": "CloudWardenReadOnly"}],
        "PolicyDocument": p.deny_writes,
    }
    if p.managed_policy_arn:
        read_role["ManagedPolicyArns"] = [_cfn(p.managed_policy_arn)]
    actions_role = {
        "RoleName": ACTIONS_ROLE_NAME,
        "Description": "CloudWarden runs remediations a person approved, one at a time",
        "MaxSessionDuration": MAX_SESSION_SECONDS,
        "AssumeRolePolicyDocument": _cfn(p.trust),
        "Policies": [{"PolicyName": ACTIONS_POLICY_NAME, "PolicyDocument": p.actions}],
    }
    optional = _cfn_optional(p.optional)
    groups: list[dict[str, Any]] = [
        {"Label": {"default": "CloudWarden"}, "Parameters": ["ExternalId", "EnableActions"]}
    ]
    if optional["Parameters"]:
        groups.append({"Label": {"default": "Optional evidence"}, "Parameters": list(optional["Parameters"])})
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "CloudWarden onboarding: read-only role, optional actions role, alerts topic",
        "Metadata": {"AWS::CloudFormation::Interface": {"ParameterGroups": groups}},
        "Parameters": {
            "ExternalId": {
                "Type": "String",
                "NoEcho": True,
                "MinLength": EXTERNAL_ID_MIN_LENGTH,
                "MaxLength": EXTERNAL_ID_MAX_LENGTH,
                "AllowedPattern": EXTERNAL_ID_PATTERN,
                "ConstraintDescription": "at least 32 characters of A-Z, a-z, 0-9, '_' and '-'",
                "Description": "Generated by CloudWarden for this account. Never choose your own.",
            },
            "EnableActions": {
                "Type": "String",
                "AllowedValues": ["true", "false"],
                "Default": "false",
                "Description": "Create the CloudWardenActions role for approved remediations",
            },
            **optional["Parameters"],
        },
        "Conditions": {
            "ActionsEnabled": {"Fn::Equals": [{"Ref": "EnableActions"}, "true"]},
            **optional["Conditions"],
        },
        "Resources": {
            "CloudWardenReadOnly": {"Type": "AWS::IAM::Role", "Properties": read_role},
            DENY_POLICY_NAME: {"Type": "AWS::IAM::ManagedPolicy", "Properties": deny_writes},
            **optional["Resources"],
            "CloudWardenActions": {
                "Type": "AWS::IAM::Role",
                "Condition": "ActionsEnabled",
                "Properties": actions_role,
            },
            "CloudWardenAlertsKey": {
                "Type": "AWS::KMS::Key",
                # Deleting the stack schedules the key's deletion (7 days): it protects only
                # messages in flight, nothing kept.
                "DeletionPolicy": "Delete",
                "UpdateReplacePolicy": "Delete",
                "Properties": {
                    "Description": "Encrypts the CloudWarden alerts topic",
                    "EnableKeyRotation": True,
                    "PendingWindowInDays": ALERTS_KEY_DELETION_DAYS,
                    "KeyPolicy": _cfn(p.alerts_key),
                },
            },
            "CloudWardenAlertsKeyAlias": {
                "Type": "AWS::KMS::Alias",
                "Properties": {"AliasName": ALERTS_KEY_ALIAS, "TargetKeyId": {"Ref": "CloudWardenAlertsKey"}},
            },
            "CloudWardenAlerts": {
                "Type": "AWS::SNS::Topic",
                "Properties": {
                    "TopicName": ALERTS_TOPIC_NAME,
                    "KmsMasterKeyId": {"Fn::GetAtt": ["CloudWardenAlertsKey", "Arn"]},
                },
            },
            "CloudWardenAlertsPolicy": {
                "Type": "AWS::SNS::TopicPolicy",
                "Properties": {
                    "Topics": [{"Ref": "CloudWardenAlerts"}],
                    "PolicyDocument": _cfn(p.alerts_topic),
                },
            },
        },
        "Outputs": {
            "ReadOnlyRoleArn": {
                "Description": "Paste into CloudWarden",
                "Value": {"Fn::GetAtt": ["CloudWardenReadOnly", "Arn"]},
            },
            "ActionsRoleArn": {
                "Condition": "ActionsEnabled",
                "Description": "Paste into CloudWarden to allow approved remediations",
                "Value": {"Fn::GetAtt": ["CloudWardenActions", "Arn"]},
            },
            "AlertsTopicArn": {
                "Description": "Point CloudWatch alarm actions and EventBridge rules here",
                "Value": {"Ref": "CloudWardenAlerts"},
            },
        },
    }


def cloudformation_yaml(policies: OnboardingPolicies) -> str:
    """The CloudFormation template (YAML, with explanatory comments) for built policies."""
    template = _cloudformation_template(policies)
    comments = {**_CFN_COMMENTS, **_cfn_optional(policies.optional)["Comments"]}
    lines = _CFN_HEADER.splitlines()
    for section, body in template.items():
        if section != "Resources":
            lines.extend(_yaml({section: body}))
            continue
        lines.append("Resources:")
        for logical_id, resource in body.items():
            lines.extend(f"  # {comment}" for comment in comments.get(logical_id, ()))
            lines.extend(f"  {line}" for line in _yaml({logical_id: resource}))
    return "\n".join(lines) + "\n"


def _yaml(value: dict[str, Any]) -> list[str]:
    return yaml.safe_dump(value, sort_keys=False, default_flow_style=False, width=100).splitlines()
