"""Misconfigurations a security audit finds, seeded into the simulated account.

`seed_misconfigurations` builds, as the account's administrator through boto3 (and, for what no
AWS API can set, the `root_credentials` and `backdate_iam` injectors of
patches/credential_report.py), the classic findings of an AWS posture audit: a public bucket, SSH
and RDP open to the internet, an IMDSv1 instance with a public IP, IAM users without MFA or with
old and unused keys, a "*:*" policy, a weak password policy, a root user with an access key and no
MFA, a public unencrypted database, a single-region trail without validation or encryption, a key
without rotation, a public Lambda function on a deprecated runtime, a privileged ECS task with a
secret in its environment, EBS default encryption off, no Config / GuardDuty / Access Analyzer,
VPCs without flow logs. A well-configured private bucket stands beside them for contrast. Where
Security Hub and GuardDuty are on (the demo's workload turns them on), a few findings of theirs
too, which a scan shows beside its own.

Every name starts with ``cw-demo-`` and says what it is. The `SeedReport` lists what was made and
the controls an audit of the account should find failing, in plain words with their resources.

`size` adds that many benign resources (S3 buckets, security groups, IAM users, EBS volumes, as
evenly as they divide), as a scale knob for benchmarks. They are configured as AWS configures a
new one by default (a bucket with Block Public Access and SSE-S3 on, a security group with no
inbound rule, an IAM user without credentials, an encrypted volume). When the simulator runs in
this process they are written straight into moto's backends (about 9 ms a resource over HTTP,
a fraction of that in-process); otherwise through the API.

Seeding a reset account always works; seeding it twice reuses what is already there.
"""

from __future__ import annotations

import functools
import io
import json
import secrets
import string
import sys
import threading
import time
import urllib.request
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from botocore.exceptions import ClientError

from cloudwarden.simulator.client import SimulatorClient

PREFIX = "cw-demo-"
EXTRA_PREFIX = "cw-scale-"
AMI_ID = "ami-0c55b159cbfafe1f0"  # the one AMI the simulator loads (server.py)
EXTRA_KINDS = ("s3_bucket", "security_group", "iam_user", "ebs_volume")
DEMO_VPC_CIDR = "10.77.0.0/16"


def leaked_key_pair() -> tuple[str, str]:
    """An access key id and secret key shaped like AWS's, random each seed: what a leak looks
    like. (AWS's documentation example key is ignored by secret scanners on purpose, so a value
    scanner such as Prowler's would not see a leak in it.) No AWS account knows them."""
    upper = string.ascii_uppercase + "234567"
    secret = string.ascii_letters + string.digits + "+/"
    key_id = "AKIA" + "".join(secrets.choice(upper) for _ in range(16))
    return key_id, "".join(secrets.choice(secret) for _ in range(40))


@dataclass(frozen=True)
class ExpectedFailure:
    """A control an audit of the seeded account should find failing, and on what."""

    control: str
    resources: tuple[str, ...]


@dataclass
class SeedReport:
    account_id: str
    region: str
    created: dict[str, list[str]] = field(default_factory=dict)  # kind -> names (or ids)
    expected_failures: list[ExpectedFailure] = field(default_factory=list)
    expected_passes: list[ExpectedFailure] = field(default_factory=list)  # the contrast
    extra: dict[str, list[str]] = field(default_factory=dict)  # the `size` resources, by kind
    extra_path: Literal["none", "in-process", "http"] = "none"
    limitations: list[str] = field(default_factory=list)
    seconds: float = 0.0
    extra_seconds: float = 0.0

    def add(self, kind: str, name: str) -> str:
        names = self.created.setdefault(kind, [])
        if name not in names:
            names.append(name)
        return name

    def fails(self, control: str, *resources: str) -> None:
        self.expected_failures.append(ExpectedFailure(control, tuple(resources)))

    def passes(self, control: str, *resources: str) -> None:
        self.expected_passes.append(ExpectedFailure(control, tuple(resources)))

    @property
    def extra_count(self) -> int:
        return sum(len(names) for names in self.extra.values())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def seed_misconfigurations(
    sim: SimulatorClient,
    *,
    region: str = "us-east-1",
    size: int = 0,
    in_process: bool | None = None,
) -> SeedReport:
    """Seed the misconfigured account; `size` extra benign resources; see the module docstring.

    `in_process`: create the `size` resources in moto's backends directly (True), through the API
    (False), or directly when the simulator is found to run in this process (None).
    """
    if size < 0:
        raise ValueError("size must be 0 or more")
    started = time.perf_counter()
    _post(sim, "/moto-api/config", {"lambda": {"use_docker": False}})
    clients = _clients(sim.endpoint, region)
    account_id = str(clients("sts").get_caller_identity()["Account"])
    report = SeedReport(account_id=account_id, region=region)
    now = datetime.now(UTC).replace(microsecond=0)
    seeder = _Seeder(sim, clients, account_id, now, report)
    seeder.s3()
    seeder.network_and_ec2()
    seeder.iam()
    seeder.root()
    seeder.rds()
    seeder.cloudtrail()
    seeder.kms()
    seeder.lambda_function()
    seeder.ecs()
    seeder.detective_services()
    seeder.security_findings()
    report.limitations += LIMITATIONS
    if size:
        extra_started = time.perf_counter()
        use_backends = in_process if in_process is not None else _moto_in_this_process(seeder)
        if use_backends:
            _ExtraInProcess(account_id, region).create(size, report)
            report.extra_path = "in-process"
        else:
            _ExtraOverHttp(clients).create(size, report)
            report.extra_path = "http"
        report.extra_seconds = round(time.perf_counter() - extra_started, 3)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


LIMITATIONS = [
    "IAM Access Analyzer: moto does not implement it (every accessanalyzer call is an HTTP 500), so "
    "'no analyzer' is seeded only in the sense that none can exist; a scanner sees an error.",
    "Account-level S3 Block Public Access is left unconfigured, but boto3's s3control client puts "
    "the account id into the host name (123456789012.127.0.0.1), which does not resolve: reading "
    "it from the simulator needs a client that rewrites the host back.",
    "GuardDuty, Config and Access Analyzer are 'off' because nothing was ever created: a reset "
    "moto account has none.",
    "CloudTrail logs nothing to its bucket and S3 keeps no access logs: the settings are real, "
    "the delivered files are not.",
    "S3 access points: moto keeps them account-wide, each with a us-east-1 ARN whatever its "
    "bucket's region, so a scan finds them in us-east-1 only.",
    "moto's default security group has no inbound rule; the seed adds AWS's own (all traffic "
    "from the group itself), so the 'default security group closed' control fails as in AWS.",
    "TLS-only bucket policies use Principal {'AWS': '*'} (the same as '*' in AWS): moto's "
    "PutBucketLogging fails on a target bucket whose policy has a plain '*' Principal.",
    "The root user's credentials exist only in the credential report, GetAccountSummary and "
    "ListVirtualMFADevices (patches/credential_report.py); no request can be signed with them.",
]


class _Clients:
    """The administrator's boto3 clients of one region, made once per service and reused."""

    def __init__(self, sim: SimulatorClient, region: str) -> None:
        self.region = region
        self._sim = sim
        self._made: dict[str, Any] = {}
        self._lock = threading.Lock()

    def __call__(self, service: str) -> Any:
        with self._lock:
            if service not in self._made:
                self._made[service] = self._sim.client(service, region=self.region)
            return self._made[service]


@functools.cache
def _clients(endpoint: str, region: str) -> _Clients:
    """One set of clients per simulator and region, for every seeding of it."""
    return _Clients(SimulatorClient(endpoint), region)


def _post(sim: SimulatorClient, path: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(  # noqa: S310 - loopback simulator endpoint
        sim.endpoint + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        raw = response.read()
    return json.loads(raw) if raw else {}


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _tolerate(call: Callable[[], Any], *codes: str) -> Any:
    """`call()`, or None when it fails with one of `codes` (the thing is already there)."""
    try:
        return call()
    except ClientError as exc:
        if _code(exc) in codes:
            return None
        raise


def _tags(name: str, **more: str) -> list[dict[str, str]]:
    return [{"Key": "Name", "Value": name}, *({"Key": k, "Value": v} for k, v in more.items())]


def _iso(moment: datetime) -> str:
    return moment.isoformat()


class _Seeder:
    def __init__(
        self, sim: SimulatorClient, clients: _Clients, account_id: str, now: datetime, report: SeedReport
    ) -> None:
        self.sim = sim
        self.client = clients
        self.region = clients.region
        self.account_id = account_id
        self.now = now
        self.report = report
        self.public_bucket = f"{PREFIX}public-assets"

    def days_ago(self, days: float) -> datetime:
        return self.now - timedelta(days=days)

    # -- S3 --------------------------------------------------------------------------------

    def _bucket(self, name: str) -> str:
        s3 = self.client("s3")
        kwargs: dict[str, Any] = {"Bucket": name}
        if self.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        _tolerate(lambda: s3.create_bucket(**kwargs), "BucketAlreadyOwnedByYou")
        return self.report.add("s3_bucket", name)

    def _sse(self, name: str, algorithm: str = "AES256") -> None:
        """Default encryption (AWS applies SSE-S3 to every new bucket; moto applies none)."""
        self.client("s3").put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": algorithm},
                        "BucketKeyEnabled": True,
                    }
                ]
            },
        )

    def _block_public_access(self, name: str, on: bool) -> None:
        self.client("s3").put_public_access_block(
            Bucket=name,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": on,
                "IgnorePublicAcls": on,
                "BlockPublicPolicy": on,
                "RestrictPublicBuckets": on,
            },
        )

    def _tls_only(self, name: str, extra: list[dict[str, Any]] | None = None) -> None:
        statements = [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                # Same as "*" in AWS; moto's PutBucketLogging fails on a target whose policy has a
                # string Principal.
                "Principal": {"AWS": "*"},
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            *(extra or []),
        ]
        policy = {"Version": "2012-10-17", "Statement": statements}
        self.client("s3").put_bucket_policy(Bucket=name, Policy=json.dumps(policy))

    def s3(self) -> None:
        s3 = self.client("s3")
        public = self._bucket(self.public_bucket)
        # Public as it is made public in AWS: BPA off, ACLs re-enabled, public-read, open policy.
        self._block_public_access(public, on=False)
        s3.put_bucket_ownership_controls(
            Bucket=public, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
        )
        s3.put_bucket_acl(Bucket=public, ACL="public-read")
        s3.put_bucket_policy(
            Bucket=public,
            Policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "PublicRead",
                            "Effect": "Allow",
                            "Principal": "*",
                            "Action": "s3:GetObject",
                            "Resource": f"arn:aws:s3:::{public}/*",
                        }
                    ],
                }
            ),
        )
        self._sse(public)
        s3.put_bucket_tagging(
            Bucket=public, Tagging={"TagSet": [{"Key": "purpose", "Value": "website-assets"}]}
        )
        s3.put_object(Bucket=public, Key="index.html", Body=b"<h1>assets</h1>", ContentType="text/html")

        logs = self._bucket(f"{PREFIX}access-logs")
        self._block_public_access(logs, on=True)
        s3.put_bucket_ownership_controls(
            Bucket=logs, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        )
        self._sse(logs)
        s3.put_bucket_versioning(Bucket=logs, VersioningConfiguration={"Status": "Enabled"})
        self._tls_only(
            logs,
            [
                {
                    "Sid": "S3ServerAccessLogsPolicy",
                    "Effect": "Allow",
                    "Principal": {"Service": "logging.s3.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": f"arn:aws:s3:::{logs}/*",
                    "Condition": {"StringEquals": {"aws:SourceAccount": self.account_id}},
                }
            ],
        )

        private = self._bucket(f"{PREFIX}private-records")
        self._block_public_access(private, on=True)
        s3.put_bucket_ownership_controls(
            Bucket=private, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        )
        self._sse(private, "aws:kms")
        s3.put_bucket_versioning(Bucket=private, VersioningConfiguration={"Status": "Enabled"})
        self._tls_only(private)
        s3.put_bucket_logging(
            Bucket=private,
            BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": logs, "TargetPrefix": f"{private}/"}},
        )
        s3.put_bucket_lifecycle_configuration(
            Bucket=private,
            LifecycleConfiguration={
                "Rules": [
                    {
                        "ID": "expire-old-versions",
                        "Status": "Enabled",
                        "Filter": {},
                        "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
                    }
                ]
            },
        )

        self.report.fails("S3 bucket is publicly readable: its ACL grants AllUsers READ", public)
        self.report.fails("S3 bucket policy allows anyone (Principal '*') to read objects", public)
        self.report.fails("S3 Block Public Access is off on the bucket", public)
        self.report.fails("S3 account-level Block Public Access is not configured", self.account_id)
        self.report.fails("S3 bucket policy does not deny non-TLS requests (aws:SecureTransport)", public)
        self.report.fails("S3 bucket versioning is not enabled", public)
        self.report.fails("S3 server access logging is not enabled", public, logs)
        self.report.fails("S3 bucket ACLs still apply (object ownership not enforced)", public)
        self.report.fails(
            "S3 bucket has no lifecycle rules, event notifications or Object Lock", public, logs
        )
        self.report.passes(
            "S3 bucket private: Block Public Access on, ACLs disabled, SSE-KMS, versioning with a "
            "lifecycle rule for old versions, TLS-only policy, access logging",
            private,
        )
        self._access_points(public, private)

    def _access_points(self, public: str, private: str) -> None:
        """A CDN partner's access point to the assets bucket, created with Block Public Access off
        (it cannot be turned on afterwards), and the analytics team's with AWS's defaults (all on)."""
        s3control = self.client("s3control")
        settings = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
        points = {
            f"{PREFIX}assets-cdn-partner": (public, dict.fromkeys(settings, False)),
            f"{PREFIX}records-analytics": (private, None),
        }
        for name, (bucket, block) in points.items():
            extra = {"PublicAccessBlockConfiguration": block} if block else {}
            create = functools.partial(
                s3control.create_access_point, AccountId=self.account_id, Name=name, Bucket=bucket, **extra
            )
            _tolerate(create, "AccessPointAlreadyOwnedByYou")
            self.report.add("s3_access_point", name)
        self.report.fails("S3 access point has Block Public Access off", f"{PREFIX}assets-cdn-partner")
        self.report.passes("S3 access point blocks public access", f"{PREFIX}records-analytics")

    # -- VPC, security groups, EC2 ------------------------------------------------------------

    def _group(self, name: str, description: str, vpc_id: str) -> str:
        ec2 = self.client("ec2")
        found = ec2.describe_security_groups(
            Filters=[{"Name": "group-name", "Values": [name]}, {"Name": "vpc-id", "Values": [vpc_id]}]
        )["SecurityGroups"]
        if found:
            group_id = str(found[0]["GroupId"])
        else:
            group_id = str(
                ec2.create_security_group(
                    GroupName=name,
                    Description=description,
                    VpcId=vpc_id,
                    TagSpecifications=[{"ResourceType": "security-group", "Tags": _tags(name)}],
                )["GroupId"]
            )
        self.report.add("security_group", f"{name} ({group_id})")
        return group_id

    def _ingress(self, group_id: str, permission: dict[str, Any]) -> None:
        _tolerate(
            lambda: self.client("ec2").authorize_security_group_ingress(
                GroupId=group_id, IpPermissions=[permission]
            ),
            "InvalidPermission.Duplicate",
        )

    def network_and_ec2(self) -> None:
        ec2 = self.client("ec2")
        default_vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
        if not default_vpc:
            raise RuntimeError(f"the simulated account has no default VPC in {self.region}")
        vpc_id = str(default_vpc[0]["VpcId"])
        # AWS's default security group lets its members talk to each other; moto's has no rule.
        default_group = ec2.describe_security_groups(
            Filters=[{"Name": "group-name", "Values": ["default"]}, {"Name": "vpc-id", "Values": [vpc_id]}]
        )["SecurityGroups"][0]["GroupId"]
        self._ingress(default_group, {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": default_group}]})

        ssh = self._group(f"{PREFIX}ssh-open-to-world", "SSH from anywhere", vpc_id)
        self._ingress(
            ssh,
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "SSH from anywhere"}],
            },
        )
        rdp = self._group(f"{PREFIX}rdp-open-to-world-ipv6", "RDP from any IPv6 address", vpc_id)
        self._ingress(
            rdp,
            {
                "IpProtocol": "tcp",
                "FromPort": 3389,
                "ToPort": 3389,
                "Ipv6Ranges": [{"CidrIpv6": "::/0", "Description": "RDP from anywhere (IPv6)"}],
            },
        )

        # A VPC of the application's own, without flow logs (as the default VPC).
        app_vpc_name = f"{PREFIX}app-vpc-no-flow-logs"
        found = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [app_vpc_name]}])["Vpcs"]
        if found:
            app_vpc = str(found[0]["VpcId"])
        else:
            app_vpc = str(
                ec2.create_vpc(
                    CidrBlock=DEMO_VPC_CIDR,
                    TagSpecifications=[{"ResourceType": "vpc", "Tags": _tags(app_vpc_name)}],
                )["Vpc"]["VpcId"]
            )
            ec2.create_subnet(
                VpcId=app_vpc,
                CidrBlock="10.77.1.0/24",
                AvailabilityZone=f"{self.region}a",
                TagSpecifications=[{"ResourceType": "subnet", "Tags": _tags(f"{PREFIX}app-subnet-a")}],
            )
        self.report.add("vpc", f"{app_vpc_name} ({app_vpc})")

        ec2.disable_ebs_encryption_by_default()

        instance_name = f"{PREFIX}web-imdsv1-public-ip"
        running = ec2.describe_instances(
            Filters=[
                {"Name": "tag:Name", "Values": [instance_name]},
                {"Name": "instance-state-name", "Values": ["pending", "running"]},
            ]
        )["Reservations"]
        if running:
            instance_id = str(running[0]["Instances"][0]["InstanceId"])
        else:
            subnet = ec2.describe_subnets(
                Filters=[
                    {"Name": "vpc-id", "Values": [vpc_id]},
                    {"Name": "default-for-az", "Values": ["true"]},
                ]
            )["Subnets"]
            subnet_id = str(subnet[0]["SubnetId"]) if subnet else None
            interface: dict[str, Any] = {"DeviceIndex": 0, "AssociatePublicIpAddress": True, "Groups": [ssh]}
            if subnet_id is not None:
                interface["SubnetId"] = subnet_id
            instance_id = str(
                ec2.run_instances(
                    ImageId=AMI_ID,
                    InstanceType="t3.micro",
                    MinCount=1,
                    MaxCount=1,
                    NetworkInterfaces=[interface],
                    MetadataOptions={
                        "HttpTokens": "optional",
                        "HttpEndpoint": "enabled",
                        "HttpPutResponseHopLimit": 2,
                    },
                    TagSpecifications=[{"ResourceType": "instance", "Tags": _tags(instance_name)}],
                )["Instances"][0]["InstanceId"]
            )
        self.report.add("ec2_instance", f"{instance_name} ({instance_id})")
        volumes = ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [instance_id]}])[
            "Volumes"
        ]
        root_volumes = [str(v["VolumeId"]) for v in volumes]

        self.report.fails("Security group allows SSH (22) from 0.0.0.0/0", f"{PREFIX}ssh-open-to-world")
        self.report.fails("Security group allows RDP (3389) from ::/0", f"{PREFIX}rdp-open-to-world-ipv6")
        self.report.fails(
            "The VPC's default security group allows traffic (AWS's default rules)", default_group
        )
        self.report.fails("EC2 instance allows IMDSv1 (HttpTokens optional)", instance_id)
        self.report.fails("EC2 instance has a public IP address", instance_id)
        self.report.fails("EBS volume is not encrypted", *root_volumes)
        self.report.fails(f"EBS encryption by default is off in {self.region}", self.region)
        self.report.fails("VPC flow logs are not enabled", vpc_id, app_vpc)
        self.report.fails("Security group is attached to no network interface", rdp)
        self.report.passes("Security group is attached to a network interface (the instance's)", ssh)
        self._network_leftovers(app_vpc)
        self._network_services(vpc_id, app_vpc)

    def _network_leftovers(self, app_vpc: str) -> None:
        """What a migration leaves behind: an Elastic IP and a network ACL attached to nothing."""
        ec2 = self.client("ec2")
        tagged = [{"Name": "tag:Name", "Values": [f"{PREFIX}old-bastion-ip"]}]
        addresses = ec2.describe_addresses(Filters=tagged)["Addresses"]
        if addresses:
            allocation = str(addresses[0]["AllocationId"])
        else:
            allocation = str(ec2.allocate_address(Domain="vpc")["AllocationId"])
            ec2.create_tags(Resources=[allocation], Tags=_tags(f"{PREFIX}old-bastion-ip"))
        self.report.add("elastic_ip", allocation)
        self.report.fails("Elastic IP is associated with nothing", allocation)
        acl_name = f"{PREFIX}old-dmz-acl"
        acls = ec2.describe_network_acls(Filters=[{"Name": "tag:Name", "Values": [acl_name]}])["NetworkAcls"]
        if acls:
            acl = str(acls[0]["NetworkAclId"])
        else:
            acl = str(
                ec2.create_network_acl(
                    VpcId=app_vpc,
                    TagSpecifications=[{"ResourceType": "network-acl", "Tags": _tags(acl_name)}],
                )["NetworkAcl"]["NetworkAclId"]
            )
        self.report.add("network_acl", f"{acl_name} ({acl})")
        self.report.fails("Network ACL is associated with no subnet", acl)
        self.report.fails("Default subnets assign public IPv4 addresses on launch", "default VPC subnets")

    def _network_services(self, vpc_id: str, app_vpc: str) -> None:
        """An EC2 API endpoint in the application VPC only, a launch template handing out public
        IPs (and a private one beside it), and a transit gateway accepting any shared attachment."""
        ec2 = self.client("ec2")
        service = f"com.amazonaws.{self.region}.ec2"
        endpoints = ec2.describe_vpc_endpoints(
            Filters=[{"Name": "vpc-id", "Values": [app_vpc]}, {"Name": "service-name", "Values": [service]}]
        )["VpcEndpoints"]
        if endpoints:
            endpoint = str(endpoints[0]["VpcEndpointId"])
        else:
            subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [app_vpc]}])["Subnets"]
            endpoint = str(
                ec2.create_vpc_endpoint(
                    VpcId=app_vpc,
                    ServiceName=service,
                    VpcEndpointType="Interface",
                    SubnetIds=[str(s["SubnetId"]) for s in subnets],
                    PrivateDnsEnabled=True,
                    TagSpecifications=[
                        {"ResourceType": "vpc-endpoint", "Tags": _tags(f"{PREFIX}app-ec2-api")}
                    ],
                )["VpcEndpoint"]["VpcEndpointId"]
            )
        self.report.add("vpc_endpoint", f"{PREFIX}app-ec2-api ({endpoint})")
        self.report.fails("VPC has no interface endpoint for the EC2 API", vpc_id)
        self.report.passes("VPC has an interface endpoint for the EC2 API", app_vpc)

        public_data = {"NetworkInterfaces": [{"DeviceIndex": 0, "AssociatePublicIpAddress": True}]}
        private_data = {"NetworkInterfaces": [{"DeviceIndex": 0, "AssociatePublicIpAddress": False}]}
        for name, data in (("web-asg-public-ip", public_data), ("worker-private", private_data)):
            template = f"{PREFIX}{name}"
            create = functools.partial(
                ec2.create_launch_template,
                LaunchTemplateName=template,
                LaunchTemplateData={"ImageId": AMI_ID, "InstanceType": "t3.micro", **data},
            )
            _tolerate(create, "InvalidLaunchTemplateName.AlreadyExistsException")
            self.report.add("launch_template", template)
        self.report.fails(
            "Launch template assigns public IPs to network interfaces", f"{PREFIX}web-asg-public-ip"
        )
        self.report.passes("Launch template assigns no public IP", f"{PREFIX}worker-private")

        tagged = [{"Name": "tag:Name", "Values": [f"{PREFIX}shared-tgw-auto-accept"]}]
        gateways = [
            g
            for g in ec2.describe_transit_gateways(Filters=tagged)["TransitGateways"]
            if g.get("State") not in ("deleting", "deleted")
        ]
        if gateways:
            gateway = str(gateways[0]["TransitGatewayId"])
        else:
            gateway = str(
                ec2.create_transit_gateway(
                    Description="Shared with the organization; attachments accepted without review",
                    Options={"AutoAcceptSharedAttachments": "enable"},
                    TagSpecifications=[
                        {"ResourceType": "transit-gateway", "Tags": _tags(f"{PREFIX}shared-tgw-auto-accept")}
                    ],
                )["TransitGateway"]["TransitGatewayId"]
            )
        self.report.add("transit_gateway", f"{PREFIX}shared-tgw-auto-accept ({gateway})")
        self.report.fails("Transit gateway accepts shared VPC attachments automatically", gateway)

    # -- IAM -------------------------------------------------------------------------------

    def _user(self, name: str) -> str:
        _tolerate(
            lambda: self.client("iam").create_user(
                UserName=name, Tags=[{"Key": "seeded-by", "Value": "cloudwarden"}]
            ),
            "EntityAlreadyExists",
        )
        return self.report.add("iam_user", name)

    def _keys(self, user: str, count: int) -> list[str]:
        """`count` access keys of `user`, reusing the ones it has."""
        iam = self.client("iam")
        keys = [str(k["AccessKeyId"]) for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]]
        while len(keys) < count:
            keys.append(str(iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]))
        return keys[:count]

    def iam(self) -> None:
        iam = self.client("iam")
        iam.update_account_password_policy(
            MinimumPasswordLength=8,
            RequireSymbols=False,
            RequireNumbers=False,
            RequireUppercaseCharacters=False,
            RequireLowercaseCharacters=False,
            AllowUsersToChangePassword=True,
        )

        console = self._user(f"{PREFIX}console-user-no-mfa")
        _tolerate(
            lambda: iam.create_login_profile(
                UserName=console,
                Password="Summer2024!",  # noqa: S106 - the weak password of a demo user
                PasswordResetRequired=False,
            ),
            "EntityAlreadyExists",
        )
        stale = self._user(f"{PREFIX}stale-access-key")
        (stale_key,) = self._keys(stale, 1)
        two = self._user(f"{PREFIX}two-active-keys")
        two_keys = self._keys(two, 2)
        inline = self._user(f"{PREFIX}inline-policy")
        iam.put_user_policy(
            UserName=inline,
            PolicyName=f"{PREFIX}inline-s3-full-access",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
                }
            ),
        )

        policy_name = f"{PREFIX}full-admin-star-star"
        policy_arn = f"arn:aws:iam::{self.account_id}:policy/{policy_name}"
        _tolerate(
            lambda: iam.create_policy(
                PolicyName=policy_name,
                Description="Allows every action on every resource",
                PolicyDocument=json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
                    }
                ),
            ),
            "EntityAlreadyExists",
        )
        self.report.add("iam_policy", policy_name)
        group = f"{PREFIX}admins"
        _tolerate(lambda: iam.create_group(GroupName=group), "EntityAlreadyExists")
        iam.attach_group_policy(GroupName=group, PolicyArn=policy_arn)
        iam.add_user_to_group(GroupName=group, UserName=console)
        self.report.add("iam_group", group)

        # What moto's API cannot date: ages and last uses, through backdate_iam.
        self.sim.inject(
            "backdate_iam",
            account_id=self.account_id,
            region=self.region,
            payload={
                "users": [
                    {
                        "user_name": console,
                        "created": _iso(self.days_ago(400)),
                        "password_last_used": _iso(self.days_ago(2)),
                    },
                    {
                        "user_name": stale,
                        "created": _iso(self.days_ago(210)),
                        "access_keys": [
                            {
                                "access_key_id": stale_key,
                                "created": _iso(self.days_ago(200)),
                                "last_used": None,
                            }
                        ],
                    },
                    {
                        "user_name": two,
                        "created": _iso(self.days_ago(120)),
                        "access_keys": [
                            {
                                "access_key_id": two_keys[0],
                                "created": _iso(self.days_ago(110)),
                                "last_used": _iso(self.days_ago(1)),
                                "last_used_service": "s3",
                            },
                            {
                                "access_key_id": two_keys[1],
                                "created": _iso(self.days_ago(30)),
                                "last_used": _iso(self.days_ago(3)),
                                "last_used_service": "dynamodb",
                            },
                        ],
                    },
                    {"user_name": inline, "created": _iso(self.days_ago(60))},
                ]
            },
        )

        self.report.fails("IAM user with a console password has no MFA", console)
        self.report.fails("IAM user's access key is older than 90 days", stale, f"{two} (key 1, 110 days)")
        self.report.fails("IAM user's access key has not been used for 45 days or more (never used)", stale)
        self.report.fails("IAM user has two active access keys", two)
        self.report.fails("IAM user has an inline policy (permissions not managed through groups)", inline)
        self.report.fails(
            "Customer-managed policy allows full administrative privileges ('*:*')",
            f"{policy_name} (on {group})",
        )
        self.report.fails(
            "Password policy: minimum length 8 (< 14), no password reuse prevention, no symbols, "
            "numbers, upper or lower case required, passwords never expire",
            "account password policy",
        )

    def root(self) -> None:
        self.sim.inject(
            "root_credentials",
            account_id=self.account_id,
            region=self.region,
            payload={
                "account_created": _iso(self.days_ago(3 * 365)),
                "access_keys": [
                    {
                        "active": True,
                        "last_rotated": _iso(self.days_ago(700)),
                        "last_used": _iso(self.days_ago(6)),
                        "last_used_service": "ec2",
                    }
                ],
                "mfa_active": False,
                "password_last_used": _iso(self.days_ago(4)),
            },
        )
        self.report.add("root_credentials", "root access key (active, 700 days old), no MFA")
        self.report.fails("Root user has an active access key", "<root_account>")
        self.report.fails("Root user has no MFA (neither virtual nor hardware)", "<root_account>")
        self.report.fails(
            "Root user was used recently (password 4 days ago, key 6 days ago)", "<root_account>"
        )

    # -- data, logging, keys, compute -------------------------------------------------------

    def _db_subnet_group(self) -> str:
        """A DB subnet group over the default VPC's subnets: where AWS puts an instance created
        without one (moto leaves such an instance outside any VPC, as EC2-Classic was)."""
        ec2, name = self.client("ec2"), f"{PREFIX}db-default-vpc"
        vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
        _tolerate(
            lambda: self.client("rds").create_db_subnet_group(
                DBSubnetGroupName=name,
                DBSubnetGroupDescription="The default VPC's subnets",
                SubnetIds=[s["SubnetId"] for s in subnets[:3]],
            ),
            "DBSubnetGroupAlreadyExists",
        )
        return name

    def rds(self) -> None:
        name = f"{PREFIX}db-public-unencrypted"
        subnet_group = self._db_subnet_group()
        _tolerate(
            lambda: self.client("rds").create_db_instance(
                DBInstanceIdentifier=name,
                DBInstanceClass="db.t3.micro",
                Engine="postgres",
                MasterUsername="dbadmin",
                MasterUserPassword="ChangeMe12345",
                AllocatedStorage=20,
                PubliclyAccessible=True,
                StorageEncrypted=False,
                DeletionProtection=False,
                MultiAZ=False,
                DBSubnetGroupName=subnet_group,
                Tags=_tags(name),
            ),
            "DBInstanceAlreadyExists",
        )
        self.report.add("rds_instance", name)
        self.report.fails("RDS instance storage is not encrypted", name)
        self.report.fails("RDS instance is publicly accessible", name)
        self.report.fails("RDS instance has no deletion protection", name)
        self.report.fails("RDS instance is not Multi-AZ", name)
        self.report.fails("RDS instance has no IAM database authentication", name)
        self.report.fails("RDS instance listens on its engine's default port (5432)", name)
        self.report.fails("RDS for PostgreSQL instance does not publish its postgresql log", name)
        self.report.fails("RDS for PostgreSQL instance does not force TLS (rds.force_ssl)", name)
        self.report.passes("RDS instance is deployed in a VPC", name)
        # An Aurora MySQL cluster with one writer: left as the console's quick path leaves it.
        cluster, rds = f"{PREFIX}aurora-orders", self.client("rds")
        if not rds.describe_db_clusters(Filters=[{"Name": "db-cluster-id", "Values": [cluster]}])[
            "DBClusters"
        ]:
            rds.create_db_cluster(
                DBClusterIdentifier=cluster,
                Engine="aurora-mysql",
                MasterUsername="orders_owner",
                MasterUserPassword="ChangeMe12345",
                StorageEncrypted=True,
                DeletionProtection=False,
                DBSubnetGroupName=subnet_group,
                Tags=_tags(cluster),
            )
            rds.create_db_instance(
                DBInstanceIdentifier=f"{cluster}-writer",
                DBClusterIdentifier=cluster,
                DBInstanceClass="db.r6g.large",
                Engine="aurora-mysql",
                AvailabilityZone=f"{self.region}a",
                DBSubnetGroupName=subnet_group,
            )
        self.report.add("rds_cluster", cluster)
        self.report.fails("RDS cluster runs in a single Availability Zone", cluster)
        self.report.fails("RDS cluster has no IAM database authentication", cluster)
        self.report.fails("Aurora MySQL cluster has no backtracking", cluster)
        self.report.fails("RDS cluster has no deletion protection", cluster)
        self.report.passes("RDS cluster storage is encrypted", cluster)
        self.report.fails("Aurora MySQL cluster does not publish its audit log", cluster)
        self._rds_event_subscriptions()

    def _rds_event_subscriptions(self) -> None:
        """Failures only reach the on-call; maintenance and configuration changes go unheard.
        Parameter group changes are subscribed to; clusters and DB security groups are not."""
        topic = self.client("sns").create_topic(Name=f"{PREFIX}rds-alerts")["TopicArn"]
        rds = self.client("rds")
        instances, groups = f"{PREFIX}rds-instance-failures", f"{PREFIX}rds-parameter-changes"
        for name, source, categories in (
            (instances, "db-instance", ["failure"]),
            (groups, "db-parameter-group", ["configuration change"]),
        ):
            create = functools.partial(
                rds.create_event_subscription,
                SubscriptionName=name,
                SnsTopicArn=topic,
                SourceType=source,
                EventCategories=categories,
                Enabled=True,
            )
            _tolerate(create, "SubscriptionAlreadyExist")
            self.report.add("rds_event_subscription", name)
        self.report.fails(
            "RDS event subscription for instances lacks maintenance and configuration change", instances
        )
        self.report.passes("RDS event subscription sends parameter group configuration changes", groups)
        self.report.fails(
            "No RDS event subscription sends DB cluster maintenance and failure events", self.region
        )
        self.report.fails("No RDS event subscription sends DB security group events", self.region)

    def cloudtrail(self) -> None:
        bucket = self._bucket(f"{PREFIX}cloudtrail-logs-no-access-logging")
        self._block_public_access(bucket, on=True)
        self._sse(bucket)
        arn = f"arn:aws:cloudtrail:{self.region}:{self.account_id}:trail/{PREFIX}trail-single-region"
        self.client("s3").put_bucket_policy(
            Bucket=bucket,
            Policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "AWSCloudTrailAclCheck",
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudtrail.amazonaws.com"},
                            "Action": "s3:GetBucketAcl",
                            "Resource": f"arn:aws:s3:::{bucket}",
                            "Condition": {"StringEquals": {"aws:SourceArn": arn}},
                        },
                        {
                            "Sid": "AWSCloudTrailWrite",
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudtrail.amazonaws.com"},
                            "Action": "s3:PutObject",
                            "Resource": f"arn:aws:s3:::{bucket}/AWSLogs/{self.account_id}/*",
                            "Condition": {
                                "StringEquals": {
                                    "s3:x-amz-acl": "bucket-owner-full-control",
                                    "aws:SourceArn": arn,
                                }
                            },
                        },
                    ],
                }
            ),
        )
        trail = f"{PREFIX}trail-single-region"
        cloudtrail = self.client("cloudtrail")
        _tolerate(
            lambda: cloudtrail.create_trail(
                Name=trail,
                S3BucketName=bucket,
                IsMultiRegionTrail=False,
                EnableLogFileValidation=False,
                IncludeGlobalServiceEvents=True,
            ),
            "TrailAlreadyExistsException",
        )
        cloudtrail.start_logging(Name=trail)
        self.report.add("cloudtrail_trail", trail)
        self.report.fails("No multi-region CloudTrail trail (the only trail is single-region)", trail)
        self.report.fails("CloudTrail log file validation is not enabled", trail)
        self.report.fails("CloudTrail logs are not encrypted with KMS (SSE-KMS)", trail)
        self.report.fails("CloudTrail trail is not integrated with CloudWatch Logs", trail)
        self.report.fails("S3 access logging is not enabled on the CloudTrail bucket", bucket)
        self.report.fails("S3 bucket versioning is not enabled", bucket)
        self.report.passes("A CloudTrail trail is logging in the region", self.region)
        self.report.passes("The CloudTrail bucket is not publicly accessible", bucket)
        self._legacy_trail()

    def _legacy_trail(self) -> None:
        """A proof-of-concept trail, stopped but never deleted, whose bucket was opened to a
        vendor's log tool with a public-read ACL: its old logs are readable by anyone."""
        bucket = self._bucket(f"{PREFIX}poc-trail-logs-public")
        trail = f"{PREFIX}trail-poc-stopped"
        arn = f"arn:aws:cloudtrail:{self.region}:{self.account_id}:trail/{trail}"
        s3 = self.client("s3")
        self._block_public_access(bucket, on=False)
        s3.put_bucket_ownership_controls(
            Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
        )
        s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
        self._sse(bucket)
        statements = [
            {
                "Sid": sid,
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": action,
                "Resource": resource,
                "Condition": {"StringEquals": {"aws:SourceArn": arn}},
            }
            for sid, action, resource in (
                ("AWSCloudTrailAclCheck", "s3:GetBucketAcl", f"arn:aws:s3:::{bucket}"),
                ("AWSCloudTrailWrite", "s3:PutObject", f"arn:aws:s3:::{bucket}/AWSLogs/{self.account_id}/*"),
            )
        ]
        s3.put_bucket_policy(
            Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": statements})
        )
        cloudtrail = self.client("cloudtrail")
        _tolerate(
            lambda: cloudtrail.create_trail(Name=trail, S3BucketName=bucket, IsMultiRegionTrail=False),
            "TrailAlreadyExistsException",
        )
        cloudtrail.stop_logging(Name=trail)
        self.report.add("cloudtrail_trail", trail)
        self.report.fails(
            "The CloudTrail bucket is publicly readable (ACL grants AllUsers READ, Block Public Access off)",
            bucket,
        )
        self.report.fails(
            "CloudTrail trail is stopped, without log file validation, KMS encryption or CloudWatch Logs",
            trail,
        )

    def kms(self) -> None:
        kms = self.client("kms")
        alias = f"alias/{PREFIX}app-data-no-rotation"
        existing = [
            a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == alias and a.get("TargetKeyId")
        ]
        if existing:
            key_id = str(existing[0]["TargetKeyId"])
        else:
            key_id = str(
                kms.create_key(
                    Description=f"{PREFIX}app-data key, rotation never enabled",
                    KeyUsage="ENCRYPT_DECRYPT",
                    KeySpec="SYMMETRIC_DEFAULT",
                    Tags=[{"TagKey": "Name", "TagValue": f"{PREFIX}app-data-no-rotation"}],
                )["KeyMetadata"]["KeyId"]
            )
            kms.create_alias(AliasName=alias, TargetKeyId=key_id)
        self.report.add("kms_key", f"{alias} ({key_id})")
        self.report.fails("KMS customer managed key rotation is not enabled", key_id)
        self.report.passes("KMS key policy names its principals (the account)", key_id)
        self._public_key()
        self._decrypt_policies(key_id)

    def _public_key(self) -> None:
        """A key shared with a partner: its policy was widened to Principal "*" while debugging a
        cross-account decrypt and never narrowed again. Rotation is on (it fails KMS.5 only)."""
        kms, description = self.client("kms"), f"{PREFIX}partner-exchange key, policy open to anyone"
        keys = [kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"] for k in kms.list_keys()["Keys"]]
        found = [k for k in keys if k.get("Description") == description and k.get("KeyState") == "Enabled"]
        root = f"arn:aws:iam::{self.account_id}:root"
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountAdmin",
                    "Effect": "Allow",
                    "Principal": {"AWS": root},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Sid": "PartnerDecrypt",
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": ["kms:Decrypt", "kms:DescribeKey"],
                    "Resource": "*",
                },
            ],
        }
        key_id = str(found[0]["KeyId"]) if found else ""
        if not key_id:
            key_id = str(
                kms.create_key(
                    Description=description,
                    Policy=json.dumps(policy),
                    Tags=[{"TagKey": "Name", "TagValue": f"{PREFIX}partner-exchange"}],
                )["KeyMetadata"]["KeyId"]
            )
            kms.enable_key_rotation(KeyId=key_id)
        self.report.add("kms_key", f"{PREFIX}partner-exchange ({key_id})")
        self.report.fails('KMS key policy allows anyone (Principal "*") to decrypt', key_id)

    def _decrypt_policies(self, key_id: str) -> None:
        """The reporting role may decrypt with any key (an inline policy and a customer managed
        policy written with Resource "*"); the app's policy names its one key."""
        iam = self.client("iam")
        key_arn = f"arn:aws:kms:{self.region}:{self.account_id}:key/{key_id}"
        decrypt_any = {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*"}
        decrypt_one = {
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": key_arn,
        }
        policies = {}
        for name, statement in (("decrypt-any-key", decrypt_any), ("app-data-decrypt", decrypt_one)):
            policy_name = f"{PREFIX}{name}"
            create = functools.partial(
                iam.create_policy,
                PolicyName=policy_name,
                PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
            )
            _tolerate(create, "EntityAlreadyExists")
            policies[name] = self.report.add("iam_policy", policy_name)
        role = f"{PREFIX}reporting-role"
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
        _tolerate(
            lambda: iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust)),
            "EntityAlreadyExists",
        )
        iam.put_role_policy(
            RoleName=role,
            PolicyName=f"{PREFIX}read-encrypted-exports",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [decrypt_any]}),
        )
        self.report.add("iam_role", role)
        self.report.fails(
            "IAM customer managed policy allows kms:Decrypt on all KMS keys", policies["decrypt-any-key"]
        )
        self.report.passes(
            "IAM customer managed policy allows kms:Decrypt on one named key", policies["app-data-decrypt"]
        )
        self.report.fails("IAM role's inline policy allows kms:Decrypt on all KMS keys", role)

    def lambda_function(self) -> None:
        iam = self.client("iam")
        role = f"{PREFIX}lambda-legacy-role"
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        _tolerate(
            lambda: iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust)),
            "EntityAlreadyExists",
        )
        self.report.add("iam_role", role)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("index.py", "def handler(event, context):\n    return {'statusCode': 200}\n")
        name = f"{PREFIX}legacy-python37-public"
        lam = self.client("lambda")
        _tolerate(
            lambda: lam.create_function(
                FunctionName=name,
                Runtime="python3.7",
                Role=f"arn:aws:iam::{self.account_id}:role/{role}",
                Handler="index.handler",
                Code={"ZipFile": buffer.getvalue()},
                Description="Legacy webhook on a deprecated runtime, invocable by anyone",
            ),
            "ResourceConflictException",
        )
        _tolerate(
            lambda: lam.add_permission(
                FunctionName=name,
                StatementId="AllowAnyone",
                Action="lambda:InvokeFunction",
                Principal="*",
            ),
            "ResourceConflictException",
        )
        self.report.add("lambda_function", name)
        self.report.fails("Lambda function policy allows anyone (Principal '*') to invoke it", name)
        self.report.fails("Lambda function uses a deprecated runtime (python3.7)", name)
        self._vpc_functions(role, buffer.getvalue())

    def _vpc_functions(self, role: str, code: bytes) -> None:
        """Two VPC-connected functions: one in the application VPC's single subnet (one
        Availability Zone), one across two zones of the default VPC."""
        ec2, lam = self.client("ec2"), self.client("lambda")
        vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [f"{PREFIX}app-vpc-no-flow-logs"]}])
        defaults = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])
        placements = (
            ("orders-worker-one-az", str(vpcs["Vpcs"][0]["VpcId"]), 1),
            ("orders-api-two-azs", str(defaults["Vpcs"][0]["VpcId"]), 2),
        )
        for suffix, vpc_id, zones in placements:
            subnets = sorted(
                ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"],
                key=lambda s: str(s["AvailabilityZone"]),
            )
            by_zone = {str(s["AvailabilityZone"]): str(s["SubnetId"]) for s in subnets}
            group = ec2.describe_security_groups(
                Filters=[
                    {"Name": "group-name", "Values": ["default"]},
                    {"Name": "vpc-id", "Values": [vpc_id]},
                ]
            )["SecurityGroups"][0]["GroupId"]
            name = f"{PREFIX}{suffix}"
            create = functools.partial(
                lam.create_function,
                FunctionName=name,
                Runtime="python3.12",
                Role=f"arn:aws:iam::{self.account_id}:role/{role}",
                Handler="index.handler",
                Code={"ZipFile": code},
                VpcConfig={"SubnetIds": list(by_zone.values())[:zones], "SecurityGroupIds": [group]},
            )
            _tolerate(create, "ResourceConflictException")
            self.report.add("lambda_function", name)
        self.report.fails(
            "VPC Lambda function runs in one Availability Zone", f"{PREFIX}orders-worker-one-az"
        )
        self.report.passes(
            "VPC Lambda function runs in two Availability Zones", f"{PREFIX}orders-api-two-azs"
        )

    def ecs(self) -> None:
        ecs = self.client("ecs")
        family = f"{PREFIX}privileged-plaintext-secret"
        try:
            ecs.describe_task_definition(taskDefinition=family)
        except ClientError:
            key_id, secret_key = leaked_key_pair()
            ecs.register_task_definition(
                family=family,
                containerDefinitions=[
                    {
                        "name": "worker",
                        "image": "public.ecr.aws/docker/library/python:3.12",
                        "memory": 512,
                        "essential": True,
                        "privileged": True,
                        "environment": [
                            {"name": "APP_ENV", "value": "production"},
                            {"name": "DB_PASSWORD", "value": "Pr0d-db-Passw0rd!"},
                            {"name": "AWS_ACCESS_KEY_ID", "value": key_id},
                            {"name": "AWS_SECRET_ACCESS_KEY", "value": secret_key},
                        ],
                    }
                ],
            )
        self.report.add("ecs_task_definition", family)
        self.report.fails("ECS task definition runs a privileged container", family)
        self.report.fails(
            "ECS task definition has secrets in plain environment variables "
            "(DB_PASSWORD, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)",
            family,
        )
        self._fargate_service_on_old_platform()

    def _fargate_service_on_old_platform(self) -> None:
        """A Fargate web service pinned to platform 1.3.0 (an old template's), otherwise sound:
        private, logged, read-only, not root, in a cluster with Container Insights."""
        ecs, ec2 = self.client("ecs"), self.client("ec2")
        cluster, family = f"{PREFIX}fargate-apps", f"{PREFIX}web-fargate"
        service = f"{PREFIX}web-old-platform"
        ecs.create_cluster(clusterName=cluster, settings=[{"name": "containerInsights", "value": "enabled"}])
        try:
            ecs.describe_task_definition(taskDefinition=family)
        except ClientError:
            ecs.register_task_definition(
                family=family,
                networkMode="awsvpc",
                requiresCompatibilities=["FARGATE"],
                cpu="256",
                memory="512",
                containerDefinitions=[
                    {
                        "name": "web",
                        "image": "public.ecr.aws/nginx/nginx:1.27",
                        "memory": 512,
                        "essential": True,
                        "user": "101",
                        "readonlyRootFilesystem": True,
                        "logConfiguration": {
                            "logDriver": "awslogs",
                            "options": {"awslogs-group": f"/ecs/{family}", "awslogs-region": self.region},
                        },
                    }
                ],
            )
        if not [s for s in ecs.describe_services(cluster=cluster, services=[service])["services"]]:
            vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
            subnet = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"][0]
            group = ec2.describe_security_groups(
                Filters=[{"Name": "group-name", "Values": ["default"]}, {"Name": "vpc-id", "Values": [vpc]}]
            )["SecurityGroups"][0]["GroupId"]
            ecs.create_service(
                cluster=cluster,
                serviceName=service,
                taskDefinition=family,
                desiredCount=1,
                launchType="FARGATE",
                platformVersion="1.3.0",
                networkConfiguration={
                    "awsvpcConfiguration": {
                        "subnets": [subnet["SubnetId"]],
                        "securityGroups": [group],
                        "assignPublicIp": "DISABLED",
                    }
                },
            )
        self.report.add("ecs_cluster", cluster)
        self.report.add("ecs_task_definition", family)
        self.report.add("ecs_service", service)
        self.report.fails("ECS Fargate service is not on the latest platform version (1.3.0)", service)
        self.report.passes("ECS service does not assign public IPs", service)
        self.report.passes("ECS cluster has Container Insights enabled", cluster)

    def detective_services(self) -> None:
        """Nothing to create: a reset account has no recorder, detector or analyzer. Say so."""
        recorders = self.client("config").describe_configuration_recorders()["ConfigurationRecorders"]
        detectors = self.client("guardduty").list_detectors()["DetectorIds"]
        if recorders:
            self.report.limitations.append(f"AWS Config already records here: {recorders[0]['name']}")
        else:
            self.report.fails(f"AWS Config is not recording in {self.region}", self.region)
        if detectors:
            self.report.limitations.append(f"GuardDuty detector already exists: {detectors[0]}")
        else:
            self.report.fails(f"GuardDuty is not enabled in {self.region}", self.region)
        self.report.fails(f"IAM Access Analyzer is not enabled in {self.region}", self.region)

    def security_findings(self) -> None:
        """Findings of AWS's own security services, for a scan to show beside CloudWarden's.

        Only where the service is on, as the account left it (the demo's workload turns on
        GuardDuty and Security Hub; a reset account has neither, and "GuardDuty is not enabled" is
        one of the seeded failures): two Security Hub control findings (imported as ASFF, as
        Security Hub's own controls report them) and a GuardDuty port probe of the public
        instance. Fixed ids: seeding again updates them.
        """
        made: list[str] = []
        hub = self.client("securityhub")
        try:
            hub.describe_hub()
        except ClientError as exc:
            if _code(exc) != "InvalidAccessException":
                raise
        else:
            findings = self._hub_findings()
            imported = hub.batch_import_findings(Findings=findings)
            if imported.get("FailedCount"):
                raise RuntimeError(f"Security Hub refused seeded findings: {imported.get('FailedFindings')}")
            made += [f["Id"] for f in findings]
        detectors = self.client("guardduty").list_detectors()["DetectorIds"]
        reservations = self.client("ec2").describe_instances(
            Filters=[
                {"Name": "tag:Name", "Values": [f"{PREFIX}web-imdsv1-public-ip"]},
                {"Name": "instance-state-name", "Values": ["pending", "running"]},
            ]
        )["Reservations"]
        if detectors and reservations:
            instance_id = str(reservations[0]["Instances"][0]["InstanceId"])
            recorded = self.sim.inject(
                "guardduty_finding",
                account_id=self.account_id,
                region=self.region,
                payload={
                    "type": "Recon:EC2/PortProbeUnprotectedPort",
                    "severity": 5.0,
                    "title": f"Unprotected port on EC2 instance {instance_id} is being probed.",
                    "created_at": _iso(self.days_ago(2)),
                    "updated_at": _iso(self.now),
                    "count": 37,
                    "finding_id": "cwdemoportprobe",
                    "detector_id": detectors[0],
                    "resource": {"kind": "instance", "instance_id": instance_id},
                },
            )["recorded"]
            made.append(str(recorded["arn"]))
        for finding_id in made:
            self.report.add("security_finding", finding_id)
        if not made:
            self.report.limitations.append(
                "No Security Hub or GuardDuty findings were seeded: neither service is on in "
                f"{self.region} (the demo's workload turns both on)."
            )

    def _hub_findings(self) -> list[dict[str, Any]]:
        """Two findings as Security Hub's own controls (S3.8, EC2.13) report them, in ASFF."""
        ssh = self.client("ec2").describe_security_groups(
            Filters=[{"Name": "group-name", "Values": [f"{PREFIX}ssh-open-to-world"]}]
        )["SecurityGroups"][0]["GroupId"]
        region, account = self.region, self.account_id
        controls = (
            ("S3.8", "S3 general purpose buckets should block public access", "CRITICAL", 90,
             "AwsS3Bucket", f"arn:aws:s3:::{self.public_bucket}"),
            ("EC2.13", "Security groups should not allow ingress from 0.0.0.0/0 or ::/0 to port 22", "HIGH",
             70, "AwsEc2SecurityGroup", f"arn:aws:ec2:{region}:{account}:security-group/{ssh}"),
        )  # fmt: skip
        return [
            {
                "SchemaVersion": "2018-10-08",
                "Id": f"arn:aws:securityhub:{region}:{account}:security-control/{control}/finding/cw-demo-{index}",
                "ProductArn": f"arn:aws:securityhub:{region}::product/aws/securityhub",
                "ProductName": "Security Hub",
                "CompanyName": "AWS",
                "GeneratorId": f"security-control/{control}",
                "AwsAccountId": account,
                "Types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
                "CreatedAt": _iso(self.days_ago(3)),
                "UpdatedAt": _iso(self.now),
                "Severity": {"Label": label, "Normalized": normalized},
                "Title": title,
                "Description": f"{title} ({control}).",
                "Resources": [{"Type": kind, "Id": resource, "Region": region}],
                "Compliance": {"Status": "FAILED"},
                "RecordState": "ACTIVE",
                "Workflow": {"Status": "NEW"},
            }
            for index, (control, title, label, normalized, kind, resource) in enumerate(controls)
        ]


# -- the size knob ---------------------------------------------------------------------------------


def _split(size: int) -> dict[str, int]:
    """`size` spread over the extra kinds as evenly as it divides."""
    base, rest = divmod(size, len(EXTRA_KINDS))
    return {kind: base + (1 if i < rest else 0) for i, kind in enumerate(EXTRA_KINDS)}


def _extra_name(kind: str, index: int) -> str:
    short = {"s3_bucket": "bucket", "security_group": "sg", "iam_user": "user", "ebs_volume": "volume"}[kind]
    return f"{EXTRA_PREFIX}{short}-{index:05d}"


def _moto_in_this_process(seeder: _Seeder) -> bool:
    """Whether the simulator's moto is this process's: the bucket just made over HTTP is here."""
    if "moto.s3.models" not in sys.modules:
        return False
    from moto.s3.models import s3_backends

    try:
        return seeder.public_bucket in s3_backends[seeder.account_id]["aws"].buckets
    except KeyError:
        return False


class _ExtraInProcess:
    """Benign resources written into moto's backends (same objects its API would make)."""

    def __init__(self, account_id: str, region: str) -> None:
        from moto.ec2.models import ec2_backends
        from moto.iam.models import iam_backends
        from moto.s3.models import s3_backends
        from moto.utilities.utils import get_partition

        partition = get_partition(region)
        self.region = region
        self.s3 = s3_backends[account_id][partition]
        self.ec2 = ec2_backends[account_id][region]
        self.iam = iam_backends[account_id][partition]

    def create(self, size: int, report: SeedReport) -> None:
        counts = _split(size)
        makers: dict[str, Callable[[list[str]], None]] = {
            "s3_bucket": self._buckets,
            "security_group": self._groups,
            "iam_user": self._users,
            "ebs_volume": self._volumes,
        }
        for kind, count in counts.items():
            names = [_extra_name(kind, i) for i in range(count)]
            makers[kind](names)
            report.extra[kind] = names

    def _buckets(self, names: list[str]) -> None:
        from moto.s3.models import PublicAccessBlock

        encryption = {
            "Rule": {
                "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                "BucketKeyEnabled": "true",
            }
        }
        for name in names:
            bucket = self.s3.buckets.get(name) or self.s3.create_bucket(name, self.region)
            bucket.public_access_block = PublicAccessBlock(True, True, True, True)
            bucket.encryption = encryption
            bucket.ownership_rule = "BucketOwnerEnforced"  # type: ignore[assignment]  # moto keeps the rule

    def _groups(self, names: list[str]) -> None:
        vpc = self.ec2.get_default_vpc()
        if vpc is None:
            raise RuntimeError(f"the simulated account has no default VPC in {self.region}")
        vpc_id = vpc.id
        existing = {g.name for g in self.ec2.groups.get(vpc_id, {}).values()}
        for name in names:
            if name not in existing:
                self.ec2.create_security_group(
                    name, "Benign application security group", vpc_id=vpc_id, tags={"Name": name}
                )

    def _users(self, names: list[str]) -> None:
        for name in names:
            if name not in self.iam.users:
                self.iam.create_user(self.region, name, path="/scale/")

    def _volumes(self, names: list[str]) -> None:
        tagged = {
            tags.get("Name")
            for resource_id, tags in self.ec2.tags.items()
            if resource_id.startswith("vol-") and isinstance(tags, dict)
        }
        zone = f"{self.region}a"
        for name in names:
            if name in tagged:
                continue
            volume = self.ec2.create_volume(size=8, zone_name=zone, encrypted=True, volume_type="gp3")
            self.ec2.create_tags([volume.id], {"Name": name})


class _ExtraOverHttp:
    """Benign resources through the API: what a simulator in another process allows.

    A few requests in flight at once: with the simulator in another process, its work and the
    client's overlap."""

    WORKERS = 4

    def __init__(self, clients: _Clients) -> None:
        self.region = clients.region
        self.s3 = clients("s3")
        self.ec2 = clients("ec2")
        self.iam = clients("iam")

    def create(self, size: int, report: SeedReport) -> None:
        counts = _split(size)
        vpcs = self.ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
        vpc_id = str(vpcs[0]["VpcId"])
        groups = {
            g["GroupName"]
            for page in self.ec2.get_paginator("describe_security_groups").paginate(
                Filters=[{"Name": "vpc-id", "Values": [vpc_id]}]
            )
            for g in page["SecurityGroups"]
        }
        volumes = {
            t["Value"]
            for page in self.ec2.get_paginator("describe_volumes").paginate(
                Filters=[{"Name": "tag:Name", "Values": [f"{EXTRA_PREFIX}volume-*"]}]
            )
            for v in page["Volumes"]
            for t in v.get("Tags", [])
            if t["Key"] == "Name"
        }
        buckets = {b["Name"] for b in self.s3.list_buckets()["Buckets"]}
        users = {
            u["UserName"]
            for page in self.iam.get_paginator("list_users").paginate(PathPrefix="/scale/")
            for u in page["Users"]
        }
        makers: dict[str, Callable[[str], None]] = {
            "s3_bucket": lambda name: None if name in buckets else self._bucket(name),
            "security_group": lambda name: None if name in groups else self._group(name, vpc_id),
            "iam_user": lambda name: None if name in users else self._user(name),
            "ebs_volume": lambda name: None if name in volumes else self._volume(name),
        }
        with ThreadPoolExecutor(max_workers=self.WORKERS) as pool:
            for kind, count in counts.items():
                names = [_extra_name(kind, i) for i in range(count)]
                list(pool.map(makers[kind], names))
                report.extra[kind] = names

    def _group(self, name: str, vpc_id: str) -> None:
        self.ec2.create_security_group(
            GroupName=name,
            Description="Benign application security group",
            VpcId=vpc_id,
            TagSpecifications=[{"ResourceType": "security-group", "Tags": _tags(name)}],
        )

    def _volume(self, name: str) -> None:
        self.ec2.create_volume(
            AvailabilityZone=f"{self.region}a",
            Size=8,
            VolumeType="gp3",
            Encrypted=True,
            TagSpecifications=[{"ResourceType": "volume", "Tags": _tags(name)}],
        )

    def _user(self, name: str) -> None:
        _tolerate(lambda: self.iam.create_user(UserName=name, Path="/scale/"), "EntityAlreadyExists")

    def _bucket(self, name: str) -> None:
        kwargs: dict[str, Any] = {"Bucket": name}
        if self.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        _tolerate(lambda: self.s3.create_bucket(**kwargs), "BucketAlreadyOwnedByYou")
        self.s3.put_public_access_block(
            Bucket=name,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
        self.s3.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                        "BucketKeyEnabled": True,
                    }
                ]
            },
        )
