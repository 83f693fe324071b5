"""The IAM and IAM Access Analyzer checks (CIS AWS Foundations v3.0 section 1, FSBP IAM.*).

Through boto3 on the simulated account where moto can show the state; on hand-built inventories
where it cannot: moto's credential report has no root line, nothing in its API makes a user,
key or password old, its server certificates all expired in 2012, and it has no Access Analyzer.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cloudwarden.posture import scan as posture_scan
from cloudwarden.posture.checks import all_checks
from cloudwarden.posture.collectors import iam as iam_collector
from cloudwarden.posture.collectors.accessanalyzer import AccessAnalyzerData, Analyzer
from cloudwarden.posture.collectors.iam import (
    Authorization,
    CredentialRow,
    IamData,
    ManagedPolicy,
    ServerCertificate,
    VirtualMfaDevice,
)
from cloudwarden.posture.inventory import GLOBAL, Inventory
from cloudwarden.posture.model import Finding, Status, Unknown
from cloudwarden.simulator.client import SimulatorClient
from tests.posture.conftest import ACCOUNT, Scan, _deny, by_check

ROOT_ARN = f"arn:aws:iam::{ACCOUNT}:root"
NOW = datetime.now(UTC)
NO_KEYS: tuple[tuple[bool, datetime | None, datetime | None], ...] = (
    (False, None, None),
    (False, None, None),
)
ROOT_CHECKS = [
    "iam_root_access_key_absent",
    "iam_root_mfa_enabled",
    "iam_root_hardware_mfa_enabled",
    "iam_root_not_used_recently",
]
PASSWORD_CHECKS = [
    "iam_password_policy_minimum_length_14",
    "iam_password_policy_reuse_24",
    "iam_password_policy_strong",
]
AUTHORIZATION_CHECKS = [
    "iam_user_no_direct_policies",
    "iam_customer_policy_attached_no_full_admin",
    "iam_customer_policy_no_full_admin",
    "iam_customer_policy_no_service_wildcard",
    "iam_support_role_exists",
    "iam_cloudshell_full_access_not_attached",
]


def days_ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


def row(user: str = "<root_account>", **fields: Any) -> CredentialRow:
    arn = ROOT_ARN if user == "<root_account>" else f"arn:aws:iam::{ACCOUNT}:user/{user}"
    values: dict[str, Any] = {
        "user": user,
        "arn": arn,
        "created": days_ago(400),
        "password_enabled": True,
        "password_last_used": None,
        "mfa_active": True,
        "access_keys": NO_KEYS,
    }
    return CredentialRow(**{**values, **fields})


def inventory(*rows: CredentialRow, **fields: Any) -> Inventory:
    """An account whose IAM data is `rows` (the root's line included) and `fields`."""
    values: dict[str, Any] = {
        "credential_report": list(rows),
        "password_policy": None,
        "summary": {"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 0},
        "virtual_mfa_devices": (),
    }
    made = Inventory(account_id=ACCOUNT, regions=("us-east-1",))
    made.put("iam", GLOBAL, IamData(**{**values, **fields}))
    return made


def judge(made: Inventory, check_id: str) -> list[Finding]:
    return posture_scan.judge(made, [all_checks()[check_id]])


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, findings
    return findings[0]


def status_of(findings: list[Finding]) -> dict[str, Status]:
    """Finding status by the resource ARN's last part (user or policy name, "root")."""
    return {f.resource_id.rsplit("/", 1)[-1].rsplit(":", 1)[-1]: f.status for f in findings}


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str | list[str], resource: str = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def console_user(iam: Any, name: str, *, mfa: bool = False, keys: int = 0) -> None:
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password="Correct-Horse-9-Battery")
    if mfa:
        serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]["SerialNumber"]
        iam.enable_mfa_device(
            UserName=name, SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321"
        )
    for _ in range(keys):
        iam.create_access_key(UserName=name)


# ---- root user (hand-built: moto's credential report has no root line) ---------------------------


def test_root_checks_report_an_error_without_a_root_line() -> None:
    made = inventory(row("alice"))
    for check in ROOT_CHECKS:
        finding = only(judge(made, check))
        assert (finding.status, finding.resource_id) == (Status.ERROR, ROOT_ARN)
        assert finding.reason == "the credential report has no root user line"


def test_root_access_keys_active_inactive_or_only_in_the_summary_fail() -> None:
    check = "iam_root_access_key_absent"
    active = only(judge(inventory(row(access_keys=((True, days_ago(9), None), NO_KEYS[1]))), check))
    assert (active.status, active.reason) == (Status.FAIL, "the root user has 1 active access key(s)")
    inactive = only(judge(inventory(row(access_keys=((False, days_ago(9), None), NO_KEYS[1]))), check))
    assert (inactive.status, inactive.reason) == (Status.FAIL, "the root user has 1 inactive access key(s)")
    newer = judge(inventory(row(), summary={"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 1}), check)
    assert only(newer).status == Status.FAIL and "account summary" in only(newer).reason
    clean = only(judge(inventory(row()), check))
    assert (clean.status, clean.resource_id) == (Status.PASS, ROOT_ARN)


def test_root_mfa_from_the_report_cross_checked_with_the_summary() -> None:
    check = "iam_root_mfa_enabled"
    assert only(judge(inventory(row(mfa_active=False)), check)).reason == "the root user has no MFA device"
    summary_says_off = inventory(row(), summary={"AccountMFAEnabled": 0, "AccountAccessKeysPresent": 0})
    assert only(judge(summary_says_off, check)).status == Status.FAIL
    unread_summary = inventory(row(), summary=Unknown("iam:GetAccountSummary: AccessDenied"))
    assert only(judge(unread_summary, check)).status == Status.PASS
    assert only(judge(inventory(row()), check)).status == Status.PASS


def test_root_hardware_mfa_fails_for_a_virtual_device_or_no_device() -> None:
    check = "iam_root_hardware_mfa_enabled"
    virtual = (VirtualMfaDevice(f"arn:aws:iam::{ACCOUNT}:mfa/root-account-mfa-device", ROOT_ARN),)
    finding = only(judge(inventory(row(), virtual_mfa_devices=virtual), check))
    assert finding.status == Status.FAIL and "virtual device" in finding.reason
    assert (
        only(judge(inventory(row(mfa_active=False)), check)).reason
        == "the root user has no MFA device at all"
    )
    someone_elses = (
        VirtualMfaDevice(f"arn:aws:iam::{ACCOUNT}:mfa/alice", f"arn:aws:iam::{ACCOUNT}:user/alice"),
    )
    assert only(judge(inventory(row(), virtual_mfa_devices=someone_elses), check)).status == Status.PASS
    unread = Unknown("iam:ListVirtualMFADevices: AccessDenied")
    finding = only(judge(inventory(row(), virtual_mfa_devices=unread), check))
    assert (finding.status, finding.reason) == (Status.ERROR, unread.reason)


def test_root_used_in_the_last_week_fails() -> None:
    check = "iam_root_not_used_recently"
    signed_in = only(judge(inventory(row(password_last_used=days_ago(2))), check))
    assert signed_in.status == Status.FAIL and "signed in to the console 2 day(s) ago" in signed_in.reason
    keyed = inventory(
        row(password_last_used=days_ago(300), access_keys=((True, days_ago(500), days_ago(1)),))
    )
    assert "used access key 1" in only(judge(keyed, check)).reason
    assert only(judge(inventory(row(password_last_used=days_ago(60))), check)).status == Status.PASS
    assert only(judge(inventory(row()), check)).status == Status.PASS


# ---- password policy ---------------------------------------------------------------------------


def test_no_password_policy_fails_every_password_check(scan_sim: Scan) -> None:
    outcome = scan_sim(check_ids=PASSWORD_CHECKS)
    for check in PASSWORD_CHECKS:
        finding = only(by_check(outcome, check))
        assert (finding.status, finding.resource_id) == (Status.FAIL, ROOT_ARN)
        assert finding.reason == "the account has no IAM password policy"


def test_weak_then_strong_password_policy(sim: SimulatorClient, scan_sim: Scan) -> None:
    iam = sim.client("iam")
    iam.update_account_password_policy(
        MinimumPasswordLength=8, PasswordReusePrevention=5, RequireUppercaseCharacters=True
    )
    weak = scan_sim(check_ids=PASSWORD_CHECKS)
    assert {f.check_id: f.status for f in weak.findings} == dict.fromkeys(PASSWORD_CHECKS, Status.FAIL)
    assert "only 8 characters" in only(by_check(weak, "iam_password_policy_minimum_length_14")).reason
    assert "remembers 5 passwords" in only(by_check(weak, "iam_password_policy_reuse_24")).reason
    assert only(by_check(weak, "iam_password_policy_strong")).reason == (
        "the password policy does not require lowercase letters, numbers, symbols"
    )
    iam.update_account_password_policy(
        MinimumPasswordLength=14,
        PasswordReusePrevention=24,
        RequireUppercaseCharacters=True,
        RequireLowercaseCharacters=True,
        RequireNumbers=True,
        RequireSymbols=True,
    )
    strong = scan_sim(check_ids=PASSWORD_CHECKS)
    assert {f.status for f in strong.findings} == {Status.PASS}


def test_an_unreadable_password_policy_is_an_error(scan_sim: Scan) -> None:
    outcome = scan_sim(check_ids=PASSWORD_CHECKS, deny={"iam:GetAccountPasswordPolicy"})
    for finding in outcome.findings:
        assert finding.status == Status.ERROR
        assert "iam:GetAccountPasswordPolicy: AccessDenied" in finding.reason


# ---- users (credential report) -----------------------------------------------------------------


def test_mfa_for_console_users_and_for_all_users(sim: SimulatorClient, scan_sim: Scan) -> None:
    iam = sim.client("iam")
    console_user(iam, "no-mfa")
    console_user(iam, "with-mfa", mfa=True)
    iam.create_user(UserName="api-only")
    outcome = scan_sim(check_ids=["iam_user_console_mfa_enabled", "iam_user_mfa_enabled"])
    console = by_check(outcome, "iam_user_console_mfa_enabled")
    assert status_of(console) == {"no-mfa": Status.FAIL, "with-mfa": Status.PASS, "api-only": Status.PASS}
    assert {f.reason for f in console if f.status == Status.FAIL} == {
        "user no-mfa has a console password and no MFA"
    }
    every = status_of(by_check(outcome, "iam_user_mfa_enabled"))
    assert every == {"no-mfa": Status.FAIL, "with-mfa": Status.PASS, "api-only": Status.FAIL}


def test_user_checks_are_not_applicable_without_users(scan_sim: Scan) -> None:
    checks = [
        "iam_user_console_mfa_enabled",
        "iam_user_single_active_access_key",
        "iam_user_no_direct_policies",
    ]
    outcome = scan_sim(check_ids=checks)
    assert {(f.status, f.reason) for f in outcome.findings} == {
        (Status.NOT_APPLICABLE, "the account has no IAM users")
    }


def test_console_user_with_a_never_used_access_key(sim: SimulatorClient, scan_sim: Scan) -> None:
    iam = sim.client("iam")
    console_user(iam, "set-up-with-key", keys=1)
    console_user(iam, "password-only")
    iam.create_user(UserName="robot")
    iam.create_access_key(UserName="robot")
    findings = by_check(
        scan_sim(check_ids=["iam_user_no_unused_initial_access_key"]), "iam_user_no_unused_initial_access_key"
    )
    assert status_of(findings) == {
        "set-up-with-key": Status.FAIL,
        "password-only": Status.PASS,
        "robot": Status.PASS,
    }
    [failed] = [f for f in findings if f.status == Status.FAIL]
    assert failed.reason == "user set-up-with-key has a console password and never used active access key 1"


def test_two_active_access_keys_fail_until_one_is_deactivated(sim: SimulatorClient, scan_sim: Scan) -> None:
    iam = sim.client("iam")
    iam.create_user(UserName="rotating")
    old = iam.create_access_key(UserName="rotating")["AccessKey"]["AccessKeyId"]
    iam.create_access_key(UserName="rotating")
    check = "iam_user_single_active_access_key"
    finding = only(by_check(scan_sim(check_ids=[check]), check))
    assert (finding.status, finding.reason) == (Status.FAIL, "user rotating has 2 active access keys")
    assert finding.resource_id == f"arn:aws:iam::{ACCOUNT}:user/rotating"
    iam.update_access_key(UserName="rotating", AccessKeyId=old, Status="Inactive")
    assert only(by_check(scan_sim(check_ids=[check]), check)).status == Status.PASS


def test_fresh_credentials_pass_the_age_checks(sim: SimulatorClient, scan_sim: Scan) -> None:
    console_user(sim.client("iam"), "new-hire", keys=1)
    checks = [
        "iam_user_credentials_unused_45_days",
        "iam_user_credentials_unused_90_days",
        "iam_user_access_key_rotated_90_days",
    ]
    outcome = scan_sim(check_ids=checks)
    assert {(f.check_id, f.status) for f in outcome.findings} == {(c, Status.PASS) for c in checks}


def test_unused_credentials_by_age_hand_built() -> None:
    """moto cannot backdate a user, a password's use or a key."""
    made = inventory(
        row(),
        row("idle-console", password_last_used=days_ago(60)),
        row("never-signed-in", password_last_changed=days_ago(100)),
        row(
            "idle-key", password_enabled=False, access_keys=((True, days_ago(200), days_ago(50)), NO_KEYS[1])
        ),
        row("stale-key", password_enabled=False, access_keys=(NO_KEYS[0], (True, days_ago(95), None))),
        row("busy", password_last_used=days_ago(1), access_keys=((True, days_ago(300), days_ago(1)),)),
        row("old-inactive-key", password_enabled=False, access_keys=((False, days_ago(300), days_ago(200)),)),
    )
    findings = judge(made, "iam_user_credentials_unused_45_days")
    assert status_of(findings) == {
        "idle-console": Status.FAIL,
        "never-signed-in": Status.FAIL,
        "idle-key": Status.FAIL,
        "stale-key": Status.FAIL,
        "busy": Status.PASS,
        "old-inactive-key": Status.PASS,
    }
    reasons = {f.resource_id.rsplit("/", 1)[-1]: f.reason for f in findings}
    assert reasons["idle-console"] == "user idle-console: console password last used 60 days ago"
    assert (
        reasons["never-signed-in"]
        == "user never-signed-in: console password last set and never used 100 days ago"
    )
    assert reasons["stale-key"] == "user stale-key: access key 2 last created and never used 95 days ago"
    ninety = status_of(judge(made, "iam_user_credentials_unused_90_days"))
    assert [user for user, status in ninety.items() if status == Status.FAIL] == [
        "never-signed-in",
        "stale-key",
    ]


def test_access_keys_older_than_90_days_fail_hand_built() -> None:
    made = inventory(
        row(),
        row("old-key", access_keys=((True, days_ago(91), days_ago(1)), (True, days_ago(10), None))),
        row("recent-key", access_keys=((True, days_ago(89), None), (False, days_ago(400), None))),
    )
    findings = judge(made, "iam_user_access_key_rotated_90_days")
    assert status_of(findings) == {"old-key": Status.FAIL, "recent-key": Status.PASS}
    assert [f.reason for f in findings if f.status == Status.FAIL] == [
        "user old-key: access key 1 is 91 days old"
    ]


def test_an_unreadable_credential_report_is_an_error_for_user_checks(scan_sim: Scan) -> None:
    checks = ["iam_user_mfa_enabled", "iam_user_credentials_unused_45_days"]
    outcome = scan_sim(check_ids=checks, deny={"iam:GenerateCredentialReport"})
    for finding in outcome.findings:
        assert finding.status == Status.ERROR
        assert "iam:GenerateCredentialReport: AccessDenied" in finding.reason


# ---- policies and attachments (authorization details) -------------------------------------------


def test_users_with_their_own_policies_fail(sim: SimulatorClient, scan_sim: Scan) -> None:
    iam = sim.client("iam")
    iam.create_group(GroupName="readers")
    iam.attach_group_policy(GroupName="readers", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    for name in ("grouped", "attached", "inline"):
        iam.create_user(UserName=name)
        iam.add_user_to_group(GroupName="readers", UserName=name)
    iam.attach_user_policy(UserName="attached", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam.put_user_policy(UserName="inline", PolicyName="own", PolicyDocument=document(allow("s3:GetObject")))
    findings = by_check(scan_sim(check_ids=["iam_user_no_direct_policies"]), "iam_user_no_direct_policies")
    assert status_of(findings) == {"grouped": Status.PASS, "attached": Status.FAIL, "inline": Status.FAIL}
    assert {f.reason for f in findings if f.status == Status.FAIL} == {
        "user attached has policies of its own: attached ReadOnlyAccess",
        "user inline has policies of its own: inline own",
    }


def test_customer_policies_full_admin_and_service_wildcards(sim: SimulatorClient, scan_sim: Scan) -> None:
    iam = sim.client("iam")
    iam.create_role(
        RoleName="ops",
        AssumeRolePolicyDocument=document({**allow("sts:AssumeRole"), "Principal": {"AWS": ROOT_ARN}}),
    )
    arns = {
        name: iam.create_policy(PolicyName=name, PolicyDocument=doc)["Policy"]["Arn"]
        for name, doc in {
            "admin-attached": document(allow("*")),
            "admin-spare": document(allow(["*:*"])),
            "s3-everything": document(allow(["s3:*", "sqs:SendMessage"], "arn:aws:s3:::data/*")),
            "narrow": document(allow("s3:GetObject"), {"Effect": "Deny", "Action": "*", "Resource": "*"}),
        }.items()
    }
    for name in ("admin-attached", "s3-everything", "narrow"):
        iam.attach_role_policy(RoleName="ops", PolicyArn=arns[name])
    checks = [
        "iam_customer_policy_attached_no_full_admin",
        "iam_customer_policy_no_full_admin",
        "iam_customer_policy_no_service_wildcard",
    ]
    outcome = scan_sim(check_ids=checks)
    attached = by_check(outcome, "iam_customer_policy_attached_no_full_admin")
    assert status_of(attached) == {
        "admin-attached": Status.FAIL,
        "s3-everything": Status.PASS,
        "narrow": Status.PASS,
    }
    assert status_of(by_check(outcome, "iam_customer_policy_no_full_admin")) == {
        "admin-attached": Status.FAIL,
        "admin-spare": Status.FAIL,
        "s3-everything": Status.PASS,
        "narrow": Status.PASS,
    }
    spare = [
        f
        for f in by_check(outcome, "iam_customer_policy_no_full_admin")
        if f.resource_id == arns["admin-spare"]
    ]
    assert only(spare).reason == "policy admin-spare allows every action on every resource (not attached)"
    wildcard = by_check(outcome, "iam_customer_policy_no_service_wildcard")
    assert status_of(wildcard) == {
        "admin-attached": Status.PASS,
        "admin-spare": Status.PASS,
        "s3-everything": Status.FAIL,
        "narrow": Status.PASS,
    }
    assert "policy s3-everything allows s3:*" in {f.reason for f in wildcard}


def test_policy_checks_without_customer_policies_are_not_applicable(scan_sim: Scan) -> None:
    outcome = scan_sim(
        check_ids=["iam_customer_policy_attached_no_full_admin", "iam_customer_policy_no_full_admin"]
    )
    assert {(f.status, f.reason) for f in outcome.findings} == {
        (Status.NOT_APPLICABLE, "the account has no customer managed policies")
    }


def test_boundary_only_policies_and_unparsable_documents_hand_built() -> None:
    policies = (
        ManagedPolicy(
            "boundary", f"arn:aws:iam::{ACCOUNT}:policy/boundary", 0, 3, {"Statement": [allow("*")]}
        ),
        ManagedPolicy(
            "broken", f"arn:aws:iam::{ACCOUNT}:policy/broken", 1, 0, Unknown("policy broken: bad JSON")
        ),
    )
    made = inventory(row(), authorization=Authorization((), (), (), policies))
    findings = judge(made, "iam_customer_policy_no_full_admin")
    assert status_of(findings) == {"boundary": Status.PASS, "broken": Status.ERROR}
    assert status_of(judge(made, "iam_customer_policy_attached_no_full_admin")) == {"broken": Status.ERROR}


def test_policy_documents_are_read_url_encoded_or_decoded() -> None:
    decoded = {"Version": "2012-10-17", "Statement": [allow("*")]}
    assert iam_collector._document(decoded, "p") == decoded
    assert iam_collector._document("%7B%22Statement%22%3A%5B%5D%7D", "p") == {"Statement": []}
    assert isinstance(iam_collector._document("not json", "p"), Unknown)


def test_support_role_with_aws_support_access(sim: SimulatorClient, scan_sim: Scan) -> None:
    check = "iam_support_role_exists"
    absent = only(by_check(scan_sim(check_ids=[check]), check))
    assert (absent.status, absent.resource_id, absent.reason) == (
        Status.FAIL,
        ROOT_ARN,
        "no role has the AWSSupportAccess policy attached",
    )
    iam = sim.client("iam")
    iam.create_role(
        RoleName="support",
        AssumeRolePolicyDocument=document({**allow("sts:AssumeRole"), "Principal": {"AWS": ROOT_ARN}}),
    )
    iam.attach_role_policy(RoleName="support", PolicyArn="arn:aws:iam::aws:policy/AWSSupportAccess")
    present = only(by_check(scan_sim(check_ids=[check]), check))
    assert (present.status, present.reason) == (
        Status.PASS,
        "AWSSupportAccess is attached to role(s) support",
    )


def test_cloudshell_full_access_attached_to_a_group(sim: SimulatorClient, scan_sim: Scan) -> None:
    check = "iam_cloudshell_full_access_not_attached"
    arn = "arn:aws:iam::aws:policy/AWSCloudShellFullAccess"
    clean = only(by_check(scan_sim(check_ids=[check]), check))
    assert (clean.status, clean.resource_id) == (Status.PASS, arn)
    iam = sim.client("iam")
    iam.create_group(GroupName="devs")
    iam.attach_group_policy(GroupName="devs", PolicyArn=arn)
    attached = only(by_check(scan_sim(check_ids=[check]), check))
    assert (attached.status, attached.reason) == (
        Status.FAIL,
        "AWSCloudShellFullAccess is attached to group devs",
    )


def test_unreadable_authorization_details_are_errors_naming_the_action(
    sim: SimulatorClient, scan_sim: Scan
) -> None:
    console_user(sim.client("iam"), "alice")
    outcome = scan_sim(
        check_ids=[*AUTHORIZATION_CHECKS, "iam_user_console_mfa_enabled"],
        deny={"iam:GetAccountAuthorizationDetails"},
    )
    for check in AUTHORIZATION_CHECKS:
        finding = only(by_check(outcome, check))
        assert finding.status == Status.ERROR
        assert "iam:GetAccountAuthorizationDetails: AccessDenied" in finding.reason
    # the other IAM reads are judged as usual
    assert only(by_check(outcome, "iam_user_console_mfa_enabled")).status == Status.FAIL


# ---- server certificates -----------------------------------------------------------------------


def test_server_certificates(sim: SimulatorClient, scan_sim: Scan) -> None:
    check = "iam_server_certificate_not_expired"
    none = only(by_check(scan_sim(check_ids=[check]), check))
    assert (none.status, none.reason) == (Status.NOT_APPLICABLE, "the account has no IAM server certificates")
    # moto dates every server certificate's expiration 2012-05-08
    sim.client("iam").upload_server_certificate(
        ServerCertificateName="legacy", CertificateBody="cert", PrivateKey="key"
    )
    expired = only(by_check(scan_sim(check_ids=[check]), check))
    assert (expired.status, expired.resource_id) == (
        Status.FAIL,
        f"arn:aws:iam::{ACCOUNT}:server-certificate/legacy",
    )
    assert expired.reason == "certificate legacy expired on 2012-05-08"
    denied = only(by_check(scan_sim(check_ids=[check], deny={"iam:ListServerCertificates"}), check))
    assert denied.status == Status.ERROR and "iam:ListServerCertificates: AccessDenied" in denied.reason


def test_a_valid_server_certificate_passes_hand_built() -> None:
    cert = ServerCertificate(
        "web", f"arn:aws:iam::{ACCOUNT}:server-certificate/web", NOW + timedelta(days=30)
    )
    finding = only(judge(inventory(row(), server_certificates=(cert,)), "iam_server_certificate_not_expired"))
    assert (finding.status, finding.resource_id) == (Status.PASS, cert.arn)


# ---- the collector against the simulator ---------------------------------------------------------


def collect_iam(sim: SimulatorClient, deny: set[str]) -> IamData:
    client = sim.client("iam")
    _deny(client, deny)
    return iam_collector.collect(lambda _: client, "us-east-1", ACCOUNT)


def test_collector_reads_virtual_mfa_devices_and_reports_a_denied_listing(sim: SimulatorClient) -> None:
    console_user(sim.client("iam"), "alice", mfa=True)
    data = collect_iam(sim, set())
    assert VirtualMfaDevice(f"arn:aws:iam::{ACCOUNT}:mfa/alice", f"arn:aws:iam::{ACCOUNT}:user/alice") in (
        data.virtual_mfa_devices
    )
    denied = collect_iam(sim, {"iam:ListVirtualMFADevices"})
    assert isinstance(denied.virtual_mfa_devices, Unknown)
    assert not isinstance(denied.authorization, Unknown)  # one denied read leaves the others
    assert isinstance(denied.credential_report, list)
    with_root = dataclasses.replace(
        denied, credential_report=[row(), *denied.credential_report], summary={"AccountMFAEnabled": 1}
    )
    made = Inventory(account_id=ACCOUNT, regions=("us-east-1",))
    made.put("iam", GLOBAL, with_root)
    finding = only(judge(made, "iam_root_hardware_mfa_enabled"))
    assert finding.status == Status.ERROR and "iam:ListVirtualMFADevices: AccessDenied" in finding.reason


# ---- IAM Access Analyzer (moto has none: hand-built, and a denied listing) -----------------------


def analyzers(**by_region: tuple[Analyzer, ...] | Unknown) -> Inventory:
    made = Inventory(account_id=ACCOUNT, regions=tuple(by_region))
    for region, found in by_region.items():
        made.put("accessanalyzer", region, found if isinstance(found, Unknown) else AccessAnalyzerData(found))
    return made


def analyzer(name: str, kind: str = "ACCOUNT", status: str = "ACTIVE") -> Analyzer:
    return Analyzer(name, f"arn:aws:access-analyzer:us-east-1:{ACCOUNT}:analyzer/{name}", kind, status)


def test_access_analyzer_must_be_active_for_external_access_in_every_region() -> None:
    made = analyzers(
        **{
            "us-east-1": (analyzer("external"),),
            "eu-west-1": (),
            "eu-central-1": (analyzer("unused", "ACCOUNT_UNUSED_ACCESS"),),
            "ap-south-1": (analyzer("org", "ORGANIZATION", "DISABLED"),),
            "us-west-2": Unknown("access-analyzer:ListAnalyzers: AccessDenied"),
        }
    )
    findings = {f.region: f for f in judge(made, "accessanalyzer_enabled")}
    assert {region: f.status for region, f in findings.items()} == {
        "us-east-1": Status.PASS,
        "eu-west-1": Status.FAIL,
        "eu-central-1": Status.FAIL,
        "ap-south-1": Status.FAIL,
        "us-west-2": Status.ERROR,
    }
    assert findings["eu-west-1"].reason == "IAM Access Analyzer has no analyzer in this region"
    assert findings["ap-south-1"].reason == "analyzer org is disabled, not active"
    assert findings["eu-west-1"].resource_id == f"arn:aws:access-analyzer:eu-west-1:{ACCOUNT}:account"


def test_a_denied_analyzer_listing_is_an_error_naming_the_action(scan_sim: Scan) -> None:
    outcome = scan_sim(
        check_ids=["accessanalyzer_enabled"],
        regions=("us-east-1", "eu-west-1"),
        deny={"access-analyzer:ListAnalyzers"},
    )
    assert {f.region for f in outcome.findings} == {"us-east-1", "eu-west-1"}
    for finding in outcome.findings:
        assert finding.status == Status.ERROR
        assert "ListAnalyzers: AccessDenied" in finding.reason
        assert "access-analyzer:ListAnalyzers" in finding.reason


@pytest.mark.parametrize("check_id", [*ROOT_CHECKS, *PASSWORD_CHECKS, *AUTHORIZATION_CHECKS])
def test_an_unreadable_iam_service_is_an_error_for_every_check(check_id: str) -> None:
    made = Inventory(account_id=ACCOUNT, regions=("us-east-1",))
    made.put("iam", GLOBAL, Unknown("iam: throttled"))
    finding = only(judge(made, check_id))
    assert (finding.status, finding.reason) == (Status.ERROR, "iam: throttled")
