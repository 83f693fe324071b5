"""The misconfigured account: seeding a reset simulated account works, and an audit can see it.

Everything is checked through boto3 as a scanner would read it. One seeding per test (a seeding
takes a few seconds), so the main test checks many things at once.
"""

from __future__ import annotations

import csv
import functools
import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.posture_seed import EXTRA_KINDS, SeedReport, seed_misconfigurations

ACCOUNT = "123456789012"
P = "cw-demo-"


@functools.cache
def _client(endpoint: str, service: str) -> Any:
    return SimulatorClient(endpoint).client(service)


def _days_old(moment: datetime) -> float:
    return (datetime.now(UTC) - moment).total_seconds() / 86400


def _check_s3(c: Any, report: SeedReport) -> None:
    s3 = c("s3")
    public = f"{P}public-assets"
    policy = json.loads(s3.get_bucket_policy(Bucket=public)["Policy"])
    assert any(st["Effect"] == "Allow" and st["Principal"] == "*" for st in policy["Statement"])
    assert s3.get_bucket_policy_status(Bucket=public)["PolicyStatus"]["IsPublic"] is True
    grants = s3.get_bucket_acl(Bucket=public)["Grants"]
    assert {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"} in [
        g["Grantee"] for g in grants if g["Permission"] == "READ"
    ]
    block = s3.get_public_access_block(Bucket=public)["PublicAccessBlockConfiguration"]
    assert not any(block.values())

    private = f"{P}private-records"
    block = s3.get_public_access_block(Bucket=private)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    rule = s3.get_bucket_encryption(Bucket=private)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert s3.get_bucket_versioning(Bucket=private)["Status"] == "Enabled"
    tls = json.loads(s3.get_bucket_policy(Bucket=private)["Policy"])["Statement"][0]
    assert tls["Effect"] == "Deny" and tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert s3.get_bucket_logging(Bucket=private)["LoggingEnabled"]["TargetBucket"] == f"{P}access-logs"
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=f"{P}cloudtrail-logs-no-access-logging")
    assert set(report.created["s3_bucket"]) <= {b["Name"] for b in s3.list_buckets()["Buckets"]}


def _check_ec2(c: Any) -> None:
    ec2 = c("ec2")
    groups = {g["GroupName"]: g for g in ec2.describe_security_groups()["SecurityGroups"]}
    ssh = groups[f"{P}ssh-open-to-world"]["IpPermissions"]
    assert any(p["FromPort"] == 22 == p["ToPort"] and p["IpRanges"][0]["CidrIp"] == "0.0.0.0/0" for p in ssh)
    rdp = groups[f"{P}rdp-open-to-world-ipv6"]["IpPermissions"]
    assert any(p["FromPort"] == 3389 and p["Ipv6Ranges"][0]["CidrIpv6"] == "::/0" for p in rdp)
    instances = ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": [f"{P}web-imdsv1-public-ip"]}])
    (instance,) = [i for r in instances["Reservations"] for i in r["Instances"]]
    assert instance["MetadataOptions"]["HttpTokens"] == "optional"
    assert instance.get("PublicIpAddress")
    assert ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is False
    assert ec2.describe_flow_logs()["FlowLogs"] == []


def _check_iam(c: Any) -> None:
    iam = c("iam")
    console = f"{P}console-user-no-mfa"
    assert iam.get_login_profile(UserName=console)["LoginProfile"]["UserName"] == console
    assert iam.list_mfa_devices(UserName=console)["MFADevices"] == []
    (stale,) = iam.list_access_keys(UserName=f"{P}stale-access-key")["AccessKeyMetadata"]
    assert 199 < _days_old(stale["CreateDate"]) < 201
    assert (
        "LastUsedDate"
        not in iam.get_access_key_last_used(AccessKeyId=stale["AccessKeyId"])["AccessKeyLastUsed"]
    )
    two = iam.list_access_keys(UserName=f"{P}two-active-keys")["AccessKeyMetadata"]
    assert [k["Status"] for k in two] == ["Active", "Active"]
    assert iam.list_user_policies(UserName=f"{P}inline-policy")["PolicyNames"]
    (attached,) = iam.list_attached_group_policies(GroupName=f"{P}admins")["AttachedPolicies"]
    policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
    document = iam.get_policy_version(PolicyArn=attached["PolicyArn"], VersionId=policy["DefaultVersionId"])
    statement = document["PolicyVersion"]["Document"]["Statement"][0]
    assert (statement["Effect"], statement["Action"], statement["Resource"]) == ("Allow", "*", "*")
    password_policy = iam.get_account_password_policy()["PasswordPolicy"]
    assert password_policy["MinimumPasswordLength"] == 8
    assert "PasswordReusePrevention" not in password_policy

    iam.generate_credential_report()
    content = iam.get_credential_report()["Content"].decode()
    rows = list(csv.DictReader(io.StringIO(content)))
    root = rows[0]
    assert root["user"] == "<root_account>"
    assert root["access_key_1_active"] == "true" and root["mfa_active"] == "false"
    by_user = {row["user"]: row for row in rows}
    assert by_user[f"{P}stale-access-key"]["access_key_1_last_used_date"] == "N/A"
    assert by_user[console]["password_enabled"] == "true" and by_user[console]["mfa_active"] == "false"
    summary = iam.get_account_summary()["SummaryMap"]
    assert summary["AccountAccessKeysPresent"] == 1 and summary["AccountMFAEnabled"] == 0


def _check_the_rest(c: Any) -> None:
    (db,) = c("rds").describe_db_instances(DBInstanceIdentifier=f"{P}db-public-unencrypted")["DBInstances"]
    assert (db["StorageEncrypted"], db["PubliclyAccessible"], db["DeletionProtection"]) == (
        False,
        True,
        False,
    )
    (trail,) = [
        t for t in c("cloudtrail").describe_trails()["trailList"] if t["Name"] == f"{P}trail-single-region"
    ]
    assert trail["IsMultiRegionTrail"] is False and trail["LogFileValidationEnabled"] is False
    assert "KmsKeyId" not in trail
    assert c("cloudtrail").get_trail_status(Name=trail["Name"])["IsLogging"] is True
    kms = c("kms")
    (alias,) = [a for a in kms.list_aliases()["Aliases"] if a["AliasName"].startswith(f"alias/{P}")]
    assert kms.get_key_rotation_status(KeyId=alias["TargetKeyId"])["KeyRotationEnabled"] is False
    function = c("lambda").get_function(FunctionName=f"{P}legacy-python37-public")["Configuration"]
    assert function["Runtime"] == "python3.7"
    statement = json.loads(c("lambda").get_policy(FunctionName=f"{P}legacy-python37-public")["Policy"])[
        "Statement"
    ]
    assert statement[0]["Principal"] == "*"
    task = c("ecs").describe_task_definition(taskDefinition=f"{P}privileged-plaintext-secret")[
        "taskDefinition"
    ]
    container = task["containerDefinitions"][0]
    assert container["privileged"] is True
    assert "DB_PASSWORD" in {e["name"] for e in container["environment"]}
    assert c("config").describe_configuration_recorders()["ConfigurationRecorders"] == []
    assert c("guardduty").list_detectors()["DetectorIds"] == []


def test_seeded_misconfigurations_are_visible_through_boto3(sim: SimulatorClient) -> None:
    report = seed_misconfigurations(sim)

    def c(service: str) -> Any:
        return _client(sim.endpoint, service)

    assert report.account_id == ACCOUNT and report.extra_count == 0 and report.extra_path == "none"
    for kind in (
        "s3_bucket",
        "security_group",
        "ec2_instance",
        "iam_user",
        "rds_instance",
        "lambda_function",
    ):
        assert report.created[kind], kind
    controls = " | ".join(f.control for f in report.expected_failures)
    for words in (
        "SSH (22)",
        "RDP (3389)",
        "IMDSv1",
        "Root user has an active access key",
        "rotation",
        "python3.7",
    ):
        assert words in controls
    assert all(f.resources for f in report.expected_failures)
    json.dumps(report.to_dict(), default=str)

    _check_s3(c, report)
    _check_ec2(c)
    _check_iam(c)
    _check_the_rest(c)

    # Seeding again reuses what is there: no second instance, key, trail or error.
    again = seed_misconfigurations(sim)
    assert again.created == report.created
    _check_ec2(c)
    assert len(c("iam").list_access_keys(UserName=f"{P}two-active-keys")["AccessKeyMetadata"]) == 2


def test_size_adds_that_many_benign_resources(sim: SimulatorClient) -> None:
    report = seed_misconfigurations(sim, size=200)
    assert report.extra_path == "in-process"  # the session's simulator runs in this process
    assert report.extra_count == 200
    assert {kind: len(names) for kind, names in report.extra.items()} == dict.fromkeys(EXTRA_KINDS, 50)

    def c(service: str) -> Any:
        return _client(sim.endpoint, service)

    buckets = [b["Name"] for b in c("s3").list_buckets()["Buckets"] if b["Name"].startswith("cw-scale-")]
    assert sorted(buckets) == sorted(report.extra["s3_bucket"])
    block = c("s3").get_public_access_block(Bucket=buckets[0])["PublicAccessBlockConfiguration"]
    assert all(block.values())
    groups = c("ec2").describe_security_groups(Filters=[{"Name": "group-name", "Values": ["cw-scale-*"]}])
    assert len(groups["SecurityGroups"]) == 50
    users = c("iam").list_users(PathPrefix="/scale/", MaxItems=1000)["Users"]
    assert len(users) == 50
    volumes = c("ec2").describe_volumes(Filters=[{"Name": "tag:Name", "Values": ["cw-scale-volume-*"]}])[
        "Volumes"
    ]
    assert len(volumes) == 50 and all(v["Encrypted"] for v in volumes)

    # The API path (a simulator in another process) makes the same, and tolerates what exists.
    over_http = seed_misconfigurations(sim, size=208, in_process=False)
    assert over_http.extra_path == "http" and over_http.extra_count == 208
    assert len(c("iam").list_users(PathPrefix="/scale/", MaxItems=1000)["Users"]) == 52
    volumes = c("ec2").describe_volumes(Filters=[{"Name": "tag:Name", "Values": ["cw-scale-volume-*"]}])[
        "Volumes"
    ]
    assert len(volumes) == 52


def test_negative_size_is_refused() -> None:
    with pytest.raises(ValueError, match="size"):
        seed_misconfigurations(SimulatorClient("http://127.0.0.1:9"), size=-1)
