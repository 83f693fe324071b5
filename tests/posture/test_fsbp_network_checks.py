"""FSBP EC2.4, EC2.12, EC2.13, EC2.14, EC2.15, EC2.16, EC2.17 and EC2.24 on the simulated account
(and on hand-built inventories where moto cannot backdate a stop or run a paravirtual instance)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cloudwarden.posture.collectors.ec2 import Instance
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import Status
from cloudwarden.simulator.client import SimulatorClient
from tests.posture.conftest import ACCOUNT, Scan, by_check
from tests.posture.test_compute_checks import _ec2, group, instance, judge, one, tcp

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


# ---- EC2.12, EC2.15, EC2.16: Elastic IPs, subnets, network ACLs ------------------------------

EIP, SUBNET, NACL = "ec2_elastic_ip_in_use", "ec2_subnet_no_auto_public_ip", "ec2_network_acl_in_use"


def test_elastic_ips_subnets_and_network_acls(sim: SimulatorClient, scan_sim: Scan) -> None:
    ec2 = sim.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    private = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    public = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.2.0/24")["Subnet"]["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=public, MapPublicIpOnLaunch={"Value": True})
    spare = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    used = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    association = next(
        a["NetworkAclAssociationId"]
        for acl in ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["NetworkAcls"]
        for a in acl["Associations"]
        if a["SubnetId"] == private
    )
    ec2.replace_network_acl_association(AssociationId=association, NetworkAclId=used)
    idle = ec2.allocate_address(Domain="vpc")
    attached = ec2.allocate_address(Domain="vpc")
    running = instance(sim, SubnetId=private)
    ec2.associate_address(AllocationId=attached["AllocationId"], InstanceId=running)
    outcome = scan_sim(check_ids=[EIP, SUBNET, NACL])

    assert one(outcome, SUBNET, public).reason.startswith(f"{public} (us-east-1")
    assert one(outcome, SUBNET, public).status == Status.FAIL
    assert one(outcome, SUBNET, private).status == Status.PASS
    assert one(outcome, NACL, spare).reason == f"{spare} is associated with no subnet"
    assert one(outcome, NACL, used).reason == f"{used} is associated with {private}"
    defaults = [a["NetworkAclId"] for a in ec2.describe_network_acls()["NetworkAcls"] if a["IsDefault"]]
    assert not [f for f in by_check(outcome, NACL) if f.resource_id.endswith(tuple(defaults))]
    assert (
        one(outcome, EIP, idle["AllocationId"]).reason
        == f"{idle['PublicIp']} is allocated but associated with nothing"
    )
    assert one(outcome, EIP, attached["AllocationId"]).status == Status.PASS
    assert one(outcome, EIP, attached["AllocationId"]).resource_id.endswith(
        f":elastic-ip/{attached['AllocationId']}"
    )


def test_no_elastic_ips_is_not_applicable_and_unread_ones_are_errors(scan_sim: Scan) -> None:
    [none] = by_check(scan_sim(check_ids=[EIP]), EIP)
    assert (none.status, none.reason) == (Status.NOT_APPLICABLE, "no Elastic IP addresses in us-east-1")
    for check, action in ((EIP, "ec2:DescribeAddresses"), (SUBNET, "ec2:DescribeSubnets")):
        [denied] = by_check(scan_sim(check_ids=[check], deny={action}), check)
        assert denied.status == Status.ERROR and action in denied.reason


# ---- EC2.4, EC2.17, EC2.24: instances ----------------------------------------------------------

STOPPED, ENIS, HVM = (
    "ec2_instance_not_stopped_30_days",
    "ec2_instance_single_network_interface",
    "ec2_instance_hvm_virtualization",
)


def test_instances_network_interfaces_and_stops(sim: SimulatorClient, scan_sim: Scan) -> None:
    ec2 = sim.client("ec2")
    plain = instance(sim)
    stopped = instance(sim)
    ec2.stop_instances(InstanceIds=[stopped])
    subnet = ec2.describe_instances(InstanceIds=[plain])["Reservations"][0]["Instances"][0]["SubnetId"]
    eni = ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]["NetworkInterfaceId"]
    ec2.attach_network_interface(NetworkInterfaceId=eni, InstanceId=plain, DeviceIndex=1)
    outcome = scan_sim(check_ids=[STOPPED, ENIS, HVM])

    assert one(outcome, ENIS, plain).reason == "the instance has 2 network interfaces"
    assert one(outcome, ENIS, stopped).status == Status.PASS
    assert one(outcome, STOPPED, plain).reason == "the instance is running"
    assert one(outcome, STOPPED, stopped).reason == "the instance was stopped 0 days ago (allowed: 30)"
    assert {one(outcome, HVM, i).reason for i in (plain, stopped)} == {"the instance uses hvm virtualization"}


def test_stopped_long_ago_paravirtual_and_untold_stop_time() -> None:
    long_ago = datetime.now(UTC) - timedelta(days=45)
    inventory = Inventory(account_id=ACCOUNT, regions=("us-east-1",))
    inventory.put(
        "ec2",
        "us-east-1",
        _ec2(
            instances=(
                Instance("i-old", "stopped", "required", "enabled", None, "paravirtual", 1, long_ago),
                Instance("i-untold", "stopped", "required", "enabled", None),
            )
        ),
    )
    stopped = {f.resource_id.rsplit("/", 1)[1]: f for f in judge(inventory, STOPPED)}
    assert stopped["i-old"].status == Status.FAIL
    assert stopped["i-old"].reason == f"the instance has been stopped for 45 days (since {long_ago:%Y-%m-%d})"
    assert (stopped["i-untold"].status, stopped["i-untold"].reason) == (
        Status.ERROR,
        "the instance is stopped but EC2 did not say since when",
    )
    hvm = {f.resource_id.rsplit("/", 1)[1]: f.status for f in judge(inventory, HVM)}
    assert hvm == {"i-old": Status.FAIL, "i-untold": Status.PASS}
