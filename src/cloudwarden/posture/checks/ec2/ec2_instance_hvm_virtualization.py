from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.ec2 import Instance, arn
from cloudwarden.posture.inventory import Inventory, judge_each
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="ec2_instance_hvm_virtualization",
    title="EC2 instances do not use paravirtual virtualization",
    service="ec2",
    severity=Severity.MEDIUM,
    resource_type="AWS::EC2::Instance",
    risk="Paravirtual (PV) instances run on previous-generation types and kernels that no longer get the "
    "security and performance fixes of HVM, and cannot use current instance types.",
    remediation=Remediation(
        summary="Rebuild the workload on an HVM AMI and a current instance type.",
        cli="aws ec2 run-instances --image-id <HVM_AMI> --instance-type <CURRENT_TYPE> ... "
        "(then terminate the paravirtual instance)",
        cloudformation="AWS::EC2::Instance ImageId: an HVM AMI",
        terraform='resource "aws_instance" "this" {\n  ami = data.aws_ami.hvm.id # virtualization-type hvm\n}',
    ),
    reads=("ec2",),
    prowler_id="ec2_instance_paravirtual_type",
)


def run(inventory: Inventory) -> Iterator[Result]:
    def judge(instance: Instance, region: str) -> Result:
        return Result.verdict(
            instance.virtualization != "paravirtual",
            arn(inventory, region, f"instance/{instance.instance_id}"),
            region,
            passed=f"the instance uses {instance.virtualization} virtualization",
            failed="the instance uses paravirtual virtualization",
        )

    return judge_each(inventory, "ec2", lambda data: data.instances, judge, "no EC2 instances")
