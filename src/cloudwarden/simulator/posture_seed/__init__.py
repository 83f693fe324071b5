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

import time
from datetime import UTC, datetime

from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.posture_seed._base import (
    AMI_ID,
    DEMO_VPC_CIDR,
    EXTRA_KINDS,
    EXTRA_PREFIX,
    PREFIX,
    ExpectedFailure,
    SeedReport,
    _clients,
    _post,
    leaked_key_pair,
)
from cloudwarden.simulator.posture_seed.databases import DatabaseSeeds
from cloudwarden.simulator.posture_seed.findings import FindingSeeds
from cloudwarden.simulator.posture_seed.identity import IdentitySeeds
from cloudwarden.simulator.posture_seed.network import ComputeSeeds
from cloudwarden.simulator.posture_seed.scale import _ExtraInProcess, _ExtraOverHttp, _moto_in_this_process
from cloudwarden.simulator.posture_seed.storage import StorageSeeds

__all__ = [
    "AMI_ID",
    "DEMO_VPC_CIDR",
    "EXTRA_KINDS",
    "EXTRA_PREFIX",
    "LIMITATIONS",
    "PREFIX",
    "ExpectedFailure",
    "SeedReport",
    "leaked_key_pair",
    "seed_misconfigurations",
]


class _Seeder(StorageSeeds, ComputeSeeds, IdentitySeeds, DatabaseSeeds, FindingSeeds):
    """Every service's seeding, one module each (storage, network, identity, databases, findings)."""


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
