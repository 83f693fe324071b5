"""A realistic customer workload in the simulated account.

A storefront: an ALB in front of an ECS web API, an ECS worker consuming an SQS queue, a
PostgreSQL RDS instance both use, a Lambda the web API invokes, security groups between them,
and CloudWatch alarms on the usual signals routed to SNS. Names are deliberately ordinary and
the diagnosis engine never relies on them: it only sees what the AWS APIs show.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cloudwarden.simulator import extra_fleet
from cloudwarden.simulator.client import SimulatorClient

ADMIN_ACTOR = "arn:aws:iam::{account}:user/platform-admin"
CLUSTER = "prod-main"
WEB = "storefront-api"
WORKER = "order-worker"
DB = "orders-db"
FUNCTION = "image-resizer"
QUEUE = "order-events"
REPORTS = "reports-renderer"  # an EC2 instance the worker sends report jobs to
REPORTS_PORT = 8443
# Application Auto Scaling bounds of the services: (min, max).
CAPACITY = {"web": (2, 8), "worker": (1, 4)}
SECRET_NAME = "prod/orders-db/app"  # noqa: S105 - a secret's name, not its value
PAYMENT_KEY_DESCRIPTION = "storefront payment tokens"


@dataclass
class Workload:
    """What was deployed, by logical reference. Only the harness and injector read this."""

    account_id: str
    region: str
    refs: dict[str, str] = field(default_factory=dict)  # logical ref -> resource key (ARN / id)
    ids: dict[str, str] = field(default_factory=dict)  # logical name -> AWS id / name / url
    alarms: dict[str, dict[str, Any]] = field(default_factory=dict)  # logical alarm -> definition
    log_groups: dict[str, str] = field(default_factory=dict)  # logical ref -> log group
    extras: list[str] = field(default_factory=list)  # logical refs of the extra functions

    def ref(self, logical: str) -> str:
        try:
            return self.refs[logical]
        except KeyError:
            raise ValueError(f"unknown workload resource {logical!r}; known: {sorted(self.refs)}") from None


def _lambda_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return {'ok': True}\n")
    return buffer.getvalue()


def _assume_policy(service: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
        }
    )


def deploy_workload(
    sim: SimulatorClient, *, now: datetime, account_id: str = "123456789012", extra_functions: int = 0
) -> Workload:
    """Create the workload's resources, recorded in CloudTrail as made two days before `now`.

    `extra_functions` more Lambda functions (each with its own role) are deployed for the web API
    to call, to vary how many candidate resources an investigation has to rank.
    """
    region = sim.region
    at = now - timedelta(days=2)
    actor = ADMIN_ACTOR.format(account=account_id)

    def c(service: str) -> Any:
        return sim.acting_client(service, at=at, actor=actor)

    w = Workload(account_id=account_id, region=region)
    w.ids["guardduty_detector"] = c("guardduty").create_detector(Enable=True)["DetectorId"]
    c("securityhub").enable_security_hub(EnableDefaultStandards=False)
    ec2, iam = c("ec2"), c("iam")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=f"{region}{z}")["Subnet"][
            "SubnetId"
        ]
        for i, z in ((1, "a"), (2, "b"))
    ]

    def group(name: str, description: str) -> str:
        gid: str = ec2.create_security_group(GroupName=name, Description=description, VpcId=vpc)["GroupId"]
        w.refs[f"security_group:{name}"] = f"arn:aws:ec2:{region}:{account_id}:security-group/{gid}"
        w.ids[f"sg:{name}"] = gid
        return gid

    sg_alb = group("alb-public", "Public HTTPS")
    sg_web = group("storefront-tasks", "Web API tasks")
    sg_worker = group("worker-tasks", "Worker tasks")
    sg_db = group("orders-db", "PostgreSQL")
    sg_reports = group("reports-hosts", "Report renderer instances")
    ec2.authorize_security_group_ingress(
        GroupId=sg_alb,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
        ],
    )
    ec2.authorize_security_group_ingress(
        GroupId=sg_web,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "UserIdGroupPairs": [{"GroupId": sg_alb}]}
        ],
    )
    ec2.authorize_security_group_ingress(
        GroupId=sg_db,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 5432,
                "ToPort": 5432,
                "UserIdGroupPairs": [{"GroupId": sg_web}, {"GroupId": sg_worker}],
            }
        ],
    )

    ec2.authorize_security_group_ingress(
        GroupId=sg_reports,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": REPORTS_PORT,
                "ToPort": REPORTS_PORT,
                "UserIdGroupPairs": [{"GroupId": sg_worker}],
            }
        ],
    )
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    instance = ec2.run_instances(
        ImageId=image,
        InstanceType="m6i.large",
        MinCount=1,
        MaxCount=1,
        SubnetId=subnets[0],
        SecurityGroupIds=[sg_reports],
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": REPORTS}]}],
    )["Instances"][0]
    w.refs["ec2_instance:reports"] = instance["InstanceId"]
    w.ids["reports_ip"] = instance["PrivateIpAddress"]

    # Roles: task roles with inline and managed permissions, the Lambda's execution role.
    roles: dict[str, str] = {}
    for name, service in (
        ("storefront-task", "ecs-tasks.amazonaws.com"),
        ("order-worker-task", "ecs-tasks.amazonaws.com"),
        ("ecs-task-execution", "ecs-tasks.amazonaws.com"),
        ("image-resizer-exec", "lambda.amazonaws.com"),
    ):
        roles[name] = iam.create_role(RoleName=name, AssumeRolePolicyDocument=_assume_policy(service))[
            "Role"
        ]["Arn"]
        w.refs[f"iam_role:{name}"] = roles[name]
    worker_policy = iam.create_policy(
        PolicyName="order-worker-data-access",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage"],
                        "Resource": "*",
                    },
                    {"Effect": "Allow", "Action": ["dynamodb:PutItem", "dynamodb:GetItem"], "Resource": "*"},
                ],
            }
        ),
    )["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="order-worker-task", PolicyArn=worker_policy)
    w.ids["policy:worker"] = worker_policy

    sqs = c("sqs")
    sqs.create_queue(QueueName=QUEUE)
    # The URL AWS would hand out (moto's carries the loopback endpoint instead).
    queue_url = f"https://sqs.{region}.amazonaws.com/{account_id}/{QUEUE}"
    w.ids["queue_url"] = queue_url
    w.refs["sqs_queue:orders"] = f"arn:aws:sqs:{region}:{account_id}:{QUEUE}"
    secret_arn = c("secretsmanager").create_secret(
        Name=SECRET_NAME, SecretString=json.dumps({"password": "x" * 24})
    )["ARN"]
    w.refs["secret:orders-db"] = secret_arn
    # The key the web API encrypts stored payment tokens with (its ARN is in the API's environment).
    payment_key = c("kms").create_key(Description=PAYMENT_KEY_DESCRIPTION)["KeyMetadata"]["Arn"]
    w.refs["kms_key:payments"] = payment_key

    rds = c("rds")
    db = rds.create_db_instance(
        DBInstanceIdentifier=DB,
        DBInstanceClass="db.r6g.large",
        Engine="postgres",
        EngineVersion="16.3",
        AllocatedStorage=100,
        MasterUsername="app",
        MasterUserPassword="not-a-real-password-1",
        VpcSecurityGroupIds=[sg_db],
        EnableCloudwatchLogsExports=["postgresql"],
    )["DBInstance"]
    w.refs["rds_instance:orders"] = db["DBInstanceArn"]
    endpoint = rds.describe_db_instances(DBInstanceIdentifier=DB)["DBInstances"][0]["Endpoint"]["Address"]
    w.ids["db_endpoint"] = endpoint

    function = c("lambda").create_function(
        FunctionName=FUNCTION,
        Runtime="python3.12",
        Role=roles["image-resizer-exec"],
        Handler="handler.handler",
        Code={"ZipFile": _lambda_zip()},
        MemorySize=1024,
        Timeout=30,
        Environment={"Variables": {"OUTPUT_BUCKET": "storefront-images-prod"}},
    )
    w.refs["lambda_function:resizer"] = function["FunctionArn"]
    c("lambda").put_function_concurrency(FunctionName=FUNCTION, ReservedConcurrentExecutions=50)
    extras = extra_fleet.deploy_functions(c, w, count=extra_functions, zip_file=_lambda_zip())

    elb = c("elbv2")
    lb = elb.create_load_balancer(
        Name="storefront-public", Subnets=subnets, SecurityGroups=[sg_alb], Type="application"
    )["LoadBalancers"][0]
    tg = elb.create_target_group(
        Name="storefront-api-8080", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip"
    )["TargetGroups"][0]
    elb.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}],
    )
    w.refs["load_balancer:public"] = lb["LoadBalancerArn"]
    w.refs["target_group:web"] = tg["TargetGroupArn"]

    ecs, logs = c("ecs"), c("logs")
    cluster = ecs.create_cluster(clusterName=CLUSTER)["cluster"]["clusterArn"]
    w.ids["cluster"] = cluster
    common_env = [
        {"name": "DB_HOST", "value": endpoint},
        {"name": "DB_PORT", "value": "5432"},
        {"name": "QUEUE_URL", "value": queue_url},
    ]
    for logical, name, image, env, role, groups, port in (
        (
            "web",
            WEB,
            "storefront-api:v2.13.4",
            [
                *common_env,
                {"name": "RESIZER_FUNCTION", "value": FUNCTION},
                {"name": "PAYMENT_TOKEN_KEY_ARN", "value": payment_key},
                *extras,
            ],
            "storefront-task",
            [sg_web],
            8080,
        ),
        (
            "worker",
            WORKER,
            "order-worker:v1.8.2",
            [*common_env, {"name": "REPORTS_URL", "value": f"https://{w.ids['reports_ip']}:{REPORTS_PORT}"}],
            "order-worker-task",
            [sg_worker],
            None,
        ),
    ):
        log_group = f"/ecs/{name}"
        logs.create_log_group(logGroupName=log_group)
        w.log_groups[f"ecs_service:{logical}"] = log_group
        td = register_task_definition(
            ecs,
            family=name,
            image=f"{account_id}.dkr.ecr.{region}.amazonaws.com/{image}",
            environment=env,
            secrets=[{"name": "DB_PASSWORD", "valueFrom": secret_arn}],
            task_role=roles[role],
            execution_role=roles["ecs-task-execution"],
            log_group=log_group,
            region=region,
            port=port,
        )
        kwargs: dict[str, Any] = {
            "cluster": cluster,
            "serviceName": name,
            "taskDefinition": td,
            "desiredCount": 4 if logical == "web" else 2,
            "launchType": "FARGATE",
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": subnets, "securityGroups": groups}},
        }
        if port:
            kwargs["loadBalancers"] = [
                {"targetGroupArn": tg["TargetGroupArn"], "containerName": name, "containerPort": port}
            ]
        service = ecs.create_service(**kwargs)["service"]
        w.refs[f"ecs_service:{logical}"] = service["serviceArn"]
        w.ids[f"service:{logical}"] = name
        w.ids[f"task_definition:{logical}"] = td
        low, high = CAPACITY[logical]
        c("application-autoscaling").register_scalable_target(
            ServiceNamespace="ecs",
            ResourceId=f"service/{CLUSTER}/{name}",
            ScalableDimension="ecs:service:DesiredCount",
            MinCapacity=low,
            MaxCapacity=high,
        )
        # ECS in moto never starts a service's tasks: the simulator runs them, steady since setup.
        sim.inject(
            "ecs_service_steady",
            account_id=account_id,
            payload={
                "cluster": cluster,
                "service": name,
                "at": at.isoformat(),
                "count": kwargs["desiredCount"],
            },
        )
    for group_name, ref in (
        (f"/aws/lambda/{FUNCTION}", "lambda_function:resizer"),
        (f"/aws/rds/instance/{DB}/postgresql", "rds_instance:orders"),
    ):
        logs.create_log_group(logGroupName=group_name)
        w.log_groups[ref] = group_name
    return w


def register_task_definition(
    ecs: Any,
    *,
    family: str,
    image: str,
    environment: list[dict[str, str]],
    secrets: list[dict[str, str]],
    task_role: str,
    execution_role: str,
    log_group: str,
    region: str,
    port: int | None,
) -> str:
    container: dict[str, Any] = {
        "name": family,
        "image": image,
        "essential": True,
        "memory": 2048,
        "environment": environment,
        "secrets": secrets,
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {"awslogs-group": log_group, "awslogs-region": region, "awslogs-stream-prefix": "app"},
        },
    }
    if port:
        container["portMappings"] = [{"containerPort": port, "protocol": "tcp"}]
    arn: str = ecs.register_task_definition(
        family=family,
        taskRoleArn=task_role,
        executionRoleArn=execution_role,
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="1024",
        memory="2048",
        containerDefinitions=[container],
    )["taskDefinition"]["taskDefinitionArn"]
    return arn
