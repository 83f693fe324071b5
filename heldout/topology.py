"""The held-out customer: "Velocab", a ride-hailing platform, deployed into the simulated account.

It shares nothing with the simulator's own storefront workload: another VPC, cluster, services,
databases (MySQL and PostgreSQL), queues, functions, instances and log formats. Everything is
created with real boto3 calls recorded in CloudTrail two days before the incident.

    internet -> ALB velocab-edge -+- vc-rider-gw-tg      -> ECS rider-gateway  (Node, pino JSON)
                                  +- vc-fare-quoter-tg   -> ECS fare-quoter    (Java, logback JSON)
                                  +- vc-trip-matcher-tg  -> ECS trip-matcher   (Go, logfmt)
    ECS driver-locator (Python, structlog + nginx sidecar) -> EC2 vc-tileserver-1
    trip-matcher -> EC2 vc-osrm-router-a, driver-locator, RDS MySQL vc-trips-mysql
    rider-gateway -> vc-trips-mysql, Lambda vc-promo-redeemer
    fare-quoter -> RDS PostgreSQL vc-ledger-pg, Lambda vc-surge-pricer
    SQS vc-receipt-jobs -> Lambda vc-receipt-mailer (-> vc-trips-mysql, SES)
    SQS vc-payout-requests -> Lambda vc-payout-batcher (-> vc-ledger-pg)
    vc-payout-batcher -> KMS key alias/vc-payout-files (payout statements, added for batch4)
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cloudwarden.simulator.client import SimulatorClient

REGION = "eu-west-1"
ACCOUNT_ID = "123456789012"  # the simulator's default account (its root keys act in it)
ADMIN = "arn:aws:iam::{account}:user/vc-sre-oncall"
CLUSTER = "velocab-dispatch"
LOAD_BALANCER = "velocab-edge"
GIB = 1024**3

# logical -> (service name, image, port or None, desired count, (min, max) autoscaling)
SERVICES: dict[str, tuple[str, str, int | None, int, tuple[int, int]]] = {
    "gateway": ("rider-gateway", "rider-gateway:2024.11.3", 3000, 6, (4, 12)),
    "quoter": ("fare-quoter", "fare-quoter:7.4.1", 8080, 4, (3, 8)),
    "matcher": ("trip-matcher", "trip-matcher:4.11.2", 7070, 4, (3, 10)),
    "locator": ("driver-locator", "driver-locator:1.19.0", None, 3, (2, 6)),
}
# logical -> (function name, runtime, memory, timeout)
FUNCTIONS: dict[str, tuple[str, str, int, int]] = {
    "mailer": ("vc-receipt-mailer", "python3.12", 512, 60),
    "batcher": ("vc-payout-batcher", "nodejs20.x", 1024, 300),
    "pricer": ("vc-surge-pricer", "python3.12", 256, 10),
    "promo": ("vc-promo-redeemer", "python3.12", 256, 15),
}
QUEUES = {"receipts": "vc-receipt-jobs", "payouts": "vc-payout-requests"}
DATABASES = {"mysql": "vc-trips-mysql", "pg": "vc-ledger-pg"}
SECRETS = {"mysql": "velocab/prod/trips-mysql/app", "pg": "velocab/prod/ledger-pg/app"}  # names, not values
INSTANCES = {"router": "vc-osrm-router-a", "tiles": "vc-tileserver-1"}
# customer-managed KMS keys: logical -> (alias, description); added for batch4
KMS_KEYS = {"payouts": ("alias/vc-payout-files", "Velocab payout statement files (S3 SSE-KMS)")}
TARGET_GROUPS = {"gateway": "vc-rider-gw-tg", "quoter": "vc-fare-quoter-tg", "matcher": "vc-trip-matcher-tg"}
MYSQL_PARAMS = "vc-trips-mysql80"
PG_PARAMS = "vc-ledger-pg15"
# customer-managed policies: logical -> (name, role it is attached to, statements)
POLICIES: dict[str, tuple[str, str, list[dict[str, Any]]]] = {
    "mailer_ses": (
        "vc-receipt-mailer-ses-send",
        "vc-receipt-mailer-fn",
        [{"Effect": "Allow", "Action": ["ses:SendRawEmail", "ses:SendEmail"], "Resource": "*"}],
    ),
    "mailer_queue": (
        "vc-receipt-mailer-queue",
        "vc-receipt-mailer-fn",
        [
            {
                "Effect": "Allow",
                "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                "Resource": "*",
            }
        ],
    ),
    "batcher_ledger": (
        "vc-payout-batcher-ledger",
        "vc-payout-batcher-fn",
        [
            {
                "Effect": "Allow",
                "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "secretsmanager:GetSecretValue"],
                "Resource": "*",
            }
        ],
    ),
    "quoter_tariffs": (
        "vc-fare-quoter-tariffs-read",
        "vc-fare-quoter-task",
        [{"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Query"], "Resource": "*"}],
    ),
    "matcher_maps": (
        "vc-trip-matcher-maps-read",
        "vc-trip-matcher-task",
        [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::velocab-map-tiles/*"}],
    ),
    "gateway_events": (
        "vc-rider-gateway-events-put",
        "vc-rider-gateway-task",
        [{"Effect": "Allow", "Action": ["events:PutEvents", "lambda:InvokeFunction"], "Resource": "*"}],
    ),
    # added for batch4: a leftover grant for an export bucket nothing writes to any more
    "gateway_legacy_exports": (
        "vc-rider-gateway-legacy-exports",
        "vc-rider-gateway-task",
        [
            {
                "Effect": "Allow",
                "Action": ["s3:PutObject"],
                "Resource": "arn:aws:s3:::velocab-legacy-exports/*",
            }
        ],
    ),
}
ROLE_SERVICES = {
    "vc-rider-gateway-task": "ecs-tasks.amazonaws.com",
    "vc-fare-quoter-task": "ecs-tasks.amazonaws.com",
    "vc-trip-matcher-task": "ecs-tasks.amazonaws.com",
    "vc-driver-locator-task": "ecs-tasks.amazonaws.com",
    "vc-ecs-execution": "ecs-tasks.amazonaws.com",
    "vc-receipt-mailer-fn": "lambda.amazonaws.com",
    "vc-payout-batcher-fn": "lambda.amazonaws.com",
    "vc-surge-pricer-fn": "lambda.amazonaws.com",
    "vc-promo-redeemer-fn": "lambda.amazonaws.com",
    "vc-secrets-rotation-fn": "lambda.amazonaws.com",
}


@dataclass
class Topology:
    """What was deployed. `refs`: logical reference -> the key CloudWarden gives the resource."""

    account_id: str
    region: str
    refs: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    log_groups: dict[str, list[str]] = field(default_factory=dict)  # logical ref -> its log groups

    def ref(self, logical: str) -> str:
        try:
            return self.refs[logical]
        except KeyError:
            raise ValueError(f"unknown held-out resource {logical!r}; known: {sorted(self.refs)}") from None

    def log_group(self, logical: str, which: str | None = None) -> str:
        groups = self.log_groups.get(logical)
        if not groups:
            raise ValueError(f"{logical!r} has no log group; those that do: {sorted(self.log_groups)}")
        if which is None:
            return groups[0]
        found = [g for g in groups if g.endswith("/" + which)]
        if not found:
            raise ValueError(f"{logical!r} has no log group ending in /{which}: {groups}")
        return found[0]


def logical_refs() -> list[str]:
    """Every logical reference `deploy` registers (for validating incident files offline)."""
    refs = [f"ecs_service:{k}" for k in SERVICES]
    refs += [f"lambda_function:{k}" for k in FUNCTIONS]
    refs += [f"sqs_queue:{k}" for k in QUEUES]
    refs += [f"rds_instance:{k}" for k in DATABASES]
    refs += [f"secret:{k}" for k in SECRETS]
    refs += [f"ec2_instance:{k}" for k in INSTANCES]
    refs += [f"target_group:{k}" for k in TARGET_GROUPS]
    refs += ["load_balancer:edge"]
    refs += [f"iam_role:{name}" for name in ROLE_SERVICES]
    refs += [f"security_group:{name}" for name in SECURITY_GROUPS]
    refs += [f"kms_key:{k}" for k in KMS_KEYS]
    return refs


SECURITY_GROUPS = {
    "vc-edge-alb": "Public HTTPS into the edge load balancer",
    "vc-gateway-tasks": "rider-gateway tasks",
    "vc-quoter-tasks": "fare-quoter tasks",
    "vc-matcher-tasks": "trip-matcher tasks",
    "vc-locator-tasks": "driver-locator tasks",
    "vc-fn-vpc": "Lambda functions in the VPC",
    "vc-trips-mysql-db": "MySQL trips database",
    "vc-ledger-pg-db": "PostgreSQL ledger database",
    "vc-router-hosts": "OSRM routing hosts",
    "vc-tile-hosts": "Map tile server hosts",
    "vc-bastion": "SSH bastion",
}


def function_zip(body: str = "def handler(event, context):\n    return {'ok': True}\n") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", body)
    return buffer.getvalue()


def _trust(service: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
        }
    )


def deploy(sim: SimulatorClient, *, now: datetime, account_id: str = ACCOUNT_ID) -> Topology:
    """Create Velocab's resources, recorded in CloudTrail as made two days before `now`."""
    region = sim.region
    at = now - timedelta(days=2, hours=3)
    actor = ADMIN.format(account=account_id)

    def c(service: str, *, region_name: str | None = None) -> Any:
        return sim.acting_client(service, at=at, actor=actor, region=region_name)

    t = Topology(account_id=account_id, region=region)
    ec2 = c("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.64.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    t.ids["vpc"] = vpc
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.64.{i}.0/22", AvailabilityZone=f"{region}{z}")["Subnet"][
            "SubnetId"
        ]
        for i, z in ((0, "a"), (4, "b"), (8, "c"))
    ]
    t.ids["subnets"] = ",".join(subnets)

    sg: dict[str, str] = {}
    for name, description in SECURITY_GROUPS.items():
        gid: str = ec2.create_security_group(GroupName=name, Description=description, VpcId=vpc)["GroupId"]
        sg[name] = gid
        t.ids[f"sg:{name}"] = gid
        t.refs[f"security_group:{name}"] = f"arn:aws:ec2:{region}:{account_id}:security-group/{gid}"

    def allow(group: str, port: int, sources: list[str]) -> None:
        ec2.authorize_security_group_ingress(
            GroupId=sg[group],
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": port,
                    "ToPort": port,
                    "UserIdGroupPairs": [{"GroupId": sg[s]} for s in sources],
                }
            ],
        )

    ec2.authorize_security_group_ingress(
        GroupId=sg["vc-edge-alb"],
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
        ],
    )
    ec2.authorize_security_group_ingress(
        GroupId=sg["vc-bastion"],
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "198.51.100.0/24"}]}
        ],
    )
    allow("vc-gateway-tasks", 3000, ["vc-edge-alb"])
    allow("vc-quoter-tasks", 8080, ["vc-edge-alb", "vc-gateway-tasks"])
    allow("vc-matcher-tasks", 7070, ["vc-edge-alb", "vc-gateway-tasks"])
    allow("vc-locator-tasks", 9090, ["vc-matcher-tasks"])
    allow("vc-trips-mysql-db", 3306, ["vc-gateway-tasks", "vc-matcher-tasks", "vc-fn-vpc", "vc-bastion"])
    allow("vc-ledger-pg-db", 5432, ["vc-quoter-tasks", "vc-fn-vpc", "vc-bastion"])
    allow("vc-router-hosts", 5000, ["vc-matcher-tasks"])
    allow("vc-tile-hosts", 8081, ["vc-locator-tasks"])

    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    for logical, name, itype, group, subnet in (
        ("router", INSTANCES["router"], "c6i.2xlarge", "vc-router-hosts", subnets[0]),
        ("tiles", INSTANCES["tiles"], "r6i.large", "vc-tile-hosts", subnets[1]),
    ):
        instance = ec2.run_instances(
            ImageId=image,
            InstanceType=itype,
            MinCount=1,
            MaxCount=1,
            SubnetId=subnet,
            SecurityGroupIds=[sg[group]],
            TagSpecifications=[
                {
                    "ResourceType": "instance",
                    "Tags": [{"Key": "Name", "Value": name}, {"Key": "team", "Value": "maps"}],
                }
            ],
        )["Instances"][0]
        t.refs[f"ec2_instance:{logical}"] = instance["InstanceId"]
        t.ids[f"ip:{logical}"] = instance["PrivateIpAddress"]

    # IAM is global: its writes go to us-east-1, as they would from any region.
    iam = c("iam", region_name="us-east-1")
    roles: dict[str, str] = {}
    for name, service in ROLE_SERVICES.items():
        roles[name] = iam.create_role(RoleName=name, AssumeRolePolicyDocument=_trust(service))["Role"]["Arn"]
        t.refs[f"iam_role:{name}"] = roles[name]
    for logical, (name, role, statements) in POLICIES.items():
        arn = iam.create_policy(
            PolicyName=name, PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements})
        )["Policy"]["Arn"]
        iam.attach_role_policy(RoleName=role, PolicyArn=arn)
        t.ids[f"policy:{logical}"] = arn
        t.ids[f"policy_role:{logical}"] = role
    iam.attach_role_policy(
        RoleName="vc-ecs-execution",
        PolicyArn="arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
    )

    sqs = c("sqs")
    for logical, name in QUEUES.items():
        sqs.create_queue(
            QueueName=name, Attributes={"VisibilityTimeout": "360" if logical == "payouts" else "120"}
        )
        t.refs[f"sqs_queue:{logical}"] = f"arn:aws:sqs:{region}:{account_id}:{name}"
        t.ids[f"queue_url:{logical}"] = f"https://sqs.{region}.amazonaws.com/{account_id}/{name}"

    secrets = c("secretsmanager")
    for logical, name in SECRETS.items():
        user = "dispatch" if logical == "mysql" else "ledger_app"
        t.refs[f"secret:{logical}"] = secrets.create_secret(
            Name=name,
            Description=f"{DATABASES[logical]} application credentials",
            SecretString=json.dumps({"username": user, "password": "k" * 28}),
        )["ARN"]

    rds = c("rds")
    rds.create_db_parameter_group(
        DBParameterGroupName=MYSQL_PARAMS, DBParameterGroupFamily="mysql8.0", Description="trips MySQL 8.0"
    )
    rds.create_db_parameter_group(
        DBParameterGroupName=PG_PARAMS,
        DBParameterGroupFamily="postgres15",
        Description="ledger PostgreSQL 15",
    )
    for logical, engine, version, klass, storage, group, params, exports in (
        (
            "mysql",
            "mysql",
            "8.0.36",
            "db.r6g.xlarge",
            200,
            "vc-trips-mysql-db",
            MYSQL_PARAMS,
            ["error", "slowquery"],
        ),
        ("pg", "postgres", "15.6", "db.m6g.large", 100, "vc-ledger-pg-db", PG_PARAMS, ["postgresql"]),
    ):
        db = rds.create_db_instance(
            DBInstanceIdentifier=DATABASES[logical],
            DBInstanceClass=klass,
            Engine=engine,
            EngineVersion=version,
            AllocatedStorage=storage,
            MasterUsername="vcadmin",
            MasterUserPassword="not-a-real-password-9",
            VpcSecurityGroupIds=[sg[group]],
            DBParameterGroupName=params,
            EnableCloudwatchLogsExports=exports,
            MultiAZ=logical == "mysql",
        )["DBInstance"]
        t.refs[f"rds_instance:{logical}"] = db["DBInstanceArn"]
        described = rds.describe_db_instances(DBInstanceIdentifier=DATABASES[logical])["DBInstances"][0]
        t.ids[f"endpoint:{logical}"] = described["Endpoint"]["Address"]
        t.log_groups[f"rds_instance:{logical}"] = [
            f"/aws/rds/instance/{DATABASES[logical]}/{export}" for export in exports
        ]

    kms = c("kms")
    for logical, (alias, description) in KMS_KEYS.items():
        key = kms.create_key(Description=description)["KeyMetadata"]
        kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
        t.refs[f"kms_key:{logical}"] = key["Arn"]
        t.ids[f"key_id:{logical}"] = key["KeyId"]

    lam, logs = c("lambda"), c("logs")
    function_env = {
        "mailer": {
            "DB_HOST": t.ids["endpoint:mysql"],
            "DB_SECRET_ARN": t.refs["secret:mysql"],
            "SES_CONFIGURATION_SET": "velocab-receipts",
        },
        "batcher": {
            "LEDGER_HOST": t.ids["endpoint:pg"],
            "LEDGER_SECRET_ARN": t.refs["secret:pg"],
            "PAYOUT_FILE_KEY_ARN": t.refs["kms_key:payouts"],
        },
        "pricer": {
            "SURGE_MODEL_URL": "https://surge-model.internal.velocab.example/v2/predict",
            "CACHE_TTL_S": "20",
        },
        "promo": {"PROMO_TABLE": "vc-promotions", "LOG_LEVEL": "INFO"},
    }
    in_vpc = {"mailer", "batcher"}
    for logical, (name, runtime, memory, timeout) in FUNCTIONS.items():
        role = roles[f"{name}-fn"]
        kwargs: dict[str, Any] = {
            "FunctionName": name,
            "Runtime": runtime,
            "Role": role,
            "Handler": "app.handler" if runtime.startswith("python") else "index.handler",
            "Code": {"ZipFile": function_zip()},
            "MemorySize": memory,
            "Timeout": timeout,
            "Environment": {"Variables": function_env[logical]},
        }
        if logical in in_vpc:
            kwargs["VpcConfig"] = {"SubnetIds": subnets[:2], "SecurityGroupIds": [sg["vc-fn-vpc"]]}
        arn = lam.create_function(**kwargs)["FunctionArn"]
        t.refs[f"lambda_function:{logical}"] = arn
        group = f"/aws/lambda/{name}"
        logs.create_log_group(logGroupName=group)
        t.log_groups[f"lambda_function:{logical}"] = [group]
    for logical, reserved in (("mailer", 20), ("batcher", 5), ("pricer", 150), ("promo", 25)):
        lam.put_function_concurrency(
            FunctionName=FUNCTIONS[logical][0], ReservedConcurrentExecutions=reserved
        )
    for fn, queue, batch in (("mailer", "receipts", 10), ("batcher", "payouts", 5)):
        mapping = lam.create_event_source_mapping(
            EventSourceArn=t.refs[f"sqs_queue:{queue}"], FunctionName=FUNCTIONS[fn][0], BatchSize=batch
        )
        t.ids[f"esm:{fn}"] = mapping["UUID"]

    elb = c("elbv2")
    lb = elb.create_load_balancer(
        Name=LOAD_BALANCER, Subnets=subnets, SecurityGroups=[sg["vc-edge-alb"]], Type="application"
    )["LoadBalancers"][0]
    t.refs["load_balancer:edge"] = lb["LoadBalancerArn"]
    tgs: dict[str, str] = {}
    for logical, name in TARGET_GROUPS.items():
        port = SERVICES[logical][2]
        tg = elb.create_target_group(
            Name=name, Protocol="HTTP", Port=port, VpcId=vpc, TargetType="ip", HealthCheckPath="/health"
        )["TargetGroups"][0]
        tgs[logical] = tg["TargetGroupArn"]
        t.refs[f"target_group:{logical}"] = tg["TargetGroupArn"]
    listener = elb.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tgs["gateway"]}],
    )["Listeners"][0]
    for priority, (logical, path) in enumerate(
        (("quoter", "/v1/quotes*"), ("matcher", "/v1/trips*")), start=10
    ):
        elb.create_rule(
            ListenerArn=listener["ListenerArn"],
            Priority=priority,
            Conditions=[{"Field": "path-pattern", "Values": [path]}],
            Actions=[{"Type": "forward", "TargetGroupArn": tgs[logical]}],
        )

    ecs = c("ecs")
    cluster = ecs.create_cluster(clusterName=CLUSTER)["cluster"]["clusterArn"]
    t.ids["cluster"] = cluster
    locator_url = "http://driver-locator.dispatch.local:9090"
    environments: dict[str, list[dict[str, str]]] = {
        "gateway": [
            {"name": "NODE_ENV", "value": "production"},
            {"name": "MYSQL_HOST", "value": t.ids["endpoint:mysql"]},
            {"name": "QUOTER_URL", "value": "http://fare-quoter.dispatch.local:8080"},
            {"name": "MATCHER_URL", "value": "http://trip-matcher.dispatch.local:7070"},
            {"name": "PROMO_FUNCTION", "value": FUNCTIONS["promo"][0]},
            {"name": "RECEIPT_QUEUE_URL", "value": t.ids["queue_url:receipts"]},
        ],
        "quoter": [
            {"name": "SPRING_PROFILES_ACTIVE", "value": "prod"},
            {"name": "LEDGER_JDBC_URL", "value": f"jdbc:postgresql://{t.ids['endpoint:pg']}:5432/ledger"},
            {"name": "SURGE_FUNCTION", "value": FUNCTIONS["pricer"][0]},
            {"name": "PAYOUT_QUEUE_URL", "value": t.ids["queue_url:payouts"]},
            {"name": "JAVA_TOOL_OPTIONS", "value": "-XX:MaxRAMPercentage=75"},
        ],
        "matcher": [
            {"name": "MYSQL_DSN_HOST", "value": t.ids["endpoint:mysql"]},
            {"name": "OSRM_URL", "value": f"http://{t.ids['ip:router']}:5000"},
            {"name": "LOCATOR_URL", "value": locator_url},
            {"name": "GOMAXPROCS", "value": "2"},
        ],
        "locator": [
            {"name": "TILE_SERVER_URL", "value": f"http://{t.ids['ip:tiles']}:8081"},
            {"name": "GUNICORN_WORKERS", "value": "4"},
        ],
    }
    secrets_of = {
        "gateway": [{"name": "MYSQL_CREDENTIALS", "valueFrom": t.refs["secret:mysql"]}],
        "quoter": [{"name": "LEDGER_CREDENTIALS", "valueFrom": t.refs["secret:pg"]}],
        "matcher": [{"name": "MYSQL_CREDENTIALS", "valueFrom": t.refs["secret:mysql"]}],
        "locator": [],
    }
    groups_of = {
        "gateway": "vc-gateway-tasks",
        "quoter": "vc-quoter-tasks",
        "matcher": "vc-matcher-tasks",
        "locator": "vc-locator-tasks",
    }
    autoscaling = c("application-autoscaling")
    for logical, (name, image_tag, port, desired, (low, high)) in SERVICES.items():
        log_group = f"/velocab/ecs/{name}"
        logs.create_log_group(logGroupName=log_group)
        t.log_groups[f"ecs_service:{logical}"] = [log_group]
        td = register_task_definition(
            ecs,
            family=f"vc-{name}",
            container=name,
            image=f"{account_id}.dkr.ecr.{region}.amazonaws.com/velocab/{image_tag}",
            environment=environments[logical],
            secrets=secrets_of[logical],
            task_role=roles[f"vc-{name}-task"],
            execution_role=roles["vc-ecs-execution"],
            log_group=log_group,
            region=region,
            port=port,
            cpu="2048" if logical in ("matcher", "quoter") else "1024",
            memory="4096" if logical in ("matcher", "quoter") else "2048",
        )
        kwargs = {
            "cluster": cluster,
            "serviceName": name,
            "taskDefinition": td,
            "desiredCount": desired,
            "launchType": "FARGATE",
            "networkConfiguration": {
                "awsvpcConfiguration": {"subnets": subnets, "securityGroups": [sg[groups_of[logical]]]}
            },
        }
        if port and logical in tgs:
            kwargs["loadBalancers"] = [
                {"targetGroupArn": tgs[logical], "containerName": name, "containerPort": port}
            ]
        service = ecs.create_service(**kwargs)["service"]
        t.refs[f"ecs_service:{logical}"] = service["serviceArn"]
        t.ids[f"service:{logical}"] = name
        t.ids[f"task_definition:{logical}"] = td
        autoscaling.register_scalable_target(
            ServiceNamespace="ecs",
            ResourceId=f"service/{CLUSTER}/{name}",
            ScalableDimension="ecs:service:DesiredCount",
            MinCapacity=low,
            MaxCapacity=high,
        )
        sim.inject(
            "ecs_service_steady",
            account_id=account_id,
            payload={"cluster": cluster, "service": name, "at": at.isoformat(), "count": desired},
        )
    for logical, groups in t.log_groups.items():
        if logical.startswith("rds_instance:"):
            for group in groups:
                logs.create_log_group(logGroupName=group)
    return t


def register_task_definition(
    ecs: Any,
    *,
    family: str,
    container: str,
    image: str,
    environment: list[dict[str, str]],
    secrets: list[dict[str, str]],
    task_role: str,
    execution_role: str,
    log_group: str,
    region: str,
    port: int | None,
    cpu: str,
    memory: str,
) -> str:
    definition: dict[str, Any] = {
        "name": container,
        "image": image,
        "essential": True,
        "memory": int(memory),
        "environment": environment,
        "secrets": secrets,
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {"awslogs-group": log_group, "awslogs-region": region, "awslogs-stream-prefix": "ecs"},
        },
    }
    if port:
        definition["portMappings"] = [{"containerPort": port, "protocol": "tcp"}]
    arn: str = ecs.register_task_definition(
        family=family,
        taskRoleArn=task_role,
        executionRoleArn=execution_role,
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu=cpu,
        memory=memory,
        containerDefinitions=[definition],
    )["taskDefinition"]["taskDefinitionArn"]
    return arn
