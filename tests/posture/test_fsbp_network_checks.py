"""FSBP EC2.13 and EC2.14: SSH and RDP open to the internet, each its own control."""

from __future__ import annotations

from cloudwarden.posture.model import Status
from cloudwarden.simulator.client import SimulatorClient
from tests.posture.conftest import Scan, by_check
from tests.posture.test_compute_checks import group, one, tcp

SSH, RDP = "ec2_security_group_no_ssh_from_internet", "ec2_security_group_no_rdp_from_internet"


def test_ssh_and_rdp_open_to_the_internet_over_ipv4_or_ipv6(sim: SimulatorClient, scan_sim: Scan) -> None:
    ssh = group(sim, "ssh-world", tcp(22))
    rdp6 = group(sim, "rdp-world-v6", tcp(3389, v4=None, v6="::/0"))
    everything = group(sim, "all-traffic", {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]})
    ranged = group(sim, "range-world", tcp(20, 25))
    udp = group(
        sim,
        "udp-22",
        {"IpProtocol": "udp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
    )
    office = group(sim, "ssh-office", tcp(22, v4="203.0.113.0/24"), tcp(3389, v4="203.0.113.0/24"))
    outcome = scan_sim(check_ids=[SSH, RDP])

    assert len(by_check(outcome, SSH)) == len(sim.client("ec2").describe_security_groups()["SecurityGroups"])
    assert one(outcome, SSH, ssh).reason == (
        "ssh-world admits the internet to SSH (TCP 22): tcp 22 from 0.0.0.0/0"
    )
    assert one(outcome, RDP, ssh).status == Status.PASS
    assert (
        one(outcome, RDP, rdp6).reason
        == "rdp-world-v6 admits the internet to RDP (TCP 3389): tcp 3389 from ::/0"
    )
    assert one(outcome, SSH, rdp6).status == Status.PASS
    assert {one(outcome, c, everything).status for c in (SSH, RDP)} == {Status.FAIL}
    assert one(outcome, SSH, ranged).status == Status.FAIL  # 20-25 covers 22
    assert one(outcome, RDP, ranged).status == Status.PASS
    for passing in (udp, office):  # SSH and RDP are TCP; a known range is not the internet
        assert (one(outcome, SSH, passing).status, one(outcome, RDP, passing).status) == (
            Status.PASS,
            Status.PASS,
        )


def test_unreadable_security_groups_are_errors_naming_the_action(scan_sim: Scan) -> None:
    outcome = scan_sim(check_ids=[SSH, RDP], deny={"ec2:DescribeSecurityGroups"})
    results = by_check(outcome, SSH) + by_check(outcome, RDP)
    assert results and {r.status for r in results} == {Status.ERROR}
    assert all("ec2:DescribeSecurityGroups" in r.reason for r in results)
