"""FSBP EC2.10 (an EC2 API endpoint per VPC), EC2.20 (VPN tunnels up), EC2.22 (unused security
groups), EC2.23 (transit gateway auto-accept), EC2.25 (launch templates with public IPs) and
Lambda.5 (VPC functions across zones), on the simulated account, the seeded one, and on hand-built
inventories where moto cannot represent the state (it reports no VPN tunnel telemetry)."""

from __future__ import annotations

from cloudwarden.posture.collectors._ec2_network import Subnet, Tunnel, VpnConnection
from cloudwarden.posture.collectors.awslambda import Function, LambdaData
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import Status, Unknown
from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.posture_seed import seed_misconfigurations
from tests.posture.conftest import ACCOUNT, Scan, by_check
from tests.posture.test_compute_checks import _ec2, function, group, instance, judge, one, tcp

REGION = "us-east-1"
UNUSED = "ec2_security_group_attached"
TEMPLATE = "ec2_launch_template_no_public_ip"
ENDPOINT = "ec2_vpc_endpoint_for_ec2"
TGW = "ec2_transit_gateway_no_auto_accept"
VPN = "ec2_vpn_connection_tunnels_up"
MULTI_AZ = "lambda_function_vpc_multi_az"
NEW_EC2 = [UNUSED, TEMPLATE, ENDPOINT, TGW, VPN]


# ---- EC2.22: security groups attached to nothing ------------------------------------------------


def test_security_groups_on_no_interface_fail_default_groups_are_left_out(
    sim: SimulatorClient, scan_sim: Scan
) -> None:
    ec2 = sim.client("ec2")
    used = group(sim, "web", tcp(443))
    spare = group(sim, "old-bastion", tcp(22))
    on_eni = group(sim, "on-eni")
    instance(sim, SecurityGroupIds=[used])
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    eni = ec2.create_network_interface(SubnetId=subnet, Groups=[on_eni])["NetworkInterface"]
    outcome = scan_sim(check_ids=[UNUSED])

    assert one(outcome, UNUSED, spare).reason == f"old-bastion ({spare}) is attached to no network interface"
    assert one(outcome, UNUSED, spare).status == Status.FAIL
    web = one(outcome, UNUSED, used)
    assert web.status == Status.PASS and web.reason.startswith(
        "web is attached to 1 network interface(s): eni-"
    )
    assert one(outcome, UNUSED, on_eni).reason == (
        f"on-eni is attached to 1 network interface(s): {eni['NetworkInterfaceId']}"
    )
    defaults = [
        g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"] if g["GroupName"] == "default"
    ]
    assert defaults and not [f for f in by_check(outcome, UNUSED) if f.resource_id.endswith(tuple(defaults))]


def test_only_default_groups_is_not_applicable_unread_interfaces_are_errors(scan_sim: Scan) -> None:
    [none] = by_check(scan_sim(check_ids=[UNUSED]), UNUSED)
    assert (none.status, none.reason) == (
        Status.NOT_APPLICABLE,
        "no non-default security groups in us-east-1",
    )
    [denied] = by_check(scan_sim(check_ids=[UNUSED], deny={"ec2:DescribeNetworkInterfaces"}), UNUSED)
    assert denied.status == Status.ERROR and "ec2:DescribeNetworkInterfaces: AccessDenied" in denied.reason


# ---- EC2.25: launch templates ----------------------------------------------------------------------


def test_launch_templates_are_judged_at_their_default_version(sim: SimulatorClient, scan_sim: Scan) -> None:
    ec2 = sim.client("ec2")

    def data(public: bool | None, *more: bool) -> dict[str, object]:
        first: dict[str, object] = {"DeviceIndex": 0}
        if public is not None:
            first["AssociatePublicIpAddress"] = public
        extra = [{"DeviceIndex": i + 1, "AssociatePublicIpAddress": p} for i, p in enumerate(more)]
        return {"ImageId": "ami-0c55b159cbfafe1f0", "NetworkInterfaces": [first, *extra]}

    public = ec2.create_launch_template(LaunchTemplateName="public-web", LaunchTemplateData=data(True))
    second = ec2.create_launch_template(LaunchTemplateName="second-eni", LaunchTemplateData=data(False, True))
    unset = ec2.create_launch_template(LaunchTemplateName="unset", LaunchTemplateData=data(None))
    # Fixed in a new version that is not the default yet: still launches public instances.
    ec2.create_launch_template_version(LaunchTemplateName="public-web", LaunchTemplateData=data(False))
    # Public in a new version, but the private first version stays the default.
    fixed = ec2.create_launch_template(LaunchTemplateName="fixed", LaunchTemplateData=data(False))
    ec2.create_launch_template_version(LaunchTemplateName="fixed", LaunchTemplateData=data(True))
    outcome = scan_sim(check_ids=[TEMPLATE])

    def template_id(made: dict[str, dict[str, str]]) -> str:
        return made["LaunchTemplate"]["LaunchTemplateId"]

    assert one(outcome, TEMPLATE, template_id(public)).reason == (
        "public-web (default version 1) assigns a public IP address to its network interface(s) at device index 0"
    )
    assert one(outcome, TEMPLATE, template_id(second)).reason.endswith("at device index 1")
    assert one(outcome, TEMPLATE, template_id(unset)).status == Status.PASS
    assert one(outcome, TEMPLATE, template_id(fixed)).reason == (
        "fixed (default version 1) assigns no public IP address to its network interfaces"
    )
    assert one(outcome, TEMPLATE, template_id(fixed)).resource_id == (
        f"arn:aws:ec2:us-east-1:{ACCOUNT}:launch-template/{template_id(fixed)}"
    )

    ec2.modify_launch_template(LaunchTemplateName="fixed", DefaultVersion="2")
    ec2.modify_launch_template(LaunchTemplateName="public-web", DefaultVersion="2")
    again = scan_sim(check_ids=[TEMPLATE])
    assert one(again, TEMPLATE, template_id(fixed)).status == Status.FAIL
    assert one(again, TEMPLATE, template_id(public)).status == Status.PASS


def test_no_launch_templates_is_not_applicable_unread_ones_are_errors(scan_sim: Scan) -> None:
    [none] = by_check(scan_sim(check_ids=[TEMPLATE]), TEMPLATE)
    assert (none.status, none.reason) == (Status.NOT_APPLICABLE, "no launch templates in us-east-1")
    action = "ec2:DescribeLaunchTemplateVersions"
    [denied] = by_check(scan_sim(check_ids=[TEMPLATE], deny={action}), TEMPLATE)
    assert denied.status == Status.ERROR and action in denied.reason


# ---- EC2.10: an EC2 API endpoint in every VPC --------------------------------------------------------


def test_every_vpc_needs_an_endpoint_for_the_ec2_api(sim: SimulatorClient, scan_sim: Scan) -> None:
    ec2 = sim.client("ec2")
    default_vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    with_ec2 = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    with_s3_only = ec2.create_vpc(CidrBlock="10.21.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=with_ec2, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
    endpoint = ec2.create_vpc_endpoint(
        VpcId=with_ec2,
        ServiceName="com.amazonaws.us-east-1.ec2",
        VpcEndpointType="Interface",
        SubnetIds=[subnet],
    )["VpcEndpoint"]["VpcEndpointId"]
    ec2.create_vpc_endpoint(VpcId=with_s3_only, ServiceName="com.amazonaws.us-east-1.s3")
    outcome = scan_sim(check_ids=[ENDPOINT])

    assert len(by_check(outcome, ENDPOINT)) == 3
    assert one(outcome, ENDPOINT, f"vpc/{with_ec2}").reason == (
        f"{with_ec2} has a VPC endpoint for com.amazonaws.us-east-1.ec2: {endpoint}"
    )
    assert one(outcome, ENDPOINT, f"vpc/{with_ec2}").status == Status.PASS
    for missing in (default_vpc, with_s3_only):
        found = one(outcome, ENDPOINT, f"vpc/{missing}")
        assert (found.status, found.reason) == (
            Status.FAIL,
            f"{missing} has no VPC endpoint for the EC2 API (com.amazonaws.us-east-1.ec2)",
        )

    denied = by_check(scan_sim(check_ids=[ENDPOINT], deny={"ec2:DescribeVpcEndpoints"}), ENDPOINT)
    assert [f.status for f in denied] == [Status.ERROR] and "ec2:DescribeVpcEndpoints" in denied[0].reason


def test_an_endpoint_of_another_region_or_a_deleted_one_does_not_count() -> None:
    from cloudwarden.posture.collectors._ec2_network import VpcEndpoint

    inventory = Inventory(account_id=ACCOUNT, regions=(REGION,))
    endpoints = (
        VpcEndpoint("vpce-1", "vpc-1", "com.amazonaws.us-west-2.ec2", "Interface", "available"),
        VpcEndpoint("vpce-2", "vpc-1", "com.amazonaws.us-east-1.ec2", "Interface", "deleted"),
        VpcEndpoint("vpce-3", "vpc-1", "com.amazonaws.us-east-1.ec2messages", "Interface", "available"),
    )
    inventory.put("ec2", REGION, _ec2(vpc_endpoints=endpoints))
    [vpc] = judge(inventory, ENDPOINT)
    assert vpc.status == Status.FAIL


# ---- EC2.23: transit gateways ---------------------------------------------------------------------


def test_transit_gateways_auto_accepting_shared_attachments_fail(
    sim: SimulatorClient, scan_sim: Scan
) -> None:
    [none] = by_check(scan_sim(check_ids=[TGW]), TGW)
    assert (none.status, none.reason) == (Status.NOT_APPLICABLE, "no transit gateways in us-east-1")
    ec2 = sim.client("ec2")
    accepting = ec2.create_transit_gateway(Options={"AutoAcceptSharedAttachments": "enable"})
    reviewed = ec2.create_transit_gateway(Options={"AutoAcceptSharedAttachments": "disable"})
    gone = ec2.create_transit_gateway(Options={"AutoAcceptSharedAttachments": "enable"})
    ec2.delete_transit_gateway(TransitGatewayId=gone["TransitGateway"]["TransitGatewayId"])
    outcome = scan_sim(check_ids=[TGW])

    bad = accepting["TransitGateway"]["TransitGatewayId"]
    good = reviewed["TransitGateway"]["TransitGatewayId"]
    assert one(outcome, TGW, f"transit-gateway/{bad}").reason == (
        f"{bad} accepts shared VPC attachment requests automatically"
    )
    assert one(outcome, TGW, f"transit-gateway/{bad}").status == Status.FAIL
    assert one(outcome, TGW, f"transit-gateway/{good}").status == Status.PASS
    assert len(by_check(outcome, TGW)) == 2  # the deleted one is not judged
    [denied] = by_check(scan_sim(check_ids=[TGW], deny={"ec2:DescribeTransitGateways"}), TGW)
    assert denied.status == Status.ERROR and "ec2:DescribeTransitGateways: AccessDenied" in denied.reason


# ---- EC2.20: VPN tunnels (moto reports no tunnel telemetry: hand-built inventories) -------------


def test_vpn_connections_need_both_tunnels_up() -> None:
    up, down = Tunnel("198.51.100.1", "UP"), Tunnel("198.51.100.2", "DOWN", "IPSEC IS DOWN")
    inventory = Inventory(account_id=ACCOUNT, regions=(REGION,))
    connections = (
        VpnConnection("vpn-both", "available", (up, Tunnel("198.51.100.3", "UP"))),
        VpnConnection("vpn-half", "available", (up, down)),
        VpnConnection("vpn-untold", "available", ()),
        VpnConnection("vpn-gone", "deleted", (down, down)),
    )
    inventory.put("ec2", REGION, _ec2(vpn_connections=connections))
    found = {f.resource_id.rsplit("/", 1)[1]: f for f in judge(inventory, VPN)}

    assert set(found) == {"vpn-both", "vpn-half", "vpn-untold"}
    assert (found["vpn-both"].status, found["vpn-both"].reason) == (
        Status.PASS,
        "all 2 tunnels of vpn-both are up",
    )
    assert (found["vpn-half"].status, found["vpn-half"].reason) == (
        Status.FAIL,
        "1 of 2 tunnels of vpn-half are not up: 198.51.100.2 is DOWN (IPSEC IS DOWN)",
    )
    assert found["vpn-untold"].status == Status.ERROR
    assert found["vpn-untold"].resource_id == f"arn:aws:ec2:us-east-1:{ACCOUNT}:vpn-connection/vpn-untold"


def test_vpn_connections_on_the_simulator(sim: SimulatorClient, scan_sim: Scan) -> None:
    [none] = by_check(scan_sim(check_ids=[VPN]), VPN)
    assert (none.status, none.reason) == (
        Status.NOT_APPLICABLE,
        "no Site-to-Site VPN connections in us-east-1",
    )
    ec2 = sim.client("ec2")
    customer = ec2.create_customer_gateway(Type="ipsec.1", PublicIp="203.0.113.1", BgpAsn=65000)
    gateway = ec2.create_vpn_gateway(Type="ipsec.1")
    made = ec2.create_vpn_connection(
        Type="ipsec.1",
        CustomerGatewayId=customer["CustomerGateway"]["CustomerGatewayId"],
        VpnGatewayId=gateway["VpnGateway"]["VpnGatewayId"],
    )["VpnConnection"]["VpnConnectionId"]
    # moto reports no VgwTelemetry: the tunnels' state is not known, never a PASS.
    [untold] = by_check(scan_sim(check_ids=[VPN]), VPN)
    assert (untold.status, untold.reason) == (
        Status.ERROR,
        f"EC2 reports no tunnel status (VgwTelemetry) for {made}",
    )
    [denied] = by_check(scan_sim(check_ids=[VPN], deny={"ec2:DescribeVpnConnections"}), VPN)
    assert denied.status == Status.ERROR and "ec2:DescribeVpnConnections: AccessDenied" in denied.reason


# ---- Lambda.5: VPC functions across Availability Zones ----------------------------------------


def test_vpc_functions_need_subnets_in_two_zones(sim: SimulatorClient, scan_sim: Scan) -> None:
    ec2 = sim.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    a1, a2, b = (
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for cidr, zone in (
            ("10.30.1.0/24", "us-east-1a"),
            ("10.30.2.0/24", "us-east-1a"),
            ("10.30.3.0/24", "us-east-1b"),
        )
    )
    sg = group(sim, "fn")
    one_zone = function(sim, "one-zone", VpcConfig={"SubnetIds": [a1, a2], "SecurityGroupIds": [sg]})
    two_zones = function(sim, "two-zones", VpcConfig={"SubnetIds": [a1, b], "SecurityGroupIds": [sg]})
    outside = function(sim, "no-vpc")
    outcome = scan_sim(check_ids=[MULTI_AZ])

    assert one(outcome, MULTI_AZ, one_zone).reason == (
        "the function's subnets are all in one Availability Zone (us-east-1a); at least 2 are needed"
    )
    assert one(outcome, MULTI_AZ, one_zone).status == Status.FAIL
    assert one(outcome, MULTI_AZ, two_zones).reason == (
        "the function's subnets span 2 Availability Zones (us-east-1a, us-east-1b)"
    )
    assert one(outcome, MULTI_AZ, two_zones).status == Status.PASS
    assert not [f for f in by_check(outcome, MULTI_AZ) if f.resource_id == outside]

    denied = by_check(scan_sim(check_ids=[MULTI_AZ], deny={"ec2:DescribeSubnets"}), MULTI_AZ)
    assert {f.status for f in denied} == {Status.ERROR}
    assert all("ec2:DescribeSubnets: AccessDenied" in f.reason for f in denied)


def test_functions_outside_vpcs_are_not_applicable_unknown_subnets_are_errors(scan_sim: Scan) -> None:
    [none] = by_check(scan_sim(check_ids=[MULTI_AZ]), MULTI_AZ)
    assert (none.status, none.reason) == (
        Status.NOT_APPLICABLE,
        "no VPC-connected Lambda functions in us-east-1",
    )

    inventory = Inventory(account_id=ACCOUNT, regions=(REGION,))
    fn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:"
    functions = (
        Function(
            "gone-subnet", fn + "gone-subnet", "python3.12", "Zip", "vpc-1", ("subnet-a", "subnet-x"), None
        ),
        Function(
            "spread", fn + "spread", "python3.12", "Zip", "vpc-1", ("subnet-a", "subnet-b", "subnet-x"), None
        ),
    )
    inventory.put("lambda", REGION, LambdaData(functions))
    subnets = (
        Subnet("subnet-a", "vpc-1", "us-east-1a", False),
        Subnet("subnet-b", "vpc-1", "us-east-1b", False),
    )
    inventory.put("ec2", REGION, _ec2(subnets=subnets))
    found = {f.resource_id.rsplit(":", 1)[1]: f for f in judge(inventory, MULTI_AZ)}
    assert (found["gone-subnet"].status, found["gone-subnet"].reason) == (
        Status.ERROR,
        "the function's subnet(s) subnet-x are not in DescribeSubnets",
    )
    assert found["spread"].status == Status.PASS  # two zones known: the unknown subnet cannot undo it

    inventory.put("ec2", REGION, Unknown("DescribeVpcs: AccessDenied (ec2:DescribeVpcs)"))
    assert {f.status for f in judge(inventory, MULTI_AZ)} == {Status.ERROR}


# ---- the seeded account -----------------------------------------------------------------------------


def test_the_seeded_account_fails_and_passes_as_its_report_says(sim: SimulatorClient, scan_sim: Scan) -> None:
    report = seed_misconfigurations(sim)
    outcome = scan_sim(check_ids=[*NEW_EC2, MULTI_AZ])
    ec2 = sim.client("ec2")

    def group_id(name: str) -> str:
        groups = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [name]}])
        return str(groups["SecurityGroups"][0]["GroupId"])

    assert one(outcome, UNUSED, group_id("cw-demo-rdp-open-to-world-ipv6")).status == Status.FAIL
    assert one(outcome, UNUSED, group_id("cw-demo-ssh-open-to-world")).status == Status.PASS

    templates = {
        t["LaunchTemplateName"]: t["LaunchTemplateId"]
        for t in ec2.describe_launch_templates()["LaunchTemplates"]
    }
    assert one(outcome, TEMPLATE, templates["cw-demo-web-asg-public-ip"]).status == Status.FAIL
    assert one(outcome, TEMPLATE, templates["cw-demo-worker-private"]).status == Status.PASS

    vpcs = {v.get("IsDefault"): v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]}
    assert one(outcome, ENDPOINT, f"vpc/{vpcs[True]}").status == Status.FAIL
    assert one(outcome, ENDPOINT, f"vpc/{vpcs[False]}").status == Status.PASS

    [gateway] = by_check(outcome, TGW)
    assert gateway.status == Status.FAIL
    [vpn] = by_check(outcome, VPN)  # none seeded: moto cannot report tunnel state
    assert vpn.status == Status.NOT_APPLICABLE

    assert one(outcome, MULTI_AZ, ":function:cw-demo-orders-worker-one-az").status == Status.FAIL
    assert one(outcome, MULTI_AZ, ":function:cw-demo-orders-api-two-azs").status == Status.PASS
    assert not [f for f in by_check(outcome, MULTI_AZ) if f.resource_id.endswith("legacy-python37-public")]

    failing = {f.control for f in report.expected_failures}
    assert {
        "Security group is attached to no network interface",
        "Launch template assigns public IPs to network interfaces",
        "VPC has no interface endpoint for the EC2 API",
        "Transit gateway accepts shared VPC attachments automatically",
        "VPC Lambda function runs in one Availability Zone",
    } <= failing
