"""FSBP CloudTrail.3 and CloudTrail.6, KMS.1, KMS.2 and KMS.5: on the simulated account, and by
hand-built inventories where moto cannot show a state (AWS managed keys, unread documents)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cloudwarden.posture.checks.kms import decrypt_on_every_key, public_statements, reaches_every_key
from cloudwarden.posture.collectors.iam import Authorization, IamData, Principal
from cloudwarden.posture.collectors.kms import Key, KeyDetails, KmsData
from cloudwarden.posture.inventory import GLOBAL, Inventory
from cloudwarden.posture.model import Status, Unknown
from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.posture_seed import seed_misconfigurations
from tests.posture.conftest import ACCOUNT, Scan, by_check
from tests.posture.test_data_checks import ALL_USERS, bucket, judge, one, policy
from tests.posture.test_logging_checks import trail

ENABLED, TRAIL_BUCKET = "cloudtrail_trail_enabled", "cloudtrail_bucket_not_public"
KEY_PUBLIC = "kms_key_not_public"
CUSTOMER, INLINE = "kms_customer_policy_no_decrypt_all_keys", "kms_inline_policy_no_decrypt_all_keys"
EAST, WEST = "us-east-1", "us-west-2"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"


def region_row(region: str) -> str:
    return f"arn:aws:cloudtrail:{region}:{ACCOUNT}:account"


def statuses(findings: list[Any]) -> dict[str, tuple[Status, str]]:
    return {f.resource_id: (f.status, f.reason) for f in findings}


# ---- CloudTrail.3: a trail is logging in every region -------------------------------------------


def test_a_single_region_trail_covers_its_region_only(sim: SimulatorClient, scan_sim: Scan) -> None:
    trail(sim, "east-only", multi_region=False)
    outcome = scan_sim(check_ids=[ENABLED], regions=[EAST, WEST])
    assert statuses(by_check(outcome, ENABLED)) == {
        region_row(EAST): (Status.PASS, "trail east-only is logging in us-east-1"),
        region_row(WEST): (Status.FAIL, "no CloudTrail trail applies to us-west-2"),
    }


def test_a_multi_region_trail_covers_every_region_once_its_home_is_read(
    sim: SimulatorClient, scan_sim: Scan
) -> None:
    trail(sim, "org-wide", region=WEST, multi_region=True)
    both = by_check(scan_sim(check_ids=[ENABLED], regions=[EAST, WEST]), ENABLED)
    assert {f.resource_id: f.status for f in both} == {
        region_row(EAST): Status.PASS,
        region_row(WEST): Status.PASS,
    }
    assert statuses(both)[region_row(EAST)][1] == "multi-region trail org-wide is logging in us-east-1"
    # Its home region not scanned: whether it logs is not known, so the region is not judged.
    [east] = by_check(scan_sim(check_ids=[ENABLED], regions=[EAST]), ENABLED)
    assert (east.status, east.reason) == (
        Status.ERROR,
        "trail org-wide is read in its home region us-west-2, which was not scanned",
    )


def test_a_stopped_trail_is_no_trail(sim: SimulatorClient, scan_sim: Scan) -> None:
    trail(sim, "paused", logging=False)
    [finding] = by_check(scan_sim(check_ids=[ENABLED]), ENABLED)
    assert (finding.status, finding.reason) == (
        Status.FAIL,
        "no trail is logging in us-east-1: paused stopped",
    )


def test_unreadable_trails_or_status_are_errors_naming_the_action(
    sim: SimulatorClient, scan_sim: Scan
) -> None:
    trail(sim, "main", multi_region=False)
    for action in ("cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus"):
        [finding] = by_check(scan_sim(check_ids=[ENABLED], deny={action}), ENABLED)
        assert finding.status == Status.ERROR and action in finding.reason, action


# ---- CloudTrail.6: the trail's bucket is not public ---------------------------------------------


def test_a_trail_bucket_public_by_acl_or_policy_fails_and_a_private_one_passes(
    sim: SimulatorClient, scan_sim: Scan
) -> None:
    trail(sim, "private")  # its bucket: private-trail-logs, nothing public
    trail(sim, "acl", multi_region=False)
    trail(sim, "policy", multi_region=False)
    s3 = sim.client("s3")
    s3.put_bucket_ownership_controls(
        Bucket="acl-trail-logs", OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
    )
    owner = s3.get_bucket_acl(Bucket="acl-trail-logs")["Owner"]["ID"]
    s3.put_bucket_acl(
        Bucket="acl-trail-logs", GrantRead=ALL_USERS, GrantWrite=ALL_USERS, GrantFullControl=f'id="{owner}"'
    )
    s3.put_bucket_policy(
        Bucket="policy-trail-logs",
        Policy=policy(
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::policy-trail-logs/*",
            }
        ),
    )
    outcome = scan_sim(check_ids=[TRAIL_BUCKET])
    assert statuses(by_check(outcome, TRAIL_BUCKET)) == {
        "arn:aws:s3:::acl-trail-logs": (
            Status.FAIL,
            "bucket acl-trail-logs (trail acl) is publicly accessible: its ACL grants READ to everyone "
            "(AllUsers); its ACL grants WRITE to everyone (AllUsers)",
        ),
        "arn:aws:s3:::policy-trail-logs": (
            Status.FAIL,
            "bucket policy-trail-logs (trail policy) is publicly accessible: its policy allows "
            "s3:GetObject to everyone",
        ),
        "arn:aws:s3:::private-trail-logs": (
            Status.PASS,
            "bucket private-trail-logs (trail private): neither its ACL nor its policy lets the public "
            "read or write it",
        ),
    }


def test_a_trail_bucket_whose_acl_is_unread_is_an_error_unless_block_public_access_decides(
    sim: SimulatorClient, scan_sim: Scan
) -> None:
    trail(sim, "open")
    trail(sim, "blocked")
    sim.client("s3").put_public_access_block(
        Bucket="blocked-trail-logs",
        PublicAccessBlockConfiguration=dict.fromkeys(
            ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
        ),
    )
    outcome = scan_sim(check_ids=[TRAIL_BUCKET], deny={"s3:GetBucketAcl"})
    unread = one(outcome, TRAIL_BUCKET, ":::open-trail-logs")
    assert unread.status == Status.ERROR and "s3:GetBucketAcl" in unread.reason
    assert one(outcome, TRAIL_BUCKET, ":::blocked-trail-logs").status == Status.PASS


def test_without_trails_the_trail_bucket_check_is_not_applicable(scan_sim: Scan) -> None:
    [finding] = by_check(scan_sim(check_ids=[TRAIL_BUCKET]), TRAIL_BUCKET)
    assert (finding.status, finding.reason) == (Status.NOT_APPLICABLE, "no CloudTrail trail delivers to S3")


# ---- KMS.5: key policies are not public ---------------------------------------------------------


def key_policy(*statements: dict[str, Any]) -> str:
    admin = {
        "Sid": "Admin",
        "Effect": "Allow",
        "Principal": {"AWS": ROOT},
        "Action": "kms:*",
        "Resource": "*",
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [admin, *statements]})


def test_a_key_policy_open_to_anyone_fails_unless_a_condition_narrows_it(
    sim: SimulatorClient, scan_sim: Scan
) -> None:
    kms = sim.client("kms")
    anyone = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["kms:Decrypt"], "Resource": "*"}
    made = {
        "default": kms.create_key(Description="default policy"),
        "open": kms.create_key(Policy=key_policy({**anyone, "Sid": "Partner"})),
        "own-account": kms.create_key(
            Policy=key_policy({**anyone, "Condition": {"StringEquals": {"kms:CallerAccount": ACCOUNT}}})
        ),
        "any-account": kms.create_key(
            Policy=key_policy({**anyone, "Condition": {"StringEquals": {"kms:CallerAccount": "*"}}})
        ),
    }
    arns = {name: key["KeyMetadata"]["Arn"] for name, key in made.items()}
    found = statuses(by_check(scan_sim(check_ids=[KEY_PUBLIC]), KEY_PUBLIC))
    assert found == {
        arns["default"]: (
            Status.PASS,
            "the key policy lets no one outside the principals it names use the key",
        ),
        arns["open"]: (
            Status.FAIL,
            "the key policy is public: statement Partner allows kms:Decrypt to anyone",
        ),
        arns["own-account"]: found[arns["default"]],
        arns["any-account"]: (
            Status.FAIL,
            "the key policy is public: statement #2 allows kms:Decrypt to anyone",
        ),
    }


def test_an_unreadable_key_policy_is_an_error_naming_the_action(sim: SimulatorClient, scan_sim: Scan) -> None:
    sim.client("kms").create_key(Description="guarded")
    [finding] = by_check(scan_sim(check_ids=[KEY_PUBLIC], deny={"kms:GetKeyPolicy"}), KEY_PUBLIC)
    assert finding.status == Status.ERROR and "kms:GetKeyPolicy" in finding.reason


def test_kms_reads_each_customer_key_policy_once(sim: SimulatorClient, scan_sim: Scan) -> None:
    kms = sim.client("kms")
    for name in ("first", "second"):
        kms.create_key(Description=name)
    outcome = scan_sim(check_ids=[KEY_PUBLIC, "kms_cmk_rotation_enabled"])
    # ListKeys, then per key: DescribeKey, GetKeyRotationStatus, GetKeyPolicy
    assert outcome.api_calls == 1 + 2 * 3


def hand_key(name: str, manager: str, policy_doc: dict[str, Any] | Unknown | None) -> Key:
    details = KeyDetails(
        manager=manager, state="Enabled", spec="SYMMETRIC_DEFAULT", origin="AWS_KMS", deletion_date=None
    )
    arn = f"arn:aws:kms:{EAST}:{ACCOUNT}:key/{name}"
    return Key(arn=arn, key_id=name, details=details, rotation_enabled=True, policy=policy_doc)


def test_aws_managed_keys_are_not_judged_and_an_unread_policy_is_an_error_hand_built() -> None:
    # moto cannot make an AWS managed key: their policies are AWS's, not the account's to fix.
    inventory = Inventory(account_id=ACCOUNT, regions=(EAST,))
    inventory.put("kms", EAST, KmsData(keys=(hand_key("aws-s3", "AWS", None),)))
    [alone] = judge(inventory, KEY_PUBLIC)
    assert (alone.status, alone.reason) == (Status.NOT_APPLICABLE, "no customer managed keys in us-east-1")
    inventory.put(
        "kms",
        EAST,
        KmsData(keys=(hand_key("mine", "CUSTOMER", Unknown("the key policy is not valid JSON")),)),
    )
    [unread] = judge(inventory, KEY_PUBLIC)
    assert (unread.status, unread.reason) == (Status.ERROR, "the key policy is not valid JSON")


def test_public_statements_reading() -> None:
    def doc(**statement: Any) -> dict[str, Any]:
        return {"Statement": [{"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*", **statement}]}

    assert public_statements(doc(Principal="*"))
    assert public_statements(doc(NotPrincipal={"AWS": ROOT}))
    assert public_statements(doc(Principal={"AWS": "arn:aws:iam::*:root"}))
    assert not public_statements(doc(Principal={"AWS": ROOT}))
    assert not public_statements(doc(Principal={"Service": "logs.amazonaws.com"}))
    org = {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}
    assert not public_statements(doc(Principal="*", Condition=org))
    assert public_statements(doc(Principal="*", Condition={"Bool": {"aws:SecureTransport": "true"}}))


# ---- KMS.1 and KMS.2: decryption on every key ---------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "every"),
    [
        ("*", True),
        ("arn:aws:kms:*:*:key/*", True),
        (f"arn:aws:kms:us-east-1:{ACCOUNT}:key/*", True),
        ("arn:aws:kms:*", True),
        (f"arn:aws:kms:us-east-1:{ACCOUNT}:key/${{aws:PrincipalTag/key}}", True),
        (f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab", False),
        (f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234*", False),
        (f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/*", False),
        ("arn:aws:s3:::*", False),
    ],
)
def test_which_resources_reach_every_key(resource: str, every: bool) -> None:
    assert reaches_every_key(resource) is every


def test_decryption_on_every_key_reading() -> None:
    def doc(*statements: dict[str, Any]) -> dict[str, Any]:
        return {"Version": "2012-10-17", "Statement": list(statements)}

    allow_all = {"Effect": "Allow", "Action": "kms:*", "Resource": "*"}
    assert decrypt_on_every_key(doc(allow_all)) == ["kms:Decrypt", "kms:ReEncryptFrom"]
    assert decrypt_on_every_key(doc({**allow_all, "Action": "kms:ReEncrypt*"})) == ["kms:ReEncryptFrom"]
    assert decrypt_on_every_key(doc({**allow_all, "Action": "kms:Encrypt"})) == []
    # Conditions are not evaluated (as AWS Config's rule); a Deny without one takes it back.
    assert decrypt_on_every_key(doc({**allow_all, "Condition": {"StringEquals": {"kms:ViaService": "s3"}}}))
    deny = {"Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*"}
    assert decrypt_on_every_key(doc(allow_all, deny)) == ["kms:ReEncryptFrom"]
    assert decrypt_on_every_key(doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}))
    not_one = {"Effect": "Allow", "Action": "kms:Decrypt", "NotResource": "arn:aws:kms:us-east-1:1:key/x"}
    assert decrypt_on_every_key(doc(not_one)) == ["kms:Decrypt"]


def decrypt(resource: str) -> str:
    return policy({"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": resource})


def test_customer_managed_policies_fail_decrypt_on_all_keys(sim: SimulatorClient, scan_sim: Scan) -> None:
    iam = sim.client("iam")
    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    broad = iam.create_policy(PolicyName="decrypt-any", PolicyDocument=decrypt("*"))["Policy"]["Arn"]
    narrow = iam.create_policy(PolicyName="decrypt-one", PolicyDocument=decrypt(key))["Policy"]["Arn"]
    found = statuses(by_check(scan_sim(check_ids=[CUSTOMER]), CUSTOMER))
    assert found == {
        broad: (Status.FAIL, "policy decrypt-any allows kms:Decrypt on all KMS keys"),
        narrow: (Status.PASS, "policy decrypt-one allows no decryption action on all KMS keys"),
    }
    [denied] = by_check(scan_sim(check_ids=[CUSTOMER], deny={"iam:GetAccountAuthorizationDetails"}), CUSTOMER)
    assert denied.status == Status.ERROR and "iam:GetAccountAuthorizationDetails" in denied.reason


def test_inline_policies_of_users_groups_and_roles(sim: SimulatorClient, scan_sim: Scan) -> None:
    iam = sim.client("iam")
    assert [f.status for f in by_check(scan_sim(check_ids=[INLINE]), INLINE)] == [Status.NOT_APPLICABLE]
    trust = policy(
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    )
    role = iam.create_role(RoleName="reporting", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.put_role_policy(RoleName="reporting", PolicyName="exports", PolicyDocument=decrypt("*"))
    iam.put_role_policy(
        RoleName="reporting", PolicyName="logs", PolicyDocument=decrypt("arn:aws:kms:*:*:key/*")
    )
    user = iam.create_user(UserName="analyst")["User"]["Arn"]
    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    iam.put_user_policy(UserName="analyst", PolicyName="one-key", PolicyDocument=decrypt(key))
    group = iam.create_group(GroupName="auditors")["Group"]["Arn"]
    iam.put_group_policy(
        GroupName="auditors",
        PolicyName="reencrypt",
        PolicyDocument=policy({"Effect": "Allow", "Action": "kms:ReEncrypt*", "Resource": "*"}),
    )
    iam.create_user(UserName="no-inline")
    found = statuses(by_check(scan_sim(check_ids=[INLINE]), INLINE))
    assert found == {
        role: (
            Status.FAIL,
            "role reporting: inline policy exports allows kms:Decrypt; inline policy logs allows "
            "kms:Decrypt on all KMS keys",
        ),
        user: (Status.PASS, "user analyst: no inline policy allows decryption on all KMS keys"),
        group: (
            Status.FAIL,
            "group auditors: inline policy reencrypt allows kms:ReEncryptFrom on all KMS keys",
        ),
    }


def test_an_inline_policy_document_not_read_is_an_error_hand_built() -> None:
    role = Principal(
        kind="role",
        name="app",
        arn=f"arn:aws:iam::{ACCOUNT}:role/app",
        inline_policies=("broken", "fine"),
        inline_documents=(("broken", Unknown("policy broken: its document is not valid JSON")), ("fine", {})),
    )
    inventory = Inventory(account_id=ACCOUNT, regions=(EAST,))
    data = IamData(
        credential_report=[],
        password_policy=None,
        summary={},
        authorization=Authorization((), (), (role,), ()),
    )
    inventory.put("iam", GLOBAL, data)
    [finding] = judge(inventory, INLINE)
    assert (finding.status, finding.reason) == (Status.ERROR, "policy broken: its document is not valid JSON")


# ---- S3.19: access points block public access ---------------------------------------------------

POINTS = "s3_access_point_public_access_block"
BLOCKS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def access_point(sim: SimulatorClient, name: str, bucket_name: str, **block: bool) -> str:
    s3control = sim.client("s3control")
    extra = {"PublicAccessBlockConfiguration": {**dict.fromkeys(BLOCKS, True), **block}} if block else {}
    return str(
        s3control.create_access_point(AccountId=ACCOUNT, Name=name, Bucket=bucket_name, **extra)[
            "AccessPointArn"
        ]
    )


def test_access_points_with_a_block_off_fail(sim: SimulatorClient, scan_sim: Scan) -> None:
    bucket(sim, "shared-data")
    default = access_point(sim, "analytics", "shared-data")  # AWS's default: all four on
    open_policy = access_point(
        sim, "partner", "shared-data", BlockPublicPolicy=False, RestrictPublicBuckets=False
    )
    outcome = scan_sim(check_ids=[POINTS])
    assert statuses(by_check(outcome, POINTS)) == {
        default: (Status.PASS, "access point analytics (bucket shared-data) blocks public access"),
        open_policy: (
            Status.FAIL,
            "access point partner (bucket shared-data) has BlockPublicPolicy, RestrictPublicBuckets off",
        ),
    }


def test_access_points_unread_are_errors_and_none_is_not_applicable(
    sim: SimulatorClient, scan_sim: Scan
) -> None:
    [none] = by_check(scan_sim(check_ids=[POINTS]), POINTS)
    assert (none.status, none.reason) == (Status.NOT_APPLICABLE, "no S3 access points in us-east-1")
    bucket(sim, "shared-data")
    access_point(sim, "analytics", "shared-data")
    for action in ("s3:ListAccessPoints", "s3:GetAccessPoint"):
        [finding] = by_check(scan_sim(check_ids=[POINTS], deny={action}), POINTS)
        assert finding.status == Status.ERROR and action in finding.reason, action


def test_access_points_are_reported_in_their_own_region_only(sim: SimulatorClient, scan_sim: Scan) -> None:
    bucket(sim, "shared-data")
    arn = access_point(sim, "analytics", "shared-data")
    outcome = scan_sim(check_ids=[POINTS], regions=[EAST, WEST])
    assert statuses(by_check(outcome, POINTS)) == {
        arn: (Status.PASS, "access point analytics (bucket shared-data) blocks public access"),
        f"arn:aws:s3_access_points:{WEST}:{ACCOUNT}:account": (
            Status.NOT_APPLICABLE,
            "no S3 access points in us-west-2",
        ),
    }


# ---- the seeded account -------------------------------------------------------------------------


def test_the_seeded_account_fails_and_passes_as_its_report_says(sim: SimulatorClient, scan_sim: Scan) -> None:
    report = seed_misconfigurations(sim)
    outcome = scan_sim(check_ids=[ENABLED, TRAIL_BUCKET, KEY_PUBLIC, CUSTOMER, INLINE, POINTS])

    [region] = by_check(outcome, ENABLED)
    assert (region.status, region.reason) == (
        Status.PASS,
        "trail cw-demo-trail-single-region is logging in us-east-1",
    )
    assert one(outcome, TRAIL_BUCKET, ":::cw-demo-cloudtrail-logs-no-access-logging").status == Status.PASS
    public = one(outcome, TRAIL_BUCKET, ":::cw-demo-poc-trail-logs-public")
    assert (public.status, public.reason) == (
        Status.FAIL,
        "bucket cw-demo-poc-trail-logs-public (trail cw-demo-trail-poc-stopped) is publicly accessible: "
        "its ACL grants READ to everyone (AllUsers)",
    )

    keys = {f.resource_id.rsplit("/", 1)[-1]: f.status for f in by_check(outcome, KEY_PUBLIC)}
    failing = {
        e.resources[0] for e in report.expected_failures if e.control.startswith("KMS key policy allows")
    }
    assert {k for k, s in keys.items() if s == Status.FAIL} == failing and len(failing) == 1
    assert Status.PASS in keys.values()

    assert one(outcome, CUSTOMER, ":policy/cw-demo-decrypt-any-key").status == Status.FAIL
    assert one(outcome, CUSTOMER, ":policy/cw-demo-app-data-decrypt").status == Status.PASS
    assert one(outcome, CUSTOMER, ":policy/cw-demo-full-admin-star-star").status == Status.FAIL
    assert one(outcome, INLINE, ":role/cw-demo-reporting-role").status == Status.FAIL
    # The seeded user's inline policy allows s3:* only.
    assert one(outcome, INLINE, ":user/cw-demo-inline-policy").status == Status.PASS

    assert one(outcome, POINTS, ":accesspoint/cw-demo-assets-cdn-partner").status == Status.FAIL
    assert one(outcome, POINTS, ":accesspoint/cw-demo-records-analytics").status == Status.PASS
