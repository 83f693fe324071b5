"""Rebuild the Workload of an account deployed earlier (by `cloudwarden sim up`) from its APIs."""

from __future__ import annotations

from cloudwarden.simulator import extra_fleet
from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.workload import (
    CLUSTER,
    DB,
    FUNCTION,
    PAYMENT_KEY_DESCRIPTION,
    QUEUE,
    SECRET_NAME,
    WEB,
    WORKER,
    Workload,
)


def discover(sim: SimulatorClient, *, account_id: str = "123456789012") -> Workload:
    """Rebuild the Workload of an account deployed earlier (by `cloudwarden sim up`)."""
    region = sim.region
    w = Workload(account_id=account_id, region=region)
    ec2, ecs, rds, elb = sim.client("ec2"), sim.client("ecs"), sim.client("rds"), sim.client("elbv2")
    for group in ec2.describe_security_groups()["SecurityGroups"]:
        if group["GroupName"] == "default":
            continue
        w.ids[f"sg:{group['GroupName']}"] = group["GroupId"]
        w.refs[f"security_group:{group['GroupName']}"] = (
            f"arn:aws:ec2:{region}:{account_id}:security-group/{group['GroupId']}"
        )
    for reservation in ec2.describe_instances()["Reservations"]:
        for instance in reservation["Instances"]:
            w.refs["ec2_instance:reports"] = instance["InstanceId"]
            w.ids["reports_ip"] = instance["PrivateIpAddress"]
    extra_fleet.discover(sim, w)
    for name in ("storefront-task", "order-worker-task", "ecs-task-execution", "image-resizer-exec"):
        w.refs[f"iam_role:{name}"] = f"arn:aws:iam::{account_id}:role/{name}"
    w.ids["policy:worker"] = f"arn:aws:iam::{account_id}:policy/order-worker-data-access"
    w.ids["queue_url"] = f"https://sqs.{region}.amazonaws.com/{account_id}/{QUEUE}"
    w.refs["secret:orders-db"] = sim.client("secretsmanager").describe_secret(SecretId=SECRET_NAME)["ARN"]
    w.refs["sqs_queue:orders"] = f"arn:aws:sqs:{region}:{account_id}:{QUEUE}"
    kms = sim.client("kms")
    for key in kms.list_keys()["Keys"]:
        if kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"].get("Description") == PAYMENT_KEY_DESCRIPTION:
            w.refs["kms_key:payments"] = key["KeyArn"]
    db = rds.describe_db_instances(DBInstanceIdentifier=DB)["DBInstances"][0]
    w.refs["rds_instance:orders"] = db["DBInstanceArn"]
    w.ids["db_endpoint"] = db["Endpoint"]["Address"]
    w.refs["lambda_function:resizer"] = sim.client("lambda").get_function(FunctionName=FUNCTION)[
        "Configuration"
    ]["FunctionArn"]
    w.refs["load_balancer:public"] = elb.describe_load_balancers(Names=["storefront-public"])[
        "LoadBalancers"
    ][0]["LoadBalancerArn"]
    w.refs["target_group:web"] = elb.describe_target_groups(Names=["storefront-api-8080"])["TargetGroups"][0][
        "TargetGroupArn"
    ]
    cluster = ecs.describe_clusters(clusters=[CLUSTER])["clusters"][0]["clusterArn"]
    w.ids["cluster"] = cluster
    for logical, name in (("web", WEB), ("worker", WORKER)):
        service = ecs.describe_services(cluster=cluster, services=[name])["services"][0]
        w.refs[f"ecs_service:{logical}"] = service["serviceArn"]
        w.ids[f"service:{logical}"] = name
        w.ids[f"task_definition:{logical}"] = service["taskDefinition"]
        w.log_groups[f"ecs_service:{logical}"] = f"/ecs/{name}"
    w.log_groups["lambda_function:resizer"] = f"/aws/lambda/{FUNCTION}"
    w.log_groups["rds_instance:orders"] = f"/aws/rds/instance/{DB}/postgresql"
    return w
