"""The scanner: checks over an inventory collected once, ERROR (never PASS) for what was not read."""

from __future__ import annotations

import pytest

from cloudwarden.posture.checks import all_checks
from cloudwarden.posture.model import Status
from tests.posture.conftest import Scan, by_check


def test_every_check_has_valid_metadata_and_a_collector() -> None:
    checks = all_checks()
    assert checks, "no posture checks were found"
    for check_id, check in checks.items():
        assert check.metadata.id == check_id
        assert check.metadata.remediation.cli


def test_root_without_access_keys_passes(scan_sim: Scan) -> None:
    outcome = scan_sim(check_ids=["iam_root_access_key_absent"])
    [finding] = by_check(outcome, "iam_root_access_key_absent")
    assert finding.status == Status.PASS
    assert finding.resource_id.endswith(":root")


def test_a_denied_read_is_an_error_naming_the_action_never_a_pass(scan_sim: Scan) -> None:
    outcome = scan_sim(check_ids=["iam_root_access_key_absent"], deny={"iam:GetCredentialReport"})
    [finding] = by_check(outcome, "iam_root_access_key_absent")
    assert finding.status == Status.ERROR
    assert "iam:GetCredentialReport: AccessDenied" in finding.reason


def test_an_unknown_check_is_refused_by_name(scan_sim: Scan) -> None:
    with pytest.raises(ValueError, match="no such posture check: nope_nothing"):
        scan_sim(check_ids=["nope_nothing"])
