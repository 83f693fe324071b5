from __future__ import annotations

import pytest

from cloudwarden.diagnosis.narrate import violations
from tests.diagnosis.narrate.conftest import ACCOUNT, ACTOR, SERVICE, SG_API, SG_WEB_DB

FAITHFUL = (
    f"The storefront-5xx-high alarm fired; the most likely cause is a network block on security group "
    f"sg-81f09b629170145fb ({SG_WEB_DB}), whose PostgreSQL ingress rule {ACTOR} revoked at 13:00 UTC. "
    "After that storefront-api timed out reaching orders-db.c9akciq32.us-east-1.rds.amazonaws.com. "
    "A bad deploy of storefront-api is less likely. One log group could not be read (access denied). "
    "Restore the revoked security group rule first."
)


def test_faithful_narration_has_no_violation(diagnosis):
    assert violations(FAITHFUL, diagnosis) == []


@pytest.mark.parametrize(
    ("invented", "expected"),
    [
        (
            f"arn:aws:rds:us-east-1:{ACCOUNT}:db:payments-db",
            f"names resource arn:aws:rds:us-east-1:{ACCOUNT}:db:payments-db not in the evidence",
        ),
        ("sg-0deadbeef1234567a", "names resource sg-0deadbeef1234567a not in the evidence"),
        ("the storefront-web service", "names resource storefront-web not in the evidence"),
        ("service checkout-api", "names resource checkout-api not in the evidence"),
        ("the orders-db-proxy", "names resource orders-db-proxy not in the evidence"),
        ("orders-db-replica-2", "names resource orders-db-replica-2 not in the evidence"),
        ("10.20.9.9", "names IP address 10.20.9.9 not in the evidence"),
        ("bob@example.com", "names email address bob@example.com not in the evidence"),
        ("ARN_17", "names placeholder ARN_17 that stands for nothing in the evidence"),
    ],
)
def test_invented_identifiers_are_reported(diagnosis, invented, expected):
    text = FAITHFUL + f" Also check {invented}."
    assert violations(text, diagnosis) == [expected]


def test_plain_english_compounds_are_not_resources(diagnosis):
    text = FAITHFUL + " This is a read-only, follow-up check of the out-of-memory and long-running paths."
    assert violations(text, diagnosis) == []


@pytest.mark.parametrize(
    ("sentence", "fault"),
    [
        ("A memory leak in the tasks is also possible.", "memory_leak"),
        ("The database hit connection exhaustion.", "db_connection_exhaustion"),
        ("It is not throttling.", "throttling"),
        ("Maybe cpu_saturation.", "cpu_saturation"),
        ("The volume ran out of disk.", "storage_full"),
        # Every fault's claims come from its spec, so none is missing from the validator.
        ("The worker fell behind on a queue backlog.", "queue_backlog"),
        ("It began with a failed secret rotation.", "secret_rotation_failure"),
        ("A configuration change preceded it.", "config_change"),
        ("A slow dependency held every request.", "dependency_latency"),
        ("The service was at its maximum capacity.", "capacity_limit"),
        ("The host's status checks failed.", "instance_failure"),
    ],
)
def test_faults_no_hypothesis_has_are_reported_even_when_negated(diagnosis, sentence, fault):
    found = violations(f"{FAITHFUL} {sentence}", diagnosis)
    assert len(found) == 1 and found[0].startswith(f"names fault {fault} ")


def test_access_denied_describing_a_gap_is_not_a_cause(diagnosis):
    gap = "Evidence from the orders-worker logs is unavailable: access denied."
    assert violations(f"{FAITHFUL} {gap}", diagnosis) == []
    claim = "The worker failed with access denied."
    assert violations(f"{FAITHFUL} {claim}", diagnosis)[0].startswith("names fault permission_denied")


def test_quoting_the_evidence_verbatim_is_not_naming_a_cause(diagnosis):
    quoted = 'The logs say "timeout expired".'
    assert violations(f"{FAITHFUL} {quoted}", diagnosis) == []


def test_leading_with_the_runner_up_fault_contradicts_the_top_hypothesis(diagnosis):
    text = "The root cause is a bad deploy of storefront-api; a network block on sg-81f09b629170145fb is less likely."
    assert violations(text, diagnosis) == [
        "contradicts the top hypothesis: its claim names bad_deploy first, not network_block"
    ]


def test_blaming_another_ranked_resource_first_contradicts_the_top_hypothesis(diagnosis):
    text = f"The most likely cause is the network block on {SG_API}, not {SG_WEB_DB}."
    assert violations(text, diagnosis) == [
        f"contradicts the top hypothesis: its claim names {SG_API} first, not {SG_WEB_DB}"
    ]


def test_naming_the_symptom_before_the_cause_is_not_a_contradiction(diagnosis):
    text = (
        f"The 5xx alarm on {SERVICE} fired because of a network block on security group sg-81f09b629170145fb."
    )
    assert violations(text, diagnosis) == []
