from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from cloudwarden.posture.collectors.ec2 import Instance, arn
from cloudwarden.posture.inventory import Inventory, judge_each
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="ec2_instance_not_stopped_30_days",
    title="EC2 instances have not been stopped for more than 30 days",
    service="ec2",
    severity=Severity.MEDIUM,
    resource_type="AWS::EC2::Instance",
    risk="A long-stopped instance misses every patch while it sleeps and still holds its volumes, "
    "addresses and role: started again, it is an outdated server with live credentials.",
    remediation=Remediation(
        summary="Terminate instances that have been stopped for more than 30 days (snapshot their volumes "
        "first if the data matters), or start and patch the ones still needed.",
        cli="aws ec2 terminate-instances --instance-ids <INSTANCE>",
        cloudformation="Remove the AWS::EC2::Instance from the stack",
        terraform="# remove the aws_instance resource, or keep it running and patched",
    ),
    reads=("ec2",),
    prowler_id="ec2_instance_stopped_older_than_specific_days",
)

STOPPED_DAYS = 30  # FSBP EC2.4's default (AllowedDays)


def run(inventory: Inventory) -> Iterator[Result]:
    now = datetime.now(UTC)

    def judge(instance: Instance, region: str) -> Result:
        resource = arn(inventory, region, f"instance/{instance.instance_id}")
        if instance.state != "stopped":
            return Result.passed(resource, region, f"the instance is {instance.state}")
        if instance.stopped_at is None:
            return Result.error(resource, region, "the instance is stopped but EC2 did not say since when")
        days = (now - instance.stopped_at).days
        return Result.verdict(
            days <= STOPPED_DAYS,
            resource,
            region,
            passed=f"the instance was stopped {days} days ago (allowed: {STOPPED_DAYS})",
            failed=f"the instance has been stopped for {days} days (since {instance.stopped_at:%Y-%m-%d})",
        )

    return judge_each(inventory, "ec2", lambda data: data.instances, judge, "no EC2 instances")
