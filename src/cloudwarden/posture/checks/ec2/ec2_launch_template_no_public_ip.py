from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors._ec2_network import LaunchTemplate
from cloudwarden.posture.collectors.ec2 import Ec2Data, arn
from cloudwarden.posture.inventory import Inventory, judge_each
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="ec2_launch_template_no_public_ip",
    title="EC2 launch templates do not assign public IP addresses to network interfaces",
    service="ec2",
    severity=Severity.HIGH,
    resource_type="AWS::EC2::LaunchTemplate",
    risk="Every instance launched from the template (by hand, an Auto Scaling group or a fleet) gets "
    "an address reachable from the internet, whatever subnet it lands in: one permissive security "
    "group away from exposure.",
    remediation=Remediation(
        summary="Create a template version whose network interfaces set AssociatePublicIpAddress to "
        "false, make it the default, and reach the instances through a load balancer or Session Manager.",
        cli="aws ec2 create-launch-template-version --launch-template-id <LT> --source-version '$Default' "
        '--launch-template-data \'{"NetworkInterfaces":[{"DeviceIndex":0,"AssociatePublicIpAddress":false}]}\' '
        "&& aws ec2 modify-launch-template --launch-template-id <LT> --default-version <NEW_VERSION>",
        cloudformation="AWS::EC2::LaunchTemplate LaunchTemplateData.NetworkInterfaces[].AssociatePublicIpAddress: false",
        terraform='resource "aws_launch_template" "this" {\n  network_interfaces {\n'
        "    associate_public_ip_address = false\n  }\n}",
    ),
    reads=("ec2",),
    prowler_id="ec2_launch_template_no_public_ip",
)


def run(inventory: Inventory) -> Iterator[Result]:
    """One result per launch template, judged at its default version (FSBP EC2.25; AWS Config's
    ec2-launch-template-public-ip-disabled): the version EC2 launches when none is named."""

    def judge(template: LaunchTemplate, region: str) -> Result:
        devices = ", ".join(str(d) for d in template.public_ip_devices)
        return Result.verdict(
            not template.public_ip_devices,
            arn(inventory, region, f"launch-template/{template.template_id}"),
            region,
            passed=f"{template.name} (default version {template.default_version}) assigns no public IP "
            "address to its network interfaces",
            failed=f"{template.name} (default version {template.default_version}) assigns a public IP "
            f"address to its network interface(s) at device index {devices}",
        )

    return judge_each(inventory, "ec2", _templates, judge, "no launch templates")


def _templates(data: Ec2Data) -> tuple[LaunchTemplate, ...] | Unknown:
    return data.launch_templates
