"""EFS encryption at rest (CIS 3.0 2.4.1) on the simulated account."""

from __future__ import annotations

from cloudwarden.posture.model import Status
from cloudwarden.simulator.client import SimulatorClient
from tests.posture.conftest import Scan, by_check

CHECK = "efs_encryption_at_rest_enabled"


def test_an_unencrypted_file_system_fails_and_an_encrypted_one_passes(
    sim: SimulatorClient, scan_sim: Scan
) -> None:
    efs = sim.client("efs")
    plain = efs.create_file_system(CreationToken="plain", Encrypted=False)["FileSystemId"]
    sealed = efs.create_file_system(CreationToken="sealed", Encrypted=True)["FileSystemId"]
    results = {f.resource_id.rsplit("/", 1)[-1]: f for f in by_check(scan_sim(check_ids=[CHECK]), CHECK)}
    assert results[plain].status == Status.FAIL and "not encrypted" in results[plain].reason
    assert results[sealed].status == Status.PASS


def test_no_file_systems_is_not_applicable_and_a_denied_read_is_an_error(scan_sim: Scan) -> None:
    [empty] = by_check(scan_sim(check_ids=[CHECK]), CHECK)
    assert empty.status == Status.NOT_APPLICABLE
    [denied] = by_check(scan_sim(check_ids=[CHECK], deny={"elasticfilesystem:DescribeFileSystems"}), CHECK)
    assert (
        denied.status == Status.ERROR
        and "elasticfilesystem:DescribeFileSystems: AccessDenied" in denied.reason
    )
