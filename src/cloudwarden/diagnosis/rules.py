"""Every fault type the engine ranks: the resource kinds it applies to, and its signature."""

from __future__ import annotations

from cloudwarden.diagnosis import faults, faults_ops
from cloudwarden.diagnosis.faults import Rule

RULES: dict[str, tuple[tuple[str, ...], Rule]] = {
    "bad_deploy": (("ecs_service", "lambda_function"), faults.bad_deploy),
    "memory_leak": (("ecs_service",), faults.memory_leak),
    "cpu_saturation": (("rds_instance",), faults.cpu_saturation),
    "db_connection_exhaustion": (("rds_instance",), faults.db_connection_exhaustion),
    "storage_full": (("rds_instance",), faults.storage_full),
    "throttling": (("lambda_function",), faults.throttling),
    "network_block": (("security_group",), faults.network_block),
    "permission_denied": (("iam_role",), faults.permission_denied),
    "dependency_latency": (("lambda_function", "rds_instance"), faults_ops.dependency_latency),
    "config_change": (("lambda_function", "ecs_service", "rds_instance"), faults_ops.config_change),
    "queue_backlog": (("ecs_service", "lambda_function"), faults_ops.queue_backlog),
    "secret_rotation_failure": (("secret",), faults_ops.secret_rotation_failure),
    "capacity_limit": (("ecs_service",), faults_ops.capacity_limit),
    "instance_failure": (("ec2_instance",), faults_ops.instance_failure),
}
