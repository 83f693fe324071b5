"""VPCs, security groups, instances, network leftovers, Lambda functions and ECS of the posture seed."""

from __future__ import annotations

import functools
import io
import json
import zipfile
from typing import Any

from botocore.exceptions import ClientError

from cloudwarden.simulator.posture_seed._base import (
    AMI_ID,
    DEMO_VPC_CIDR,
    PREFIX,
    SeederBase,
    _tags,
    _tolerate,
    leaked_key_pair,
)


class ComputeSeeds(SeederBase):
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
