"""Imports every collector so that their IAM declarations are registered."""

from __future__ import annotations

from cloudwarden.evidence.collectors import (
    alarms,
    cloudtrail,
    ec2,
    ecs,
    elbv2,
    findings,
    lambda_functions,
    logs,
    metrics,
    rds,
)

COLLECTORS = (alarms, metrics, logs, cloudtrail, ecs, rds, ec2, elbv2, lambda_functions, findings)
SOURCES = tuple(c.SOURCE for c in COLLECTORS)
