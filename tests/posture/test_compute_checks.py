"""The compute checks (EC2 and VPC, Lambda, ECS) on the simulated account, and on hand-built
inventories where moto cannot represent the state (container-image functions, an unreadable
snapshot attribute, condition-restricted public policies)."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest

from cloudwarden.posture import scan as posture_scan
from cloudwarden.posture.checks import all_checks
from cloudwarden.posture.collectors.awslambda import Function, LambdaData
from cloudwarden.posture.collectors.ec2 import Ec2Data, Snapshot, Vpc
from cloudwarden.posture.collectors.ecs import Container, EcsData, Family, TaskDefinition
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import Finding, Status, Unknown
from cloudwarden.simulator.client import SimulatorClient
from tests.posture.conftest import ACCOUNT, Scan, by_check

REGION = "us-east-1"
AMI = "ami-0c55b159cbfafe1f0"  # the one AMI the simulator loads
EC2_CHECKS = sorted(c for c in all_checks() if c.startswith("ec2_"))
LAMBDA_CHECKS = sorted(c for c in all_checks() if c.startswith("lambda_"))
ECS_CHECKS = sorted(c for c in all_checks() if c.startswith("ecs_"))
TASK_CHECKS = sorted(c for c in ECS_CHECKS if c.startswith("ecs_task_definition_"))


def one(outcome: posture_scan.ScanOutcome, check_id: str, resource_end: str) -> Finding:
    found: list[Finding] = [f for f in by_check(outcome, check_id) if f.resource_id.endswith(resource_end)]
    assert len(found) == 1, (check_id, resource_end, by_check(outcome, check_id))
    return found[0]


def judge(inventory: Inventory, check_id: str) -> list[Finding]:
    return posture_scan.judge(inventory, [all_checks()[check_id]])


def assert_listing_denied(outcome: posture_scan.ScanOutcome, action: str) -> None:
    """A refused main listing makes every check of the service an ERROR saying so. (The scanner
    words it "ListClusters: AccessDenied (...)": it records the failure without the client, so the
    IAM prefix comes from AWS's message, which names the action.)"""
    assert outcome.findings and {f.status for f in outcome.findings} == {Status.ERROR}
    operation = action.split(":", 1)[1]
    assert all(f"{operation}: AccessDenied" in f.reason and action in f.reason for f in outcome.findings)


def instance(sim: SimulatorClient, **kwargs: Any) -> str:
    made = sim.client("ec2").run_instances(
        ImageId=AMI, InstanceType="t3.micro", MinCount=1, MaxCount=1, **kwargs
    )
    return str(made["Instances"][0]["InstanceId"])


def group(sim: SimulatorClient, name: str, *permissions: dict[str, Any]) -> str:
    ec2 = sim.client("ec2")
    group_id = str(ec2.create_security_group(GroupName=name, Description=name)["GroupId"])
    if permissions:
        ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=list(permissions))
    return group_id


def tcp(
    port: int, to: int | None = None, *, v4: str | None = "0.0.0.0/0", v6: str | None = None
) -> dict[str, Any]:
    rule: dict[str, Any] = {"IpProtocol": "tcp", "FromPort": port, "ToPort": to or port}
    if v4:
        rule["IpRanges"] = [{"CidrIp": v4}]
    if v6:
        rule["Ipv6Ranges"] = [{"CidrIpv6": v6}]
    return rule


# ---- EC2: EBS, AMIs, instances ---------------------------------------------------------------


def test_ebs_encryption_by_default_per_region(sim: SimulatorClient, scan_sim: Scan) -> None:
    check = "ec2_ebs_default_encryption_enabled"
    sim.client("ec2", region="eu-west-1").enable_ebs_encryption_by_default()
    outcome = scan_sim(check_ids=[check], regions=["us-east-1", "eu-west-1"])
    off = one(outcome, check, f"us-east-1:{ACCOUNT}:account")
    on = one(outcome, check, f"eu-west-1:{ACCOUNT}:account")
    assert (off.status, off.reason) == (Status.FAIL, "EBS encryption by default is off in us-east-1")
    assert on.status == Status.PASS


def test_attached_volumes_must_be_encrypted_unattached_are_not_judged(
    sim: SimulatorClient, scan_sim: Scan
) -> None:
    check = "ec2_ebs_attached_volume_encrypted"
    [empty] = by_check(scan_sim(check_ids=[check]), check)
    assert (empty.status, empty.reason) == (Status.NOT_APPLICABLE, "no attached EBS volumes in us-east-1")

    ec2 = sim.client("ec2")
    instance_id = instance(sim)  # its root volume is unencrypted
    zone = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]["Placement"]
    encrypted = ec2.create_volume(AvailabilityZone=zone["AvailabilityZone"], Size=1, Encrypted=True)[
        "VolumeId"
    ]
    ec2.attach_volume(VolumeId=encrypted, InstanceId=instance_id, Device="/dev/sdf")
    spare = ec2.create_volume(AvailabilityZone=zone["AvailabilityZone"], Size=1)["VolumeId"]
    findings = by_check(scan_sim(check_ids=[check]), check)
    assert {
        f.resource_id.rsplit("/", 1)[1]: f.status for f in findings if f.resource_id.endswith(encrypted)
    } == {encrypted: Status.PASS}
    [root] = [f for f in findings if f.status == Status.FAIL]
    assert root.reason == f"the volume attached to {instance_id} is not encrypted"
    assert not [f for f in findings if f.resource_id.endswith(spare)]


def test_public_snapshot_fails_private_passes(sim: SimulatorClient, scan_sim: Scan) -> None:
    check = "ec2_ebs_snapshot_not_public"
    ec2 = sim.client("ec2")
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1)["VolumeId"]
    public = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]
    private = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]
    ec2.modify_snapshot_attribute(
        SnapshotId=public, Attribute="createVolumePermission", OperationType="add", GroupNames=["all"]
    )
    outcome = scan_sim(check_ids=[check])
    assert len(by_check(outcome, check)) == 2  # the AMI's snapshot, owned by another account, is left out
    failed = one(outcome, check, f"::snapshot/{public}")
    assert (failed.status, failed.reason) == (
        Status.FAIL,
        "the snapshot is public: any AWS account can create a volume from it",
    )
    assert one(outcome, check, private).status == Status.PASS

    denied = scan_sim(check_ids=[check], deny={"ec2:DescribeSnapshotAttribute"})
    assert one(denied, check, public).status == Status.ERROR
    assert "ec2:DescribeSnapshotAttribute: AccessDenied" in one(denied, check, public).reason


def test_public_ami_fails_private_passes(sim: SimulatorClient, scan_sim: Scan) -> None:
    check = "ec2_ami_not_public"
    ec2 = sim.client("ec2")
    source = instance(sim)
    public = ec2.create_image(InstanceId=source, Name="shared-web-image")["ImageId"]
    private = ec2.create_image(InstanceId=source, Name="private-web-image")["ImageId"]
    ec2.modify_image_attribute(ImageId=public, LaunchPermission={"Add": [{"Group": "all"}]})
    outcome = scan_sim(check_ids=[check])
    failed = one(outcome, check, f"::image/{public}")
    assert (failed.status, failed.reason) == (
        Status.FAIL,
        "the AMI shared-web-image is public: anyone can launch it",
    )
    assert one(outcome, check, private).status == Status.PASS


def test_imdsv2_required_optional_or_metadata_off(sim: SimulatorClient, scan_sim: Scan) -> None:
    check = "ec2_instance_imdsv2_required"
    v1 = instance(sim)  # moto's default, as AWS's for most AMIs: HttpTokens optional
    v2 = instance(sim, MetadataOptions={"HttpTokens": "required"})
    off = instance(sim, MetadataOptions={"HttpEndpoint": "disabled"})
    outcome = scan_sim(check_ids=[check])
    failed = one(outcome, check, f":{ACCOUNT}:instance/{v1}")
    assert (failed.status, failed.reason) == (Status.FAIL, "the instance allows IMDSv1 (HttpTokens optional)")
    assert one(outcome, check, v2).status == Status.PASS
    assert one(outcome, check, off).reason == "the instance metadata service is disabled"


def test_instances_with_public_ipv4_fail(sim: SimulatorClient, scan_sim: Scan) -> None:
    check = "ec2_instance_no_public_ipv4"
    [empty] = by_check(scan_sim(check_ids=[check]), check)
    assert empty.status == Status.NOT_APPLICABLE
    ec2 = sim.client("ec2")
    public = instance(sim)  # the default subnet maps public addresses
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    private = instance(sim, SubnetId=subnet)
    outcome = scan_sim(check_ids=[check])
    assert one(outcome, check, public).status == Status.FAIL
    assert one(outcome, check, public).reason.startswith("the instance has the public IPv4 address ")
    assert one(outcome, check, private).status == Status.PASS


# ---- EC2: VPC network controls --------------------------------------------------------------


def test_flow_logs_per_vpc(sim: SimulatorClient, scan_sim: Scan) -> None:
    check = "ec2_vpc_flow_logs_enabled"
    ec2 = sim.client("ec2")
    sim.client("s3").create_bucket(Bucket="flow-logs")
    default_vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    logged = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    accepted_only = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    for vpc, traffic in ((logged, "ALL"), (accepted_only, "ACCEPT")):
        ec2.create_flow_logs(
            ResourceIds=[vpc],
            ResourceType="VPC",
            TrafficType=traffic,
            LogDestinationType="s3",
            LogDestination="arn:aws:s3:::flow-logs",
        )
    outcome = scan_sim(check_ids=[check])
    assert one(outcome, check, f"vpc/{default_vpc}").reason == "the VPC has no active flow log"
    assert one(outcome, check, f"vpc/{logged}").status == Status.PASS
    assert (
        one(outcome, check, f"vpc/{accepted_only}").reason
        == "the VPC's flow logs capture accepted traffic only"
    )

    denied = scan_sim(check_ids=[check], deny={"ec2:DescribeFlowLogs"})
    assert {f.status for f in by_check(denied, check)} == {Status.ERROR}
    assert all("ec2:DescribeFlowLogs: AccessDenied" in f.reason for f in by_check(denied, check))


def test_default_security_group_must_have_no_rules(sim: SimulatorClient, scan_sim: Scan) -> None:
    check = "ec2_default_security_group_closed"
    ec2 = sim.client("ec2")
    group(sim, "not-a-default-group", tcp(22))
    [default] = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["default"]}])[
        "SecurityGroups"
    ]
    [finding] = by_check(scan_sim(check_ids=[check]), check)  # only default groups are judged
    assert finding.resource_id == f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/{default['GroupId']}"
    assert (finding.status, finding.reason) == (
        Status.FAIL,
        f"the default security group of {default['VpcId']} has 0 inbound and 1 outbound rule(s)",
    )
    ec2.revoke_security_group_egress(GroupId=default["GroupId"], IpPermissions=default["IpPermissionsEgress"])
    [finding] = by_check(scan_sim(check_ids=[check]), check)
    assert finding.status == Status.PASS


def nacl_entry(
    sim: SimulatorClient, acl: str, number: int, action: str, ports: tuple[int, int], world: str
) -> None:
    source = {"Ipv6CidrBlock": world} if ":" in world else {"CidrBlock": world}
    sim.client("ec2").create_network_acl_entry(
        NetworkAclId=acl,
        RuleNumber=number,
        Protocol="6",
        RuleAction=action,
        Egress=False,
        PortRange={"From": ports[0], "To": ports[1]},
        **source,
    )


def test_network_acls_admitting_admin_ports_in_rule_order(sim: SimulatorClient, scan_sim: Scan) -> None:
    check = "ec2_nacl_no_admin_ports_from_internet"
    ec2 = sim.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    [default_acl] = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["NetworkAcls"]
    wide = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    nacl_entry(sim, wide, 100, "allow", (1024, 65535), "0.0.0.0/0")
    nacl_entry(sim, wide, 110, "allow", (0, 65535), "::/0")
    guarded = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    nacl_entry(sim, guarded, 10, "deny", (22, 22), "0.0.0.0/0")
    nacl_entry(sim, guarded, 11, "deny", (3389, 3389), "0.0.0.0/0")
    nacl_entry(sim, guarded, 100, "allow", (0, 65535), "0.0.0.0/0")
    outcome = scan_sim(check_ids=[check])
    default = one(outcome, check, default_acl["NetworkAclId"])
    assert default.status == Status.FAIL and "rule 100: all traffic from 0.0.0.0/0" in default.reason
    found = one(outcome, check, wide)
    assert found.status == Status.FAIL
    assert found.reason.endswith(
        "admits internet traffic to: 22 (rule 110: tcp 0-65535 from ::/0); 3389 (rule 100: tcp 1024-65535 "
        "from 0.0.0.0/0); 3389 (rule 110: tcp 0-65535 from ::/0)"
    )
    assert one(outcome, check, guarded).status == Status.PASS  # lower-numbered denies win


def test_admin_ports_open_to_ipv4_or_ipv6_every_group_reported(sim: SimulatorClient, scan_sim: Scan) -> None:
    v4, v6 = (
        "ec2_security_group_no_admin_ports_from_ipv4_internet",
        "ec2_security_group_no_admin_ports_from_ipv6_internet",
    )
    ssh = group(sim, "ssh-world", tcp(22))
    ranged = group(sim, "range-world", tcp(1000, 4000))
    rdp6 = group(sim, "rdp-world-v6", tcp(3389, v4=None, v6="::/0"))
    office = group(sim, "ssh-office", tcp(22, v4="203.0.113.0/24"))
    unused = group(sim, "unused-empty")
    outcome = scan_sim(check_ids=[v4, v6])
    assert len(by_check(outcome, v4)) == len(sim.client("ec2").describe_security_groups()["SecurityGroups"])
    assert (
        one(outcome, v4, ssh).reason
        == "ssh-world admits traffic from 0.0.0.0/0 to admin port(s): 22 (tcp 22 from 0.0.0.0/0)"
    )
    assert one(outcome, v4, ranged).reason.endswith("3389 (tcp 1000-4000 from 0.0.0.0/0)")
    assert one(outcome, v4, rdp6).status == Status.PASS
    assert one(outcome, v6, rdp6).reason.endswith("admin port(s): 3389 (tcp 3389 from ::/0)")
    for passing in (office, unused):
        assert (one(outcome, v4, passing).status, one(outcome, v6, passing).status) == (
            Status.PASS,
            Status.PASS,
        )


def test_only_authorized_ports_open_to_the_internet(sim: SimulatorClient, scan_sim: Scan) -> None:
    check = "ec2_security_group_only_authorized_ports_open"
    ping = {"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    web = group(sim, "web", tcp(443), tcp(80, v4=None, v6="::/0"), ping)
    alt = group(sim, "alt-https", tcp(8443), tcp(80, 443))
    everything = group(sim, "everything", {"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]})
    outcome = scan_sim(check_ids=[check])
    assert one(outcome, check, web).status == Status.PASS
    assert one(outcome, check, alt).reason == (
        "alt-https admits the internet on unauthorized ports: tcp 80-443 from 0.0.0.0/0, tcp 8443 from 0.0.0.0/0"
    )
    assert one(outcome, check, everything).reason.endswith("all traffic from ::/0")


def test_high_risk_ports_open_to_the_internet(sim: SimulatorClient, scan_sim: Scan) -> None:
    check = "ec2_security_group_no_high_risk_ports_open"
    database = group(sim, "postgres-world", tcp(5432, v4=None, v6="::/0"))
    web = group(sim, "web-world", tcp(443))
    outcome = scan_sim(check_ids=[check])
    assert one(outcome, check, database).reason == (
        "postgres-world admits the internet to high-risk port(s): 5432 (tcp 5432 from ::/0)"
    )
    assert one(outcome, check, web).status == Status.PASS


def test_ec2_denied_main_listing_is_an_error_for_every_check(scan_sim: Scan) -> None:
    outcome = scan_sim(check_ids=EC2_CHECKS, deny={"ec2:DescribeVpcs"})
    assert_listing_denied(outcome, "ec2:DescribeVpcs")
    denied = scan_sim(
        check_ids=["ec2_ebs_default_encryption_enabled"], deny={"ec2:GetEbsEncryptionByDefault"}
    )
    assert "ec2:GetEbsEncryptionByDefault: AccessDenied" in denied.findings[0].reason


def test_unreadable_snapshot_sharing_is_an_error_never_a_pass() -> None:
    inventory = Inventory(account_id=ACCOUNT, regions=(REGION,))
    reason = Unknown("ec2:DescribeSnapshots: Throttling")
    inventory.put("ec2", REGION, _ec2(snapshots=(Snapshot("snap-1", True, reason),)))
    [finding] = judge(inventory, "ec2_ebs_snapshot_not_public")
    assert (finding.status, finding.reason, finding.resource_id) == (
        Status.ERROR,
        "ec2:DescribeSnapshots: Throttling",
        f"arn:aws:ec2:{REGION}::snapshot/snap-1",
    )


def _ec2(**fields: Any) -> Ec2Data:
    empty: dict[str, Any] = {
        "vpcs": (Vpc("vpc-1", True),),
        "security_groups": (),
        "network_acls": (),
        "flow_logs": (),
        "instances": (),
        "volumes": (),
        "snapshots": (),
        "images": (),
        "ebs_encryption_by_default": True,
    }
    return Ec2Data(**{**empty, **fields})


# ---- Lambda ----------------------------------------------------------------------------------


def function(sim: SimulatorClient, name: str, runtime: str = "python3.12", **kwargs: Any) -> str:
    iam = sim.client("iam")
    try:
        role = iam.get_role(RoleName="fn-role")["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(RoleName="fn-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return None\n")
    made = sim.client("lambda").create_function(
        FunctionName=name,
        Runtime=runtime,
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": buffer.getvalue()},
        **kwargs,
    )
    return str(made["FunctionArn"])


def test_lambda_checks_without_functions_are_not_applicable(scan_sim: Scan) -> None:
    outcome = scan_sim(check_ids=LAMBDA_CHECKS + ECS_CHECKS)
    assert {f.status for f in outcome.findings} == {Status.NOT_APPLICABLE}
    assert {f.reason for f in by_check(outcome, "lambda_function_in_vpc")} == {
        "no Lambda functions in us-east-1"
    }


def test_lambda_public_policy_and_s3_without_source_account(sim: SimulatorClient, scan_sim: Scan) -> None:
    check = "lambda_function_not_publicly_invocable"
    lam = sim.client("lambda")
    private, public, s3_open, s3_scoped = (
        function(sim, n) for n in ("private", "public", "s3-open", "s3-scoped")
    )
    lam.add_permission(
        FunctionName="public", StatementId="Anyone", Action="lambda:InvokeFunction", Principal="*"
    )
    from_s3 = {
        "Action": "lambda:InvokeFunction",
        "Principal": "s3.amazonaws.com",
        "SourceArn": "arn:aws:s3:::uploads",
    }
    lam.add_permission(FunctionName="s3-open", StatementId="S3", **from_s3)
    lam.add_permission(FunctionName="s3-scoped", StatementId="S3", SourceAccount=ACCOUNT, **from_s3)
    outcome = scan_sim(check_ids=[check])
    assert one(outcome, check, private).reason == "the function has no resource-based policy"
    assert one(outcome, check, public).reason == (
        "the function policy is public: statement Anyone allows Principal '*' with no condition restricting the caller"
    )
    assert one(outcome, check, s3_open).reason.endswith(
        "statement S3 lets Amazon S3 invoke it without aws:SourceAccount"
    )
    assert one(outcome, check, s3_scoped).status == Status.PASS

    denied = scan_sim(check_ids=[check], deny={"lambda:GetPolicy"})
    assert {f.status for f in by_check(denied, check)} == {Status.ERROR}
    assert "lambda:GetPolicy: AccessDenied" in one(denied, check, public).reason
    listing = scan_sim(check_ids=LAMBDA_CHECKS, deny={"lambda:ListFunctions"})
    assert_listing_denied(listing, "lambda:ListFunctions")


@pytest.mark.parametrize(
    ("condition", "status"),
    [
        ({"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}, Status.PASS),
        ({"ArnLike": {"AWS:SourceArn": "arn:aws:events:us-east-1:123456789012:rule/*"}}, Status.PASS),
        ({"StringNotEquals": {"aws:SourceAccount": "123456789012"}}, Status.FAIL),
        ({"StringEqualsIfExists": {"aws:SourceAccount": "123456789012"}}, Status.FAIL),
        ({"StringEquals": {"aws:SourceAccount": "*"}}, Status.FAIL),
        ({"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}, Status.FAIL),  # a public function URL
    ],
)
def test_lambda_conditions_that_do_or_do_not_restrict_a_star_principal(
    condition: dict[str, Any], status: Status
) -> None:
    statement = {
        "Sid": "S",
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": "lambda:*",
        "Condition": condition,
    }
    inventory = _lambda(_function(policy={"Version": "2012-10-17", "Statement": [statement]}))
    [finding] = judge(inventory, "lambda_function_not_publicly_invocable")
    assert finding.status == status


def test_lambda_deprecated_runtime_and_vpc(sim: SimulatorClient, scan_sim: Scan) -> None:
    ec2 = sim.client("ec2")
    legacy = function(sim, "legacy", runtime="python3.7")
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    group_id = ec2.describe_security_groups()["SecurityGroups"][0]["GroupId"]
    current = function(sim, "current", VpcConfig={"SubnetIds": [subnet], "SecurityGroupIds": [group_id]})
    outcome = scan_sim(check_ids=["lambda_function_supported_runtime", "lambda_function_in_vpc"])
    old = one(outcome, "lambda_function_supported_runtime", legacy)
    assert (old.status, old.reason) == (
        Status.FAIL,
        "the function runs on python3.7, deprecated since 2023-12-04",
    )
    assert one(outcome, "lambda_function_supported_runtime", current).status == Status.PASS
    assert one(outcome, "lambda_function_in_vpc", legacy).reason == "the function is not connected to a VPC"
    assert one(outcome, "lambda_function_in_vpc", current).status == Status.PASS


def test_lambda_container_image_runtime_is_not_judged() -> None:
    inventory = _lambda(_function(runtime=None, package_type="Image"))
    [finding] = judge(inventory, "lambda_function_supported_runtime")
    assert finding.status == Status.NOT_APPLICABLE
    assert finding.reason == "the function is a Image package: its image sets the runtime"


def _function(**fields: Any) -> Function:
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fn"
    base: dict[str, Any] = {
        "name": "fn",
        "arn": arn,
        "runtime": "python3.12",
        "package_type": "Zip",
        "vpc_id": None,
        "subnets": (),
        "policy": None,
    }
    return Function(**{**base, **fields})


def _lambda(*functions: Function) -> Inventory:
    inventory = Inventory(account_id=ACCOUNT, regions=(REGION,))
    inventory.put("lambda", REGION, LambdaData(functions=functions))
    return inventory


# ---- ECS -------------------------------------------------------------------------------------


def register(
    sim: SimulatorClient,
    family: str,
    network_mode: str = "awsvpc",
    pid_mode: str | None = None,
    **container: Any,
) -> str:
    definition = {
        "name": "app",
        "image": "public.ecr.aws/docker/library/python:3.12",
        "memory": 256,
        **container,
    }
    task = {"pidMode": pid_mode} if pid_mode else {}
    made = sim.client("ecs").register_task_definition(
        family=family, networkMode=network_mode, containerDefinitions=[definition], **task
    )
    return str(made["taskDefinition"]["taskDefinitionArn"])


def test_task_definition_checks_on_the_latest_revision(sim: SimulatorClient, scan_sim: Scan) -> None:
    register(sim, "hardened", readonlyRootFilesystem=True, privileged=True)  # revision 1, replaced
    plain = [{"name": "APP_ENV", "value": "prod"}]
    logs = {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/hardened"}}
    hardened = register(
        sim, "hardened", readonlyRootFilesystem=True, user="1000", environment=plain, logConfiguration=logs
    )
    loose = register(
        sim,
        "loose",
        network_mode="host",
        pid_mode="host",
        privileged=True,
        environment=[
            {"name": "DB_PASSWORD", "value": "x"},
            {"name": "GITHUB_TOKEN", "value": "y"},
            {"name": "KEYCLOAK_URL", "value": "https://id"},
        ],
    )
    outcome = scan_sim(check_ids=TASK_CHECKS)
    assert {f.check_id: f.status for f in outcome.findings if f.resource_id == hardened} == dict.fromkeys(
        TASK_CHECKS, Status.PASS
    )
    assert not [f for f in outcome.findings if f.resource_id.endswith("hardened:1")]
    failed = {f.check_id: f.reason for f in outcome.findings if f.resource_id == loose}
    assert failed == {
        "ecs_task_definition_host_network_non_root_user": "host-mode container(s) running as root (no user, or root/0): app",
        "ecs_task_definition_logging_configured": "containers without a log driver: app",
        "ecs_task_definition_no_host_pid_mode": "the task definition shares the host's process namespace (pidMode host)",
        "ecs_task_definition_no_host_network_mode": "the task definition uses the host network mode",
        "ecs_task_definition_no_privileged_containers": "privileged container(s): app",
        "ecs_task_definition_no_secrets_in_environment": "secret-like plain environment variable(s): app: DB_PASSWORD, app: GITHUB_TOKEN",
        "ecs_task_definition_read_only_root_filesystem": "container(s) with a writable root filesystem: app",
    }  # fmt: skip
    denied = scan_sim(check_ids=TASK_CHECKS, deny={"ecs:DescribeTaskDefinition"})
    assert {f.status for f in denied.findings} == {Status.ERROR}
    assert all("ecs:DescribeTaskDefinition: AccessDenied" in f.reason for f in denied.findings)
    assert {f.resource_id.rsplit("/", 1)[1] for f in denied.findings} == {"hardened", "loose"}


def test_host_mode_non_root_user_passes(sim: SimulatorClient, scan_sim: Scan) -> None:
    check = "ecs_task_definition_host_network_non_root_user"
    arn = register(sim, "host-agent", network_mode="host", user="1000:1000")
    root = register(sim, "host-root", network_mode="host", user="0")
    outcome = scan_sim(check_ids=[check])
    assert one(outcome, check, arn).status == Status.PASS
    assert one(outcome, check, root).status == Status.FAIL


def test_services_public_ip_and_cluster_container_insights(sim: SimulatorClient, scan_sim: Scan) -> None:
    ecs, ec2 = sim.client("ecs"), sim.client("ec2")
    ecs.create_cluster(clusterName="watched", settings=[{"name": "containerInsights", "value": "enhanced"}])
    ecs.create_cluster(clusterName="unwatched")
    task = register(sim, "web")
    network = {
        "subnets": [ec2.describe_subnets()["Subnets"][0]["SubnetId"]],
        "securityGroups": [ec2.describe_security_groups()["SecurityGroups"][0]["GroupId"]],
    }
    for name, assign in (("exposed", "ENABLED"), ("internal", "DISABLED")):
        ecs.create_service(
            cluster="watched",
            serviceName=name,
            taskDefinition=task,
            desiredCount=0,
            networkConfiguration={"awsvpcConfiguration": {**network, "assignPublicIp": assign}},
        )
    checks = ["ecs_service_no_public_ip", "ecs_cluster_container_insights_enabled"]
    outcome = scan_sim(check_ids=checks)
    assert (
        one(outcome, checks[0], "service/watched/exposed").reason
        == "the service in watched assigns public IPs to its tasks"
    )
    assert one(outcome, checks[0], "service/watched/internal").status == Status.PASS
    assert one(outcome, checks[1], "cluster/watched").status == Status.PASS
    unwatched = one(outcome, checks[1], "cluster/unwatched")
    assert (unwatched.status, unwatched.reason) == (
        Status.FAIL,
        "Container Insights is disabled for the cluster",
    )

    denied = scan_sim(check_ids=checks, deny={"ecs:ListServices", "ecs:DescribeClusters"})
    assert {f.status for f in denied.findings} == {Status.ERROR}
    assert "ecs:ListServices: AccessDenied" in one(denied, checks[0], "cluster/watched").reason
    assert "ecs:DescribeClusters: AccessDenied" in one(denied, checks[1], "cluster/unwatched").reason
    listing = scan_sim(check_ids=ECS_CHECKS, deny={"ecs:ListClusters"})
    assert_listing_denied(listing, "ecs:ListClusters")


def test_a_family_without_an_active_revision_is_not_judged() -> None:
    """moto's DescribeTaskDefinition(family) returns the newest revision even when INACTIVE (AWS
    returns the newest ACTIVE one); the collector skips an inactive answer rather than judge it."""
    container = Container("app", privileged=False, read_only_root=True, user="1000", environment=())
    definition = TaskDefinition(
        f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/a:3", "a", 3, "awsvpc", (container,)
    )
    inventory = Inventory(account_id=ACCOUNT, regions=(REGION,))
    inventory.put(
        "ecs", REGION, EcsData(clusters=(), families=(Family("a", definition), Family("gone", None)))
    )
    findings = judge(inventory, "ecs_task_definition_no_privileged_containers")
    assert [(f.resource_id, f.status) for f in findings] == [(definition.arn, Status.PASS)]
