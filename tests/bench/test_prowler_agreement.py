"""The comparison's matching rules, without Prowler or a simulator.

(bench/posture_vs_prowler; runs in the suite)
"""

from __future__ import annotations

from bench.posture_vs_prowler.agreement import (
    ACCOUNT,
    KnownDifference,
    compare,
    load_known_differences,
    resource_key,
)
from bench.posture_vs_prowler.prowler_runner import ProwlerResult

ACCT = "123456789012"


def ours(check: str, resource: str, status: str, reason: str = "why") -> dict[str, str]:
    return {"check_id": check, "resource_id": resource, "status": status, "reason": reason}


def theirs(check: str, uid: str, status: str, text: str = "why") -> ProwlerResult:
    return ProwlerResult(check, uid, uid if uid.startswith("arn:") else "", "us-east-1", status, text)


def test_resource_keys_drop_the_arn_and_its_type() -> None:
    assert resource_key(f"arn:aws:ec2:us-east-1:{ACCT}:security-group/sg-1") == "sg-1"
    assert resource_key("arn:aws:s3:::bucket-a") == "bucket-a"
    assert resource_key(f"arn:aws:iam::{ACCT}:user/alice") == "alice"
    assert resource_key(f"arn:aws:rds:us-east-1:{ACCT}:db:db-1") == "db-1"
    assert resource_key("plain-id") == "plain-id"


def test_agree_disagree_and_one_sided_rows() -> None:
    mapping = {"s3_x": "s3_y"}
    mine = [
        ours("s3_x", "arn:aws:s3:::a", "PASS"),
        ours("s3_x", "arn:aws:s3:::b", "FAIL"),
        ours("s3_x", "arn:aws:s3:::c", "ERROR"),
    ]
    other = [
        theirs("s3_y", "arn:aws:s3:::a", "PASS"),
        theirs("s3_y", "arn:aws:s3:::b", "PASS"),
        theirs("s3_y", "arn:aws:s3:::c", "FAIL"),
        theirs("s3_y", "arn:aws:s3:::d", "PASS"),
    ]
    result = compare(mine, other, mapping, known=[])
    kinds = {r.resource: r.kind for r in result.rows}
    assert kinds == {"a": "agree", "b": "disagree", "c": "only_prowler", "d": "only_prowler"}
    assert result.rate == 0.5
    assert all(r.category == "unexplained" for r in result.explained_rows())


def test_account_level_checks_fold_prowler_placeholders_into_the_account() -> None:
    mapping = {"config_x": "config_y"}
    mine = [
        ours("config_x", f"arn:aws:config:us-east-1:{ACCT}:account", "FAIL"),
        ours("config_x", f"arn:aws:iam::{ACCT}:root", "PASS"),
    ]
    other = [theirs("config_y", f"arn:aws:config:us-east-1:{ACCT}:recorder", "FAIL")]
    result = compare(mine, other, mapping, known=[])
    assert [(r.resource, r.kind, r.cloudwarden.status if r.cloudwarden else None) for r in result.rows] == [
        (ACCOUNT, "agree", "FAIL")
    ]


def test_per_resource_checks_keep_prowler_root_rows_apart() -> None:
    mapping = {"iam_x": "iam_y"}
    mine = [ours("iam_x", f"arn:aws:iam::{ACCT}:user/alice", "PASS")]
    other = [
        theirs("iam_y", f"arn:aws:iam::{ACCT}:user/alice", "PASS"),
        theirs("iam_y", f"arn:aws:iam::{ACCT}:root", "FAIL"),
    ]
    result = compare(mine, other, mapping, known=[])
    assert {r.resource: r.kind for r in result.rows} == {"alice": "agree", "root": "only_prowler"}


def test_not_applicable_with_nothing_on_the_other_side_is_no_difference() -> None:
    result = compare([ours("efs_x", f"arn:aws:efs:us-east-1:{ACCT}:account", "NOT_APPLICABLE")], [],
                     {"efs_x": "efs_y"}, known=[])  # fmt: skip
    assert result.rows == []
    assert result.mapped_without_results == {"efs_x": {"cloudwarden": {"NOT_APPLICABLE": 1}, "prowler": {}}}


def test_aliases_and_known_differences_explain_rows_and_flag_stale_entries() -> None:
    mapping = {"ct_x": "ct_y"}
    mine = [ours("ct_x", "arn:aws:s3:::trail-bucket", "FAIL")]
    other = [theirs("ct_y", f"arn:aws:cloudtrail:us-east-1:{ACCT}:trail/main", "PASS")]
    known = [
        KnownDifference(0, "ct_x", "disagree", "reading", "because", cloudwarden="FAIL", prowler="PASS"),
        KnownDifference(1, "ct_x", "only_prowler", "simulator", "never used"),
    ]
    result = compare(mine, other, mapping, prowler_aliases={"ct_y": {"main": "trail-bucket"}}, known=known)
    (row,) = result.rows
    assert (row.resource, row.kind, row.category, row.reason) == (
        "trail-bucket",
        "disagree",
        "reading",
        "because",
    )
    assert [e.index for e in result.stale_entries] == [1]


def test_the_shipped_table_loads() -> None:
    entries = load_known_differences()
    assert entries
    assert {e.category for e in entries} <= {"our_bug", "simulator", "reading"}
