"""Imports every collector so that their IAM declarations are registered."""

from __future__ import annotations

from cloudwarden.evidence import github
from cloudwarden.evidence.collectors import (
    alarms,
    autoscaling,
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

COLLECTORS = (
    alarms,
    metrics,
    logs,
    cloudtrail,
    ecs,
    rds,
    ec2,
    elbv2,
    lambda_functions,
    findings,
    autoscaling,
)
SOURCES = tuple(c.SOURCE for c in COLLECTORS)
# Opt-in sources: their declarations are optional, granted only on the resource the customer names.
OPTIONAL = (github,)
