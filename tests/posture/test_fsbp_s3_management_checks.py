"""FSBP S3.10, S3.11, S3.12, S3.13 and S3.15: how each bucket is managed, on the simulated account."""

from __future__ import annotations

from cloudwarden.posture.model import Status
from cloudwarden.simulator.client import SimulatorClient
from tests.posture.conftest import Scan, by_check
from tests.posture.test_data_checks import bucket, one

ACLS, LIFECYCLE, VERSIONED, EVENTS, LOCK = (
    "s3_bucket_acls_disabled",
    "s3_bucket_lifecycle_configured",
    "s3_bucket_versioned_lifecycle_configured",
    "s3_bucket_event_notifications_enabled",
    "s3_bucket_object_lock_enabled",
)
CHECKS = [ACLS, LIFECYCLE, VERSIONED, EVENTS, LOCK]


def test_a_managed_bucket_passes_and_a_bare_one_fails(sim: SimulatorClient, scan_sim: Scan) -> None:
    s3 = sim.client("s3")
    s3.create_bucket(Bucket="ledger-archive", ObjectLockEnabledForBucket=True)  # turns versioning on
    s3.put_bucket_ownership_controls(
        Bucket="ledger-archive", OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )
    s3.put_bucket_lifecycle_configuration(
        Bucket="ledger-archive",
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "old",
                    "Status": "Enabled",
                    "Filter": {},
                    "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
                },
                {"ID": "off", "Status": "Disabled", "Filter": {}, "Expiration": {"Days": 1}},
            ]
        },
    )
    topic = sim.client("sns").create_topic(Name="ledger-events")["TopicArn"]
    s3.put_bucket_notification_configuration(
        Bucket="ledger-archive",
        NotificationConfiguration={
            "TopicConfigurations": [{"TopicArn": topic, "Events": ["s3:ObjectRemoved:*"]}]
        },
    )
    bucket(sim, "bare-uploads")
    s3.put_bucket_ownership_controls(
        Bucket="bare-uploads", OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
    )
    bucket(sim, "versioned-no-rules")
    s3.put_bucket_versioning(Bucket="versioned-no-rules", VersioningConfiguration={"Status": "Enabled"})
    outcome = scan_sim(check_ids=CHECKS)

    assert {c: one(outcome, c, "ledger-archive").reason for c in CHECKS} == {
        ACLS: "ACLs are disabled: object ownership is BucketOwnerEnforced",
        LIFECYCLE: "1 enabled lifecycle rule(s)",
        VERSIONED: "versioning is on and 1 enabled lifecycle rule(s) manage the versions",
        EVENTS: "object events are sent to SNS",
        LOCK: "Object Lock is enabled",
    }
    assert {c: one(outcome, c, "bare-uploads").reason for c in CHECKS if c != VERSIONED} == {
        ACLS: "ACLs still grant access (object ownership: ObjectWriter)",
        LIFECYCLE: "no enabled lifecycle rule",
        EVENTS: "no event notification is configured",
        LOCK: "Object Lock is not enabled",
    }
    assert not [f for f in by_check(outcome, VERSIONED) if f.resource_id.endswith("bare-uploads")]
    assert one(outcome, VERSIONED, "versioned-no-rules").reason == (
        "versioning is on and no enabled lifecycle rule: noncurrent versions are kept forever"
    )


def test_without_versioned_buckets_the_versioned_check_is_not_applicable(
    sim: SimulatorClient, scan_sim: Scan
) -> None:
    bucket(sim, "plain")
    [result] = by_check(scan_sim(check_ids=[VERSIONED]), VERSIONED)
    assert (result.status, result.reason) == (
        Status.NOT_APPLICABLE,
        "the account has no versioning-enabled S3 buckets",
    )


def test_each_unreadable_setting_is_an_error_of_its_own_check_only(
    sim: SimulatorClient, scan_sim: Scan
) -> None:
    bucket(sim, "guarded")
    reads = {
        ACLS: "s3:GetBucketOwnershipControls",
        LIFECYCLE: "s3:GetLifecycleConfiguration",
        EVENTS: "s3:GetBucketNotification",
        LOCK: "s3:GetBucketObjectLockConfiguration",
    }
    for check, action in reads.items():
        outcome = scan_sim(check_ids=CHECKS, deny={action})
        assert one(outcome, check, "guarded").status == Status.ERROR, check
        assert action in one(outcome, check, "guarded").reason
        others = [one(outcome, c, "guarded").status for c in reads if c != check]
        assert Status.ERROR not in others, (check, others)
