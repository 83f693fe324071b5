"""The onboarding template: what a customer deploys must grant exactly what CloudWarden declares."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest
import yaml

from cloudwarden.actions.catalog import REMEDIATIONS
from cloudwarden.aws import template
from cloudwarden.aws.template import PolicyMode

PRINCIPAL = "arn:aws:iam::111122223333:role/CloudWardenService"
# Explicit reads, so these tests do not depend on which collectors exist. logs:StartQuery is a
# read whose verb is also a write verb (Start), to prove the deny leaves such reads alone.
READS = sorted(
    {
        "cloudtrail:LookupEvents",
        "cloudwatch:DescribeAlarms",
        "cloudwatch:GetMetricData",
        "ec2:DescribeSecurityGroups",
        "ecs:DescribeServices",
        "ecs:DescribeTaskDefinition",
        "elasticloadbalancing:DescribeTargetHealth",
        "lambda:GetFunctionConcurrency",
        "logs:FilterLogEvents",
        "logs:GetQueryResults",
        "logs:StartQuery",
        "rds:DescribeDBInstances",
        "securityhub:GetFindings",
        "sts:GetCallerIdentity",
    }
)
WRITES = sorted({a for r in REMEDIATIONS.values() for a in r.permission.actions})
MODES: tuple[PolicyMode, ...] = ("least-privilege", "ReadOnlyAccess", "ViewOnlyAccess")
EXTERNAL_ID = "dGhpcy1pcy1hLXRlc3QtZXh0ZXJuYWwtaWQtMDEyMzQ1"
TF_PLUGIN_DIR = Path(os.environ.get("CLOUDWARDEN_TF_PLUGIN_DIR", "/opt/tf-plugins"))


def render(mode: PolicyMode = "least-privilege", reads: list[str] = READS) -> str:
    return template.render_cloudformation(
        principal_arn=PRINCIPAL, read_actions=reads, write_actions=WRITES, policy_mode=mode
    )


def parsed(mode: PolicyMode = "least-privilege") -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(render(mode))
    return document


def role_policy(document: dict[str, Any], role: str, name: str) -> dict[str, Any] | None:
    for policy in document["Resources"][role]["Properties"].get("Policies", []):
        if policy["PolicyName"] == name:
            found: dict[str, Any] = policy["PolicyDocument"]
            return found
    return None


def deny_policy(document: dict[str, Any]) -> dict[str, Any] | None:
    """The write-deny: a managed policy of its own, attached to the read role only."""
    resource = document["Resources"].get(template.DENY_POLICY_NAME)
    if resource is None:
        return None
    assert resource["Type"] == "AWS::IAM::ManagedPolicy"
    assert resource["Properties"]["Roles"] == [{"Ref": "CloudWardenReadOnly"}]
    assert "Users" not in resource["Properties"] and "Groups" not in resource["Properties"]
    found: dict[str, Any] = resource["Properties"]["PolicyDocument"]
    return found


def actions_of(policy: dict[str, Any], effect: str = "Allow") -> list[str]:
    found: list[str] = []
    for statement in policy["Statement"]:
        if statement["Effect"] == effect:
            action = statement["Action"]
            found.extend(action if isinstance(action, list) else [action])
    return found


def iam_matches(action: str, pattern: str) -> bool:
    return fnmatchcase(action.lower(), pattern.lower())  # IAM: glob, case-insensitive


def lint(text: str, parameters: dict[str, str] | None = None) -> list[str]:
    from cfnlint.api import ManualArgs, lint
    from cfnlint.context.parameters import ParameterSet

    config: dict[str, Any] = {"regions": ["us-east-1"], "include_checks": ["I"]}
    if parameters is not None:
        config["parameters"] = [ParameterSet(parameters=parameters)]
    return [
        f"{m.rule.id} {m.message[:200]} (line {m.linenumber})"
        for m in lint(text, config=ManualArgs(**config))
    ]


@pytest.mark.parametrize("enable_actions", [None, "true", "false"])
@pytest.mark.parametrize("mode", MODES)
def test_cloudformation_passes_cfn_lint_without_any_finding(
    mode: PolicyMode, enable_actions: str | None
) -> None:
    # None: cfn-lint checks both sides of the condition; "true"/"false": as deployed.
    parameters = (
        None if enable_actions is None else {"ExternalId": EXTERNAL_ID, "EnableActions": enable_actions}
    )
    assert lint(render(mode), parameters) == []


def test_template_starts_with_a_header_comment_and_explains_resource_star() -> None:
    text = render()
    assert text.startswith("# CloudWarden onboarding")
    assert "never choose your own" in text
    assert "do not support resource-level permissions" in text
    assert "cannot" in text and "alias/aws/sns" in text  # why a customer managed key


def test_read_policy_grants_exactly_the_declared_read_actions() -> None:
    read = role_policy(parsed(), "CloudWardenReadOnly", template.READ_POLICY_NAME)
    assert read is not None
    assert sorted(actions_of(read)) == READS
    for statement in read["Statement"]:  # grouped by service, on every resource
        assert statement["Resource"] == "*"
        assert len({a.split(":")[0] for a in statement["Action"]}) == 1


@pytest.mark.parametrize("mode", MODES)
def test_no_role_allows_a_wildcard_action(mode: PolicyMode) -> None:
    document = parsed(mode)
    for role in ("CloudWardenReadOnly", "CloudWardenActions"):
        for policy in document["Resources"][role]["Properties"].get("Policies", []):
            allowed = actions_of(policy["PolicyDocument"])
            assert not [a for a in allowed if "*" in a or "?" in a], (role, policy["PolicyName"])
    deny = deny_policy(document)
    assert deny is not None and actions_of(deny, "Allow") == []


@pytest.mark.parametrize("mode", MODES)
def test_write_deny_blocks_no_declared_read_but_every_remediation(mode: PolicyMode) -> None:
    deny = deny_policy(parsed(mode))
    assert deny is not None
    patterns = actions_of(deny, effect="Deny")
    assert actions_of(deny, effect="Allow") == []
    blocked = {read: [p for p in patterns if iam_matches(read, p)] for read in READS}
    assert {read: hits for read, hits in blocked.items() if hits} == {}
    # The read role can never do what the actions role does, nor the classic escalations.
    # (The actions role also holds the reads its preconditions make, e.g. ecs:DescribeServices.)
    mutations = [w for w in WRITES if not w.split(":", 1)[1].startswith(("Describe", "Get", "List"))]
    assert len(mutations) == 3
    for write in [*mutations, "iam:PassRole", "iam:CreateAccessKey", "ssm:SendCommand", "sts:AssumeRole"]:
        assert any(iam_matches(write, p) for p in patterns), write
    assert "secretsmanager:GetSecretValue" not in actions_of(deny, "Deny")


def test_deny_leaves_out_only_the_pattern_that_would_catch_a_read() -> None:
    deny = deny_policy(parsed())
    assert deny is not None
    patterns = actions_of(deny, effect="Deny")
    assert "logs:Start*" not in patterns  # would block logs:StartQuery
    assert {"logs:Stop*", "logs:Delete*", "logs:Put*"} <= set(patterns)


def test_every_deny_pattern_matches_a_real_iam_action() -> None:
    # cfn-lint's IAM action list; a pattern matching nothing would be a W3037 warning in the
    # managed-policy modes, which deny every service in the table.
    from cfnlint.data import AdditionalSpecs
    from cfnlint.helpers import load_resource

    known = load_resource(AdditionalSpecs, "Policies.json")
    unmatched = [
        f"{service}:{verb}*"
        for service, verbs in template.WRITE_VERBS_BY_SERVICE.items()
        for verb in verbs.split()
        if not any(a.lower().startswith(verb.lower()) for a in known[service]["Actions"])
    ]
    assert unmatched == []


def test_trust_policies_admit_only_cloudwarden_with_the_external_id() -> None:
    document = parsed()
    for role in ("CloudWardenReadOnly", "CloudWardenActions"):
        properties = document["Resources"][role]["Properties"]
        assert properties["MaxSessionDuration"] == 3600
        [statement] = properties["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Effect"] == "Allow"
        assert statement["Principal"] == {"AWS": PRINCIPAL}
        assert statement["Action"] == "sts:AssumeRole"
        assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}}
    external_id = document["Parameters"]["ExternalId"]
    assert external_id["NoEcho"] is True
    assert external_id["MinLength"] == 32
    assert external_id["AllowedPattern"] == "^[A-Za-z0-9_-]+$"
    assert "Never choose your own" in external_id["Description"]
    assert document["Parameters"]["EnableActions"] == {
        "Type": "String",
        "AllowedValues": ["true", "false"],
        "Default": "false",
        "Description": document["Parameters"]["EnableActions"]["Description"],
    }


def test_actions_role_exists_only_under_the_condition_with_only_write_actions() -> None:
    document = parsed()
    assert document["Conditions"]["ActionsEnabled"] == {"Fn::Equals": [{"Ref": "EnableActions"}, "true"]}
    actions_role = document["Resources"]["CloudWardenActions"]
    assert actions_role["Condition"] == "ActionsEnabled"
    [policy] = actions_role["Properties"]["Policies"]
    assert sorted(actions_of(policy["PolicyDocument"])) == WRITES
    assert "ManagedPolicyArns" not in actions_role["Properties"]
    assert document["Outputs"]["ActionsRoleArn"]["Condition"] == "ActionsEnabled"
    others = [r for r in document["Resources"].values() if r is not actions_role]
    assert all("Condition" not in r for r in others)


@pytest.mark.parametrize(
    ("mode", "policy_path"),
    [("ReadOnlyAccess", "policy/ReadOnlyAccess"), ("ViewOnlyAccess", "policy/job-function/ViewOnlyAccess")],
)
def test_managed_modes_attach_the_aws_policy_instead_of_the_read_list(
    mode: PolicyMode, policy_path: str
) -> None:
    properties = parsed(mode)["Resources"]["CloudWardenReadOnly"]["Properties"]
    assert properties["ManagedPolicyArns"] == [{"Fn::Sub": f"arn:${{AWS::Partition}}:iam::aws:{policy_path}"}]
    assert "Policies" not in properties  # no read list; the write-deny is a managed policy
    assert deny_policy(parsed(mode)) is not None


def test_alerts_topic_is_encrypted_with_a_key_alarms_and_rules_can_use() -> None:
    resources = parsed()["Resources"]
    topic = resources["CloudWardenAlerts"]["Properties"]
    assert topic["KmsMasterKeyId"] == {"Fn::GetAtt": ["CloudWardenAlertsKey", "Arn"]}  # not alias/aws/sns
    key = resources["CloudWardenAlertsKey"]["Properties"]
    assert key["EnableKeyRotation"] is True
    grants = {s["Sid"]: s for s in key["KeyPolicy"]["Statement"]}
    delivery = grants["AlarmsAndRulesEncryptAlerts"]
    assert delivery["Principal"] == {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]}
    assert delivery["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert grants["CloudWardenPublishesThroughSns"]["Principal"] == {"AWS": PRINCIPAL}

    policy = resources["CloudWardenAlertsPolicy"]["Properties"]
    assert policy["Topics"] == [{"Ref": "CloudWardenAlerts"}]
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    same_account = {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    for sid, service in [("CloudWatchAlarmsPublish", "cloudwatch"), ("EventBridgeRulesPublish", "events")]:
        assert statements[sid]["Principal"] == {"Service": f"{service}.amazonaws.com"}
        assert statements[sid]["Action"] == "sns:Publish"
        assert statements[sid]["Condition"] == same_account
    subscribe = statements["CloudWardenSubscribesHttpsIntake"]
    assert (subscribe["Principal"], subscribe["Action"]) == ({"AWS": PRINCIPAL}, "sns:Subscribe")
    assert subscribe["Condition"] == {"StringEquals": {"sns:Protocol": "https"}}
    assert statements["CloudWardenPublishesNotifications"]["Principal"] == {"AWS": PRINCIPAL}
    assert all(s["Resource"] == {"Ref": "CloudWardenAlerts"} for s in statements.values())


def test_outputs_name_the_roles_and_the_topic() -> None:
    outputs = parsed()["Outputs"]
    assert outputs["ReadOnlyRoleArn"]["Value"] == {"Fn::GetAtt": ["CloudWardenReadOnly", "Arn"]}
    assert outputs["ActionsRoleArn"]["Value"] == {"Fn::GetAtt": ["CloudWardenActions", "Arn"]}
    assert outputs["AlertsTopicArn"]["Value"] == {"Ref": "CloudWardenAlerts"}


@pytest.mark.parametrize(
    ("principal", "reads", "writes", "message"),
    [
        (PRINCIPAL, ["logs:*"], WRITES, "without wildcards"),
        (PRINCIPAL, ["logs:Get*"], WRITES, "without wildcards"),
        (PRINCIPAL, READS, [], "no write actions"),
        (PRINCIPAL, [*READS, "ecs:UpdateService"], WRITES, "both read and write"),
        ("arn:aws:iam::111122223333:role/x\nEvil: 1", READS, WRITES, "not an IAM role"),
        ("111122223333", READS, WRITES, "not an IAM role"),
    ],
)
def test_bad_declarations_are_refused(
    principal: str, reads: list[str], writes: list[str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        template.build_policies(principal_arn=principal, read_actions=reads, write_actions=writes)


def test_read_actions_beyond_iams_inline_policy_limit_are_refused() -> None:
    too_many = [f"ec2:DescribeSomething{i:04d}" for i in range(400)]
    with pytest.raises(ValueError, match="inline policies need"):
        template.build_policies(principal_arn=PRINCIPAL, read_actions=too_many, write_actions=WRITES)
    # The managed-policy modes carry no read list, so the same declarations fit there.
    template.build_policies(
        principal_arn=PRINCIPAL, read_actions=too_many, write_actions=WRITES, policy_mode="ReadOnlyAccess"
    )


# --- Terraform -------------------------------------------------------------------------------


def render_tf(mode: PolicyMode = "least-privilege") -> str:
    return template.render_terraform(
        principal_arn=PRINCIPAL, read_actions=READS, write_actions=WRITES, policy_mode=mode
    )


def unquote(value: Any) -> Any:
    if isinstance(value, list):
        return [unquote(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def hcl_blocks(parsed_hcl: dict[str, Any], kind: str) -> dict[tuple[str, str], dict[str, Any]]:
    """{(type, name): body} for `resource` or `data` blocks from python-hcl2's output."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in parsed_hcl.get(kind, []):
        for block_type, named in entry.items():
            for name, body in named.items():
                found[(unquote(block_type), unquote(name))] = body
    return found


def policy_document_actions(body: dict[str, Any]) -> list[str]:
    return [a for statement in body["statement"] for a in unquote(statement["actions"])]


@pytest.mark.parametrize("mode", MODES)
def test_terraform_declares_the_same_grants(mode: PolicyMode) -> None:
    hcl2 = pytest.importorskip("hcl2")
    parsed_hcl = hcl2.loads(render_tf(mode))
    resources = hcl_blocks(parsed_hcl, "resource")
    data = hcl_blocks(parsed_hcl, "data")

    expected = {
        ("aws_iam_role", "read_only"),
        ("aws_iam_policy", "deny_writes"),
        ("aws_iam_role_policy_attachment", "deny_writes"),
        ("aws_iam_role", "actions"),
        ("aws_iam_role_policy", "actions"),
        ("aws_kms_key", "alerts"),
        ("aws_kms_alias", "alerts"),
        ("aws_sns_topic", "alerts"),
        ("aws_sns_topic_policy", "alerts"),
    }
    if mode == "least-privilege":
        expected.add(("aws_iam_role_policy", "read_only"))
        assert sorted(policy_document_actions(data[("aws_iam_policy_document", "read_only")])) == READS
    else:
        expected.add(("aws_iam_role_policy_attachment", "read_only_managed"))
        attachment = resources[("aws_iam_role_policy_attachment", "read_only_managed")]
        assert unquote(attachment["policy_arn"]).endswith(
            f"iam::aws:policy/{'job-function/' * (mode == 'ViewOnlyAccess')}{mode}"
        )
    assert set(resources) == expected

    # Same deny patterns as the CloudFormation template.
    cfn_deny = deny_policy(parsed(mode))
    assert cfn_deny is not None
    assert policy_document_actions(data[("aws_iam_policy_document", "deny_writes")]) == actions_of(
        cfn_deny, "Deny"
    )

    # The actions role and its policy exist only when enable_actions is true.
    for key in [("aws_iam_role", "actions"), ("aws_iam_role_policy", "actions")]:
        assert resources[key]["count"] == "${var.enable_actions ? 1 : 0}"
    assert sorted(policy_document_actions(data[("aws_iam_policy_document", "actions")])) == WRITES

    [trust] = data[("aws_iam_policy_document", "trust")]["statement"]
    [principals] = trust["principals"]
    assert unquote(principals["identifiers"]) == [PRINCIPAL]
    [condition] = trust["condition"]
    assert unquote(condition["variable"]) == "sts:ExternalId"
    assert condition["values"] == ["${var.external_id}"]
    assert resources[("aws_iam_role", "read_only")]["max_session_duration"] == 3600
    assert resources[("aws_sns_topic", "alerts")]["kms_master_key_id"] == "${aws_kms_key.alerts.arn}"

    variables = {unquote(k): v for entry in parsed_hcl["variable"] for k, v in entry.items()}
    assert variables["external_id"]["sensitive"] is True
    assert "length(var.external_id) >= 32" in variables["external_id"]["validation"][0]["condition"]
    assert variables["enable_actions"]["default"] is False
    outputs = {unquote(k) for entry in parsed_hcl["output"] for k in entry}
    assert outputs == {"read_only_role_arn", "actions_role_arn", "alerts_topic_arn"}


@pytest.mark.skipif(
    shutil.which("terraform") is None or not TF_PLUGIN_DIR.is_dir(),
    reason="needs terraform and a local AWS provider (CLOUDWARDEN_TF_PLUGIN_DIR)",
)
@pytest.mark.parametrize("with_github", [False, True])
@pytest.mark.parametrize("mode", ["least-privilege", "ViewOnlyAccess"])
def test_terraform_is_formatted_and_validates_against_the_aws_provider(
    mode: PolicyMode, with_github: bool, tmp_path: Path
) -> None:
    (tmp_path / "main.tf").write_text(render_optional(mode, "terraform") if with_github else render_tf(mode))
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}

    def terraform(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["terraform", *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )

    fmt = terraform("fmt", "-check", "-diff", "-no-color")
    assert fmt.returncode == 0, fmt.stdout
    init = terraform("init", "-backend=false", "-input=false", "-no-color", f"-plugin-dir={TF_PLUGIN_DIR}")
    assert init.returncode == 0, init.stdout + init.stderr
    validate = terraform("validate", "-json", "-no-color")
    result = json.loads(validate.stdout)
    assert (result["valid"], result["error_count"], result["warning_count"]) == (True, 0, 0), result


# --- The real registry -----------------------------------------------------------------------


def test_template_for_the_declared_registry_lints_clean_and_grants_exactly_it() -> None:
    from cloudwarden.aws import permissions

    reads, writes = permissions.actions("read"), permissions.actions("write")
    assert set(writes) == set(WRITES)
    unknown = sorted({a.split(":")[0] for a in reads} - set(template.WRITE_VERBS_BY_SERVICE))
    assert unknown == [], "add these services to WRITE_VERBS_BY_SERVICE so the deny covers them"
    for mode in MODES:
        text = template.render_declared("cloudformation", principal_arn=PRINCIPAL, policy_mode=mode)
        assert lint(text) == []
        document = yaml.safe_load(text)
        deny = deny_policy(document)
        assert deny is not None
        assert not [(r, p) for r in reads for p in actions_of(deny, "Deny") if iam_matches(r, p)]
        read = role_policy(document, "CloudWardenReadOnly", template.READ_POLICY_NAME)
        assert (sorted(actions_of(read)) if read else None) == (reads if mode == "least-privilege" else None)
    assert "aws_iam_role_policy" in template.render_declared("terraform", principal_arn=PRINCIPAL)


# --- Optional grants: the GitHub token secret ------------------------------------------------

SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:cloudwarden/github-token-AbCdEf"
KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def render_optional(mode: PolicyMode = "least-privilege", fmt: str = "cloudformation") -> str:
    from cloudwarden.evidence.github import PERMISSIONS as GITHUB

    render_fn = template.render_cloudformation if fmt == "cloudformation" else template.render_terraform
    return render_fn(
        principal_arn=PRINCIPAL, read_actions=READS, write_actions=WRITES, policy_mode=mode, optional=[GITHUB]
    )


@pytest.mark.parametrize(
    "github",
    [
        None,
        {},
        {"GitHubTokenSecretArn": SECRET_ARN},
        {"GitHubTokenSecretArn": SECRET_ARN, "GitHubTokenKmsKeyArn": KEY_ARN},
    ],
)
@pytest.mark.parametrize("mode", MODES)
def test_optional_github_grant_lints_clean_with_the_parameter_empty_and_set(
    mode: PolicyMode, github: dict[str, str] | None
) -> None:
    # None: cfn-lint checks both sides of every condition; {}: the parameters left at "".
    parameters = None if github is None else {"ExternalId": EXTERNAL_ID, "EnableActions": "false", **github}
    assert lint(render_optional(mode), parameters) == []


@pytest.mark.parametrize("mode", MODES)
def test_github_token_is_granted_only_under_its_parameter_and_only_on_that_secret(mode: PolicyMode) -> None:
    document = yaml.safe_load(render_optional(mode))
    parameter = document["Parameters"]["GitHubTokenSecretArn"]
    assert parameter["Default"] == "" and parameter["Type"] == "String"
    assert parameter["AllowedPattern"].startswith("^$|^arn:aws")
    assert document["Conditions"]["GitHubTokenSecretArnSet"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "GitHubTokenSecretArn"}, ""]}]
    }
    grant = document["Resources"]["CloudWardenGitHubTokenSecret"]
    assert grant["Type"] == "AWS::IAM::Policy"
    assert grant["Condition"] == "GitHubTokenSecretArnSet"
    assert grant["Properties"]["Roles"] == [{"Ref": "CloudWardenReadOnly"}]
    [statement] = grant["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == ["secretsmanager:GetSecretValue"]
    assert statement["Resource"] == {"Ref": "GitHubTokenSecretArn"}  # never "*"

    # GetSecretValue is in no other policy: not the read list, not the role's own policies.
    elsewhere = [
        (logical_id, policy["PolicyName"])
        for logical_id, resource in document["Resources"].items()
        for policy in resource["Properties"].get("Policies", [])
        if any("secretsmanager" in a for a in actions_of(policy["PolicyDocument"]))
    ]
    assert elsewhere == []
    deny = deny_policy(document)
    assert deny is not None
    assert not [p for p in actions_of(deny, "Deny") if iam_matches("secretsmanager:GetSecretValue", p)]
    assert not [p for p in actions_of(deny, "Deny") if iam_matches("kms:Decrypt", p)]

    # A customer managed key: kms:Decrypt on that key, only through Secrets Manager, only with both.
    assert document["Conditions"]["GitHubTokenKmsKeyArnSet"] == {
        "Fn::And": [
            {"Condition": "GitHubTokenSecretArnSet"},
            {"Fn::Not": [{"Fn::Equals": [{"Ref": "GitHubTokenKmsKeyArn"}, ""]}]},
        ]
    }
    key_grant = document["Resources"]["CloudWardenGitHubTokenKmsKey"]
    assert key_grant["Condition"] == "GitHubTokenKmsKeyArnSet"
    [decrypt] = key_grant["Properties"]["PolicyDocument"]["Statement"]
    assert (decrypt["Action"], decrypt["Resource"]) == ("kms:Decrypt", {"Ref": "GitHubTokenKmsKeyArn"})
    assert decrypt["Condition"] == {"StringLike": {"kms:ViaService": "secretsmanager.*.amazonaws.com"}}
    conditional = {k for k, r in document["Resources"].items() if "Condition" in r}
    assert conditional == {
        "CloudWardenActions",
        "CloudWardenGitHubTokenSecret",
        "CloudWardenGitHubTokenKmsKey",
    }


def test_the_declared_registry_keeps_the_github_token_optional() -> None:
    from cloudwarden.aws import permissions

    assert "secretsmanager:GetSecretValue" not in permissions.actions("read")
    assert permissions.optional_actions() == ["secretsmanager:GetSecretValue"]
    [declaration] = permissions.optional_declarations()
    assert declaration.owner == "evidence.github"
    assert declaration.opt_in is not None and declaration.opt_in.parameter == "GitHubTokenSecretArn"
    document = yaml.safe_load(template.render_declared("cloudformation", principal_arn=PRINCIPAL))
    read = role_policy(document, "CloudWardenReadOnly", template.READ_POLICY_NAME)
    assert read is not None and "secretsmanager:GetSecretValue" not in actions_of(read)
    grant = document["Resources"]["CloudWardenGitHubTokenSecret"]["Properties"]["PolicyDocument"]
    assert grant["Statement"][0]["Resource"] == {"Ref": "GitHubTokenSecretArn"}


def test_an_optional_action_that_is_also_required_is_refused() -> None:
    from cloudwarden.evidence.github import PERMISSIONS as GITHUB

    with pytest.raises(ValueError, match="both required and optional"):
        template.build_policies(
            principal_arn=PRINCIPAL,
            read_actions=[*READS, "secretsmanager:GetSecretValue"],
            write_actions=WRITES,
            optional=[GITHUB],
        )


def test_terraform_counts_the_github_grant_on_its_variable() -> None:
    hcl2 = pytest.importorskip("hcl2")
    parsed_hcl = hcl2.loads(render_optional(fmt="terraform"))
    resources = hcl_blocks(parsed_hcl, "resource")
    data = hcl_blocks(parsed_hcl, "data")
    variables = {unquote(k): v for entry in parsed_hcl["variable"] for k, v in entry.items()}
    for name in ("github_token_secret_arn", "github_token_kms_key_arn"):
        assert unquote(variables[name]["default"]) == ""
        assert f'var.{name} == ""' in variables[name]["validation"][0]["condition"]

    secret_set = '${var.github_token_secret_arn != "" ? 1 : 0}'
    both_set = '${var.github_token_secret_arn != "" && var.github_token_kms_key_arn != "" ? 1 : 0}'
    document = data[("aws_iam_policy_document", "github_token_secret")]
    policy = resources[("aws_iam_role_policy", "github_token_secret")]
    assert document["count"] == policy["count"] == secret_set
    [statement] = document["statement"]
    assert unquote(statement["actions"]) == ["secretsmanager:GetSecretValue"]
    assert statement["resources"] == ["${var.github_token_secret_arn}"]
    assert policy["role"] == "${aws_iam_role.read_only.id}"
    assert policy["policy"] == "${data.aws_iam_policy_document.github_token_secret[0].json}"

    key_document = data[("aws_iam_policy_document", "github_token_kms_key")]
    assert (
        key_document["count"]
        == resources[("aws_iam_role_policy", "github_token_kms_key")]["count"]
        == both_set
    )
    [decrypt] = key_document["statement"]
    assert unquote(decrypt["actions"]) == ["kms:Decrypt"]
    assert decrypt["resources"] == ["${var.github_token_kms_key_arn}"]
    [via] = decrypt["condition"]
    assert (unquote(via["variable"]), unquote(via["values"])) == (
        "kms:ViaService",
        ["secretsmanager.*.amazonaws.com"],
    )
    # Nothing else in the configuration grants the secret.
    others = [k for k, body in data.items() if k[1] != "github_token_secret" and "statement" in body]
    assert not [k for k in others if "secretsmanager:GetSecretValue" in policy_document_actions(data[k])]
