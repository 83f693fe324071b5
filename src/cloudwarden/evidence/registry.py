"""The evidence collectors, in the order their probes run; importing it registers their IAM declarations.

Each entry is a module satisfying `cloudwarden.evidence.collector.Collector` (mypy checks it);
adding a collector is one such module listed in COLLECTORS.
"""

from __future__ import annotations

from cloudwarden.aws import probe as aws_probe
from cloudwarden.aws.session import AssumedSession, CallLog
from cloudwarden.evidence import github
from cloudwarden.evidence.collector import Collector, Probe
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

COLLECTORS: tuple[Collector, ...] = (
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
# Every collector's probes, in registry order: the order of the probe's results.
PROBES: tuple[Probe, ...] = tuple(p for c in COLLECTORS for p in c.PROBES)
# Opt-in sources: their declarations are optional, granted only on the resource the customer names.
OPTIONAL = (github,)


def probe(session: AssumedSession, call_log: CallLog | None = None) -> list[aws_probe.ProbeResult]:
    """After AssumeRole: which evidence sources can this role read? One result per probe, in order.

    A denied call names the exact IAM action ("denied: cloudwatch:DescribeAlarms"); a "not found"
    answer proves the permission exists.
    """
    return aws_probe.run(session, PROBES, call_log=call_log)
