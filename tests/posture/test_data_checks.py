"""The data checks (S3, KMS, RDS) on the simulated account, and on hand-built inventories where
moto cannot represent the state (MFA Delete, unreadable account settings)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from cloudwarden.posture import scan as posture_scan
from cloudwarden.posture.checks import all_checks
from cloudwarden.posture.collectors.kms import Key as KmsKey
from cloudwarden.posture.collectors.kms import KeyDetails, KmsData
from cloudwarden.posture.collectors.s3 import Bucket, Grant, PublicAccessBlock, S3Data, Versioning
from cloudwarden.posture.inventory import GLOBAL, Inventory
from cloudwarden.posture.model import Finding, Status, Unknown
from cloudwarden.simulator.client import SimulatorClient
from tests.posture.conftest import ACCOUNT, Scan, by_check

OTHER_ACCOUNT = "999999999999"
ALL_ON = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}
ALL_USERS = 'uri="http://acs.amazonaws.com/groups/global/AllUsers"'


def one(outcome: posture_scan.ScanOutcome, check_id: str, resource_end: str) -> Finding:
    found: list[Finding] = [f for f in by_check(outcome, check_id) if f.resource_id.endswith(resource_end)]
    assert len(found) == 1, (check_id, resource_end, by_check(outcome, check_id))
    return found[0]


def judge(inventory: Inventory, check_id: str) -> list[Finding]:
    return posture_scan.judge(inventory, [all_checks()[check_id]])


# ---- S3 -----------------------------------------------------------------------------------------

S3_CHECKS = [c for c, check in all_checks().items() if c.startswith("s3_") and "s3" in check.metadata.reads]


def bucket(sim: SimulatorClient, name: str, region: str = "us-east-1") -> Any:
    s3 = sim.client("s3", region=region)
    config = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=name, **config)
    return s3


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_without_buckets_bucket_checks_are_not_applicable(scan_sim: Scan) -> None:
    outcome = scan_sim(check_ids=[c for c in S3_CHECKS if c != "s3_account_public_access_block"])
    assert {f.status for f in outcome.findings} == {Status.NOT_APPLICABLE}
    assert all(f.reason == "the account has no S3 buckets" for f in outcome.findings)


def test_account_block_public_access_absent_partial_and_complete(
    sim: SimulatorClient, scan_sim: Scan
) -> None:
    check = "s3_account_public_access_block"
    [absent] = by_check(scan_sim(check_ids=[check]), check)
    assert (absent.status, absent.resource_id, absent.region) == (
        Status.FAIL,
        f"arn:aws:iam::{ACCOUNT}:root",
        GLOBAL,
    )
    assert "no S3 Block Public Access configuration" in absent.reason

    s3control = sim.client("s3control")
    partial = {**ALL_ON, "RestrictPublicBuckets": False}
    s3control.put_public_access_block(AccountId=ACCOUNT, PublicAccessBlockConfiguration=partial)
    [finding] = by_check(scan_sim(check_ids=[check]), check)
    assert finding.status == Status.FAIL
    assert finding.reason.endswith("off: RestrictPublicBuckets")

    s3control.put_public_access_block(AccountId=ACCOUNT, PublicAccessBlockConfiguration=ALL_ON)
    [finding] = by_check(scan_sim(check_ids=[check]), check)
    assert finding.status == Status.PASS


def test_bucket_block_public_access_by_bucket_or_account(sim: SimulatorClient, scan_sim: Scan) -> None:
    check = "s3_bucket_public_access_block"
    s3 = bucket(sim, "open-bucket")
    bucket(sim, "closed-bucket").put_public_access_block(
        Bucket="closed-bucket", PublicAccessBlockConfiguration=ALL_ON
    )
    s3.put_public_access_block(
        Bucket="open-bucket", PublicAccessBlockConfiguration={**ALL_ON, "BlockPublicAcls": False}
    )
    outcome = scan_sim(check_ids=[check])
    assert one(outcome, check, ":::closed-bucket").status == Status.PASS
    open_finding = one(outcome, check, ":::open-bucket")
    assert (open_finding.status, open_finding.resource_id) == (Status.FAIL, "arn:aws:s3:::open-bucket")
    assert open_finding.reason.endswith(": BlockPublicAcls")

    sim.client("s3control").put_public_access_block(AccountId=ACCOUNT, PublicAccessBlockConfiguration=ALL_ON)
    covered = one(scan_sim(check_ids=[check]), check, ":::open-bucket")
    assert covered.status == Status.PASS
    assert "account-level" in covered.reason


def test_secure_transport_needs_a_deny_of_plain_http(sim: SimulatorClient, scan_sim: Scan) -> None:
    check = "s3_bucket_secure_transport_policy"
    bucket(sim, "no-policy")
    s3 = bucket(sim, "https-only")
    s3.put_bucket_policy(
        Bucket="https-only",
        Policy=policy(
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::https-only", "arn:aws:s3:::https-only/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ),
    )
    s3 = bucket(sim, "allow-only")
    s3.put_bucket_policy(
        Bucket="allow-only",
        Policy=policy(
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::allow-only/*",
                "Condition": {"Bool": {"aws:SecureTransport": "true"}},
            }
        ),
    )
    outcome = scan_sim(check_ids=[check])
    assert one(outcome, check, ":::https-only").status == Status.PASS
    missing = one(outcome, check, ":::no-policy")
    assert (missing.status, missing.reason) == (
        Status.FAIL,
        "the bucket has no policy, so plain HTTP requests are accepted",
    )
    assert one(outcome, check, ":::allow-only").status == Status.FAIL


def test_a_denied_bucket_policy_read_is_an_error_naming_the_action(
    sim: SimulatorClient, scan_sim: Scan
) -> None:
    bucket(sim, "some-bucket")
    checks = [
        "s3_bucket_secure_transport_policy",
        "s3_bucket_public_read_prohibited",
        "s3_bucket_versioning_enabled",
    ]
    outcome = scan_sim(check_ids=checks, deny={"s3:GetBucketPolicy"})
    for check in checks[:2]:
        finding = one(outcome, check, ":::some-bucket")
        assert finding.status == Status.ERROR
        assert finding.reason.startswith("s3:GetBucketPolicy: AccessDenied")
    assert one(outcome, "s3_bucket_versioning_enabled", ":::some-bucket").status == Status.FAIL


def test_a_denied_bucket_listing_makes_every_bucket_check_an_error(scan_sim: Scan) -> None:
    outcome = scan_sim(
        check_ids=["s3_bucket_versioning_enabled"], deny={"s3:ListBuckets", "s3:ListAllMyBuckets"}
    )
    [finding] = outcome.findings
    assert finding.status == Status.ERROR
    assert "AccessDenied" in finding.reason


def test_public_read_through_acl_or_policy_and_what_block_public_access_neutralises(
    sim: SimulatorClient, scan_sim: Scan
) -> None:
    check = "s3_bucket_public_read_prohibited"
    bucket(sim, "private-bucket")
    bucket(sim, "acl-public").put_bucket_acl(Bucket="acl-public", ACL="public-read")
    s3 = bucket(sim, "policy-public")
    s3.put_bucket_policy(
        Bucket="policy-public",
        Policy=policy(
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:Get*",
                "Resource": "arn:aws:s3:::policy-public/*",
            }
        ),
    )
    s3 = bucket(sim, "vpc-only")
    s3.put_bucket_policy(
        Bucket="vpc-only",
        Policy=policy(
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::vpc-only/*",
                "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-0123456789abcdef0"}},
            }
        ),
    )
    outcome = scan_sim(check_ids=[check])
    assert one(outcome, check, ":::private-bucket").status == Status.PASS
    assert one(outcome, check, ":::vpc-only").status == Status.PASS
    acl = one(outcome, check, ":::acl-public")
    assert (acl.status, acl.reason) == (
        Status.FAIL,
        "the bucket is publicly readable: its ACL grants READ to everyone (AllUsers)",
    )
    by_policy = one(outcome, check, ":::policy-public")
    assert by_policy.status == Status.FAIL
    assert "its policy allows s3:GetObject, s3:GetObjectVersion to everyone" in by_policy.reason

    sim.client("s3control").put_public_access_block(
        AccountId=ACCOUNT,
        PublicAccessBlockConfiguration={**ALL_ON, "RestrictPublicBuckets": False},
    )
    outcome = scan_sim(check_ids=[check])
    assert one(outcome, check, ":::acl-public").status == Status.PASS  # IgnorePublicAcls
    assert one(outcome, check, ":::policy-public").status == Status.FAIL  # the policy still applies


def test_public_write_through_an_acl_grant_or_a_policy(sim: SimulatorClient, scan_sim: Scan) -> None:
    check = "s3_bucket_public_write_prohibited"
    bucket(sim, "read-only-public").put_bucket_acl(Bucket="read-only-public", ACL="public-read")
    s3 = bucket(sim, "acl-writable")
    owner = s3.get_bucket_acl(Bucket="acl-writable")["Owner"]["ID"]
    s3.put_bucket_acl(Bucket="acl-writable", GrantWrite=ALL_USERS, GrantFullControl=f'id="{owner}"')
    s3 = bucket(sim, "policy-writable")
    s3.put_bucket_policy(
        Bucket="policy-writable",
        Policy=policy(
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["s3:PutObject"], "Resource": "*"}
        ),
    )
    outcome = scan_sim(check_ids=[check])
    assert one(outcome, check, ":::read-only-public").status == Status.PASS
    acl = one(outcome, check, ":::acl-writable")
    assert (acl.status, acl.reason) == (
        Status.FAIL,
        "the bucket is publicly writable: its ACL grants WRITE to everyone (AllUsers)",
    )
    assert "its policy allows s3:PutObject to everyone" in one(outcome, check, ":::policy-writable").reason


def test_access_logging_versioning_and_kms_default_encryption(sim: SimulatorClient, scan_sim: Scan) -> None:
    checks = [
        "s3_bucket_access_logging_enabled",
        "s3_bucket_versioning_enabled",
        "s3_bucket_default_encryption_kms",
    ]
    bucket(sim, "plain-bucket")
    s3 = bucket(sim, "log-target")
    s3.put_bucket_acl(Bucket="log-target", ACL="log-delivery-write")
    s3 = bucket(sim, "cared-for")
    s3.put_bucket_logging(
        Bucket="cared-for",
        BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": "log-target", "TargetPrefix": "cared-for/"}},
    )
    s3.put_bucket_versioning(Bucket="cared-for", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket="cared-for",
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": "alias/s3",
                    }
                }
            ]
        },
    )
    s3.put_bucket_versioning(Bucket="log-target", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_versioning(Bucket="log-target", VersioningConfiguration={"Status": "Suspended"})
    s3.put_bucket_encryption(
        Bucket="log-target",
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    outcome = scan_sim(check_ids=checks)
    logging = one(outcome, "s3_bucket_access_logging_enabled", ":::cared-for")
    assert (logging.status, logging.reason) == (
        Status.PASS,
        "server access logs are delivered to bucket log-target",
    )
    assert one(outcome, "s3_bucket_access_logging_enabled", ":::plain-bucket").status == Status.FAIL
    assert one(outcome, "s3_bucket_versioning_enabled", ":::cared-for").status == Status.PASS
    suspended = one(outcome, "s3_bucket_versioning_enabled", ":::log-target")
    assert (suspended.status, suspended.reason) == (Status.FAIL, "versioning is suspended on the bucket")
    assert one(outcome, "s3_bucket_versioning_enabled", ":::plain-bucket").reason.endswith(
        "never enabled on the bucket"
    )
    assert one(outcome, "s3_bucket_default_encryption_kms", ":::cared-for").status == Status.PASS
    sse_s3 = one(outcome, "s3_bucket_default_encryption_kms", ":::log-target")
    assert (sse_s3.status, sse_s3.reason) == (
        Status.FAIL,
        "new objects are encrypted with AES256, not an AWS KMS key",
    )
    assert one(outcome, "s3_bucket_default_encryption_kms", ":::plain-bucket").status == Status.FAIL


def test_s3_reads_the_list_once_and_each_setting_once_per_bucket(
    sim: SimulatorClient, scan_sim: Scan
) -> None:
    bucket(sim, "first-bucket")
    bucket(sim, "second-bucket")
    outcome = scan_sim(check_ids=S3_CHECKS)
    # ListBuckets, 11 details per bucket, the account's Block Public Access: however many checks read them
    assert outcome.api_calls == 1 + 2 * 11 + 1


def test_a_bucket_is_reported_in_its_own_region(sim: SimulatorClient, scan_sim: Scan) -> None:
    bucket(sim, "dublin-bucket", region="eu-west-1")
    outcome = scan_sim(check_ids=["s3_bucket_versioning_enabled"])
    finding = one(outcome, "s3_bucket_versioning_enabled", ":::dublin-bucket")
    assert (finding.region, finding.status) == ("eu-west-1", Status.FAIL)


def test_mfa_delete_fails_when_off(sim: SimulatorClient, scan_sim: Scan) -> None:
    s3 = bucket(sim, "versioned")
    s3.put_bucket_versioning(Bucket="versioned", VersioningConfiguration={"Status": "Enabled"})
    finding = one(
        scan_sim(check_ids=["s3_bucket_mfa_delete_enabled"]), "s3_bucket_mfa_delete_enabled", ":::versioned"
    )
    assert (finding.status, finding.reason) == (Status.FAIL, "MFA Delete is not enabled on the bucket")


def test_cross_account_sensitive_actions(sim: SimulatorClient, scan_sim: Scan) -> None:
    check = "s3_bucket_cross_account_sensitive_actions"
    s3 = bucket(sim, "shared-read")
    s3.put_bucket_policy(
        Bucket="shared-read",
        Policy=policy(
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"},
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": ["arn:aws:s3:::shared-read", "arn:aws:s3:::shared-read/*"],
            },
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/admin"},
                "Action": "s3:*",
                "Resource": "arn:aws:s3:::shared-read",
            },
        ),
    )
    s3 = bucket(sim, "shared-admin")
    s3.put_bucket_policy(
        Bucket="shared-admin",
        Policy=policy(
            {
                "Effect": "Allow",
                "Principal": {"AWS": OTHER_ACCOUNT},
                "Action": "s3:PutBucket*",
                "Resource": "arn:aws:s3:::shared-admin",
            }
        ),
    )
    outcome = scan_sim(check_ids=[check])
    assert one(outcome, check, ":::shared-read").status == Status.PASS
    finding = one(outcome, check, ":::shared-admin")
    assert finding.status == Status.FAIL
    assert finding.reason == (
        f"the bucket policy grants other accounts: s3:PutBucketAcl to {OTHER_ACCOUNT}; "
        f"s3:PutBucketPolicy to {OTHER_ACCOUNT}"
    )


def s3_inventory(*buckets: Bucket, account_block: PublicAccessBlock | Unknown | None = None) -> Inventory:
    inventory = Inventory(account_id=ACCOUNT, regions=("us-east-1",))
    inventory.put("s3", GLOBAL, S3Data(buckets=buckets, account_public_access_block=account_block))
    return inventory


def hand_built(name: str, **changes: Any) -> Bucket:
    fields: dict[str, Any] = {
        "name": name,
        "location": "us-east-1",
        "policy": None,
        "public_access_block": None,
        "acl": (),
        "encryption": None,
        "versioning": Versioning(status="Enabled", mfa_delete=False),
        "logging_target": None,
    }
    return Bucket(**{**fields, **changes})


def test_mfa_delete_passes_when_on_hand_built_because_moto_drops_mfa_delete() -> None:
    inventory = s3_inventory(hand_built("guarded", versioning=Versioning(status="Enabled", mfa_delete=True)))
    [finding] = judge(inventory, "s3_bucket_mfa_delete_enabled")
    assert (finding.status, finding.resource_id) == (Status.PASS, "arn:aws:s3:::guarded")


def test_an_unreadable_account_block_is_an_error_only_where_it_decides() -> None:
    unread = Unknown("s3:GetAccountPublicAccessBlock: AccessDenied")
    public_acl = (Grant("http://acs.amazonaws.com/groups/global/AllUsers", "READ"),)
    inventory = s3_inventory(
        hand_built("public-acl", acl=public_acl),
        hand_built("private"),
        hand_built("blocked", public_access_block=PublicAccessBlock(True, True, True, True), acl=public_acl),
        account_block=unread,
    )
    findings = {
        f.resource_id.rsplit(":", 1)[1]: f for f in judge(inventory, "s3_bucket_public_read_prohibited")
    }
    assert findings["public-acl"].status == Status.ERROR
    assert findings["public-acl"].reason == unread.reason
    assert findings["private"].status == Status.PASS
    assert findings["blocked"].status == Status.PASS
    [account] = judge(inventory, "s3_account_public_access_block")
    assert (account.status, account.reason) == (Status.ERROR, unread.reason)
    bucket_blocks = {f.resource_id: f.status for f in judge(inventory, "s3_bucket_public_access_block")}
    assert bucket_blocks["arn:aws:s3:::private"] == Status.ERROR
    assert bucket_blocks["arn:aws:s3:::blocked"] == Status.PASS


def test_not_principal_allow_counts_as_everyone() -> None:
    document = {
        "Statement": {
            "Effect": "Allow",
            "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "s3:*",
            "Resource": "*",
        }
    }
    inventory = s3_inventory(hand_built("wide-open", policy=document))
    [write] = judge(inventory, "s3_bucket_public_write_prohibited")
    assert write.status == Status.FAIL
    [cross] = judge(inventory, "s3_bucket_cross_account_sensitive_actions")
    assert cross.status == Status.FAIL


# ---- KMS ----------------------------------------------------------------------------------------


def test_kms_rotation_and_deletion_schedule(sim: SimulatorClient, scan_sim: Scan) -> None:
    kms = sim.client("kms")
    made = {
        name: kms.create_key(Description=name, **spec)["KeyMetadata"]
        for name, spec in {
            "rotating": {},
            "static": {},
            "signing": {"KeySpec": "RSA_2048", "KeyUsage": "SIGN_VERIFY"},
            "doomed": {},
        }.items()
    }
    kms.enable_key_rotation(KeyId=made["rotating"]["KeyId"])
    kms.schedule_key_deletion(KeyId=made["doomed"]["KeyId"], PendingWindowInDays=7)  # moto: an id, not an ARN
    rotating, static, signing, doomed = (made[n]["Arn"] for n in ("rotating", "static", "signing", "doomed"))
    outcome = scan_sim(check_ids=["kms_cmk_rotation_enabled", "kms_cmk_not_pending_deletion"])

    rotation = {f.resource_id: f for f in by_check(outcome, "kms_cmk_rotation_enabled")}
    assert set(rotation) == {rotating, static}  # asymmetric and pending keys cannot rotate
    assert rotation[rotating].status == Status.PASS
    assert (rotation[static].status, rotation[static].reason) == (
        Status.FAIL,
        "automatic key rotation is disabled",
    )

    deletion = {f.resource_id: f for f in by_check(outcome, "kms_cmk_not_pending_deletion")}
    assert set(deletion) == {rotating, static, signing, doomed}
    assert deletion[static].status == Status.PASS
    assert deletion[doomed].status == Status.FAIL
    assert re.fullmatch(
        r"the key is scheduled for deletion on \d{4}-\d\d-\d\d \(state PendingDeletion\)",
        deletion[doomed].reason,
    )


def test_kms_without_keys_is_not_applicable(scan_sim: Scan) -> None:
    outcome = scan_sim(check_ids=["kms_cmk_rotation_enabled", "kms_cmk_not_pending_deletion"])
    assert [f.status for f in outcome.findings] == [Status.NOT_APPLICABLE, Status.NOT_APPLICABLE]
    assert outcome.findings[0].resource_id == f"arn:aws:kms:us-east-1:{ACCOUNT}:account"


def test_kms_denied_reads_are_errors_naming_the_action(sim: SimulatorClient, scan_sim: Scan) -> None:
    key = sim.client("kms").create_key()["KeyMetadata"]["Arn"]
    outcome = scan_sim(check_ids=["kms_cmk_rotation_enabled"], deny={"kms:GetKeyRotationStatus"})
    [finding] = outcome.findings
    assert (finding.status, finding.resource_id) == (Status.ERROR, key)
    assert finding.reason.startswith("kms:GetKeyRotationStatus: AccessDenied")

    outcome = scan_sim(check_ids=["kms_cmk_not_pending_deletion"], deny={"kms:DescribeKey"})
    [finding] = outcome.findings
    assert (finding.status, finding.resource_id) == (Status.ERROR, key)
    assert finding.reason.startswith("kms:DescribeKey: AccessDenied")


def test_a_replica_pending_deletion_fails_hand_built_because_moto_has_no_replica_state() -> None:
    inventory = Inventory(account_id=ACCOUNT, regions=("eu-west-1",))
    arn = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/mrk-1"
    details = KeyDetails(
        "CUSTOMER", "PendingReplicaDeletion", "SYMMETRIC_DEFAULT", "AWS_KMS", datetime(2030, 1, 2, tzinfo=UTC)
    )
    inventory.put("kms", "eu-west-1", KmsData(keys=(KmsKey(arn, "mrk-1", details, None),)))
    [finding] = judge(inventory, "kms_cmk_not_pending_deletion")
    assert (finding.status, finding.resource_id, finding.region) == (Status.FAIL, arn, "eu-west-1")
    assert "on 2030-01-02" in finding.reason


# ---- RDS ----------------------------------------------------------------------------------------

INSTANCE_CHECKS = [
    "rds_instance_storage_encrypted",
    "rds_instance_auto_minor_version_upgrade",
    "rds_instance_not_publicly_accessible",
    "rds_instance_multi_az",
    "rds_instance_enhanced_monitoring",
    "rds_instance_deletion_protection",
    "rds_instance_logs_to_cloudwatch",
    "rds_instance_automatic_backups",
    "rds_instance_copy_tags_to_snapshots",
]


def db(sim: SimulatorClient, name: str, **settings: Any) -> str:
    arn: str = sim.client("rds").create_db_instance(
        DBInstanceIdentifier=name,
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="admin_user",
        MasterUserPassword="not-a-real-password-1",
        AllocatedStorage=20,
        **settings,
    )["DBInstance"]["DBInstanceArn"]
    return arn


@pytest.fixture
def two_instances(sim: SimulatorClient) -> Iterator[tuple[str, str]]:
    hardened = db(
        sim,
        "hardened",
        StorageEncrypted=True,
        AutoMinorVersionUpgrade=True,
        PubliclyAccessible=False,
        MultiAZ=True,
        MonitoringInterval=60,
        MonitoringRoleArn=f"arn:aws:iam::{ACCOUNT}:role/rds-monitoring",
        DeletionProtection=True,
        EnableCloudwatchLogsExports=["postgresql", "upgrade"],
        BackupRetentionPeriod=7,
        CopyTagsToSnapshot=True,
    )
    exposed = db(
        sim,
        "exposed",
        StorageEncrypted=False,
        AutoMinorVersionUpgrade=False,
        PubliclyAccessible=True,
        MultiAZ=False,
        DeletionProtection=False,
        EnableCloudwatchLogsExports=["postgresql"],
        BackupRetentionPeriod=1,
        CopyTagsToSnapshot=False,
    )
    yield hardened, exposed


EXPOSED_REASONS = {
    "rds_instance_storage_encrypted": "the DB instance's storage is not encrypted",
    "rds_instance_auto_minor_version_upgrade": "auto minor version upgrade is disabled",
    "rds_instance_not_publicly_accessible": "the DB instance is publicly accessible",
    "rds_instance_multi_az": "the DB instance runs in a single Availability Zone",
    "rds_instance_enhanced_monitoring": "Enhanced Monitoring is off",
    "rds_instance_deletion_protection": "deletion protection is disabled",
    "rds_instance_logs_to_cloudwatch": "postgres logs not published to CloudWatch Logs: upgrade",
    "rds_instance_automatic_backups": "automatic backups are kept 1 day(s), fewer than 7",
    "rds_instance_copy_tags_to_snapshots": "tags are not copied to the instance's snapshots",
}


@pytest.mark.parametrize("check", INSTANCE_CHECKS)
def test_each_instance_check_passes_the_hardened_and_fails_the_exposed(
    check: str, two_instances: tuple[str, str], scan_sim: Scan
) -> None:
    hardened, exposed = two_instances
    outcome = scan_sim(check_ids=[check])
    assert one(outcome, check, hardened).status == Status.PASS
    failed = one(outcome, check, exposed)
    assert (failed.status, failed.region, failed.reason) == (Status.FAIL, "us-east-1", EXPOSED_REASONS[check])


def test_cluster_members_are_judged_by_their_cluster(sim: SimulatorClient, scan_sim: Scan) -> None:
    rds = sim.client("rds")
    protected = rds.create_db_cluster(
        DBClusterIdentifier="protected",
        Engine="aurora-postgresql",
        MasterUsername="admin_user",
        MasterUserPassword="not-a-real-password-1",
        DeletionProtection=True,
        StorageEncrypted=True,
    )["DBCluster"]["DBClusterArn"]
    loose = rds.create_db_cluster(
        DBClusterIdentifier="loose",
        Engine="aurora-postgresql",
        MasterUsername="admin_user",
        MasterUserPassword="not-a-real-password-1",
    )["DBCluster"]["DBClusterArn"]
    rds.create_db_instance(
        DBInstanceIdentifier="loose-1",
        DBClusterIdentifier="loose",
        DBInstanceClass="db.r5.large",
        Engine="aurora-postgresql",
    )
    outcome = scan_sim(
        check_ids=[
            "rds_cluster_deletion_protection",
            "rds_instance_multi_az",
            "rds_instance_storage_encrypted",
        ]
    )
    assert one(outcome, "rds_cluster_deletion_protection", protected).status == Status.PASS
    failed = one(outcome, "rds_cluster_deletion_protection", loose)
    assert (failed.status, failed.reason) == (Status.FAIL, "deletion protection is disabled on the cluster")
    [multi_az] = by_check(outcome, "rds_instance_multi_az")
    assert (multi_az.status, multi_az.reason) == (
        Status.NOT_APPLICABLE,
        "no DB instances outside clusters in us-east-1",
    )
    assert one(outcome, "rds_instance_storage_encrypted", ":db:loose-1").status == Status.FAIL  # still judged


def test_snapshots_public_and_unencrypted(sim: SimulatorClient, scan_sim: Scan) -> None:
    rds = sim.client("rds")
    db(sim, "plain", StorageEncrypted=False)
    db(sim, "sealed", StorageEncrypted=True)
    shared = rds.create_db_snapshot(DBInstanceIdentifier="plain", DBSnapshotIdentifier="plain-shared")[
        "DBSnapshot"
    ]
    rds.modify_db_snapshot_attribute(
        DBSnapshotIdentifier="plain-shared", AttributeName="restore", ValuesToAdd=["all"]
    )
    sealed = rds.create_db_snapshot(DBInstanceIdentifier="sealed", DBSnapshotIdentifier="sealed-private")[
        "DBSnapshot"
    ]
    rds.modify_db_snapshot_attribute(
        DBSnapshotIdentifier="sealed-private", AttributeName="restore", ValuesToAdd=[OTHER_ACCOUNT]
    )
    rds.create_db_cluster(
        DBClusterIdentifier="aurora",
        Engine="aurora-postgresql",
        MasterUsername="admin_user",
        MasterUserPassword="not-a-real-password-1",
        StorageEncrypted=True,
    )
    cluster_snap = rds.create_db_cluster_snapshot(
        DBClusterIdentifier="aurora", DBClusterSnapshotIdentifier="aurora-snap"
    )["DBClusterSnapshot"]["DBClusterSnapshotArn"]
    rds.modify_db_cluster_snapshot_attribute(
        DBClusterSnapshotIdentifier="aurora-snap", AttributeName="restore", ValuesToAdd=["all"]
    )
    outcome = scan_sim(check_ids=["rds_snapshot_not_public", "rds_snapshot_encrypted"])

    public = one(outcome, "rds_snapshot_not_public", shared["DBSnapshotArn"])
    assert (public.status, public.reason) == (
        Status.FAIL,
        "the DB snapshot is public: any AWS account can restore it",
    )
    assert one(outcome, "rds_snapshot_not_public", sealed["DBSnapshotArn"]).status == Status.PASS
    cluster_public = one(outcome, "rds_snapshot_not_public", cluster_snap)
    assert (cluster_public.status, cluster_public.reason) == (
        Status.FAIL,
        "the DB cluster snapshot is public: any AWS account can restore it",
    )
    unencrypted = one(outcome, "rds_snapshot_encrypted", shared["DBSnapshotArn"])
    assert (unencrypted.status, unencrypted.reason) == (Status.FAIL, "the DB snapshot is not encrypted")
    assert one(outcome, "rds_snapshot_encrypted", sealed["DBSnapshotArn"]).status == Status.PASS
    assert one(outcome, "rds_snapshot_encrypted", cluster_snap).status == Status.PASS


def test_rds_denied_reads_are_errors_naming_the_action(sim: SimulatorClient, scan_sim: Scan) -> None:
    rds = sim.client("rds")
    arn = db(sim, "solo")
    snapshot = rds.create_db_snapshot(DBInstanceIdentifier="solo", DBSnapshotIdentifier="solo-snap")[
        "DBSnapshot"
    ]

    outcome = scan_sim(
        check_ids=["rds_snapshot_not_public", "rds_snapshot_encrypted"],
        deny={"rds:DescribeDBSnapshotAttributes"},
    )
    denied = one(outcome, "rds_snapshot_not_public", snapshot["DBSnapshotArn"])
    assert denied.status == Status.ERROR
    assert denied.reason.startswith("rds:DescribeDBSnapshotAttributes: AccessDenied")
    assert one(outcome, "rds_snapshot_encrypted", snapshot["DBSnapshotArn"]).status == Status.FAIL

    outcome = scan_sim(
        check_ids=["rds_cluster_deletion_protection", "rds_instance_storage_encrypted"],
        deny={"rds:DescribeDBClusters"},
    )
    [clusters] = by_check(outcome, "rds_cluster_deletion_protection")
    assert (clusters.status, clusters.resource_id) == (
        Status.ERROR,
        f"arn:aws:rds:us-east-1:{ACCOUNT}:account",
    )
    assert clusters.reason.startswith("rds:DescribeDBClusters: AccessDenied")
    assert one(outcome, "rds_instance_storage_encrypted", arn).status == Status.FAIL  # instances still judged

    outcome = scan_sim(check_ids=["rds_instance_storage_encrypted"], deny={"rds:DescribeDBInstances"})
    [finding] = outcome.findings
    assert finding.status == Status.ERROR
    assert "AccessDenied" in finding.reason
    assert outcome.unavailable == {"rds@us-east-1": finding.reason}


def test_rds_without_resources_is_not_applicable(scan_sim: Scan) -> None:
    outcome = scan_sim(
        check_ids=[*INSTANCE_CHECKS, "rds_cluster_deletion_protection", "rds_snapshot_not_public"]
    )
    assert {f.status for f in outcome.findings} == {Status.NOT_APPLICABLE}


def test_clusters_encryption_tag_copying_and_administrator_names(
    sim: SimulatorClient, scan_sim: Scan
) -> None:
    rds = sim.client("rds")
    hardened = rds.create_db_cluster(
        DBClusterIdentifier="hardened",
        Engine="aurora-postgresql",
        MasterUsername="ledger_owner",
        MasterUserPassword="not-a-real-password-1",
        StorageEncrypted=True,
        CopyTagsToSnapshot=True,
    )["DBCluster"]["DBClusterArn"]
    default = rds.create_db_cluster(
        DBClusterIdentifier="default",
        Engine="aurora-postgresql",
        MasterUsername="postgres",
        MasterUserPassword="not-a-real-password-1",
    )["DBCluster"]["DBClusterArn"]
    checks = [
        "rds_cluster_storage_encrypted",
        "rds_cluster_copy_tags_to_snapshots",
        "rds_cluster_custom_admin_username",
    ]
    outcome = scan_sim(check_ids=checks)
    assert {c: one(outcome, c, hardened).status for c in checks} == dict.fromkeys(checks, Status.PASS)
    assert {c: one(outcome, c, default).reason for c in checks} == {
        "rds_cluster_storage_encrypted": "the cluster's storage is not encrypted",
        "rds_cluster_copy_tags_to_snapshots": "the cluster does not copy its tags to snapshots",
        "rds_cluster_custom_admin_username": "the cluster's administrator username is the default 'postgres'",
    }


def test_instances_with_the_default_administrator_name_fail(sim: SimulatorClient, scan_sim: Scan) -> None:
    rds = sim.client("rds")
    for name, user in (("custom", "orders_admin"), ("default", "admin")):
        rds.create_db_instance(
            DBInstanceIdentifier=name,
            DBInstanceClass="db.t3.micro",
            Engine="mysql",
            MasterUsername=user,
            MasterUserPassword="not-a-real-password-1",
            AllocatedStorage=20,
        )
    outcome = scan_sim(check_ids=["rds_instance_custom_admin_username"])
    assert one(outcome, "rds_instance_custom_admin_username", ":db:custom").status == Status.PASS
    failed = one(outcome, "rds_instance_custom_admin_username", ":db:default")
    assert (failed.status, failed.reason) == (
        Status.FAIL,
        "the instance's administrator username is the default 'admin'",
    )


def test_no_clusters_is_not_applicable_and_unreadable_clusters_an_error(scan_sim: Scan) -> None:
    [nothing] = scan_sim(check_ids=["rds_cluster_storage_encrypted"]).findings
    assert (nothing.status, nothing.reason) == (Status.NOT_APPLICABLE, "no DB clusters in us-east-1")
    [denied] = scan_sim(check_ids=["rds_cluster_storage_encrypted"], deny={"rds:DescribeDBClusters"}).findings
    assert denied.status == Status.ERROR and "rds:DescribeDBClusters: AccessDenied" in denied.reason
