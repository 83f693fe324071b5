"""Detective services left off, and the AWS security services' findings of the posture seed."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from cloudwarden.simulator.posture_seed._base import (
    PREFIX,
    SeederBase,
    _code,
    _iso,
)


class FindingSeeds(SeederBase):
    def detective_services(self) -> None:
        """Nothing to create: a reset account has no recorder, detector or analyzer. Say so."""
        recorders = self.client("config").describe_configuration_recorders()["ConfigurationRecorders"]
        detectors = self.client("guardduty").list_detectors()["DetectorIds"]
        if recorders:
            self.report.limitations.append(f"AWS Config already records here: {recorders[0]['name']}")
        else:
            self.report.fails(f"AWS Config is not recording in {self.region}", self.region)
        if detectors:
            self.report.limitations.append(f"GuardDuty detector already exists: {detectors[0]}")
        else:
            self.report.fails(f"GuardDuty is not enabled in {self.region}", self.region)
        self.report.fails(f"IAM Access Analyzer is not enabled in {self.region}", self.region)

    def security_findings(self) -> None:
        """Findings of AWS's own security services, for a scan to show beside CloudWarden's.

        Only where the service is on, as the account left it (the demo's workload turns on
        GuardDuty and Security Hub; a reset account has neither, and "GuardDuty is not enabled" is
        one of the seeded failures): two Security Hub control findings (imported as ASFF, as
        Security Hub's own controls report them) and a GuardDuty port probe of the public
        instance. Fixed ids: seeding again updates them.
        """
        made: list[str] = []
        hub = self.client("securityhub")
        try:
            hub.describe_hub()
        except ClientError as exc:
            if _code(exc) != "InvalidAccessException":
                raise
        else:
            findings = self._hub_findings()
            imported = hub.batch_import_findings(Findings=findings)
            if imported.get("FailedCount"):
                raise RuntimeError(f"Security Hub refused seeded findings: {imported.get('FailedFindings')}")
            made += [f["Id"] for f in findings]
        detectors = self.client("guardduty").list_detectors()["DetectorIds"]
        reservations = self.client("ec2").describe_instances(
            Filters=[
                {"Name": "tag:Name", "Values": [f"{PREFIX}web-imdsv1-public-ip"]},
                {"Name": "instance-state-name", "Values": ["pending", "running"]},
            ]
        )["Reservations"]
        if detectors and reservations:
            instance_id = str(reservations[0]["Instances"][0]["InstanceId"])
            recorded = self.sim.inject(
                "guardduty_finding",
                account_id=self.account_id,
                region=self.region,
                payload={
                    "type": "Recon:EC2/PortProbeUnprotectedPort",
                    "severity": 5.0,
                    "title": f"Unprotected port on EC2 instance {instance_id} is being probed.",
                    "created_at": _iso(self.days_ago(2)),
                    "updated_at": _iso(self.now),
                    "count": 37,
                    "finding_id": "cwdemoportprobe",
                    "detector_id": detectors[0],
                    "resource": {"kind": "instance", "instance_id": instance_id},
                },
            )["recorded"]
            made.append(str(recorded["arn"]))
        for finding_id in made:
            self.report.add("security_finding", finding_id)
        if not made:
            self.report.limitations.append(
                "No Security Hub or GuardDuty findings were seeded: neither service is on in "
                f"{self.region} (the demo's workload turns both on)."
            )

    def _hub_findings(self) -> list[dict[str, Any]]:
        """Two findings as Security Hub's own controls (S3.8, EC2.13) report them, in ASFF."""
        ssh = self.client("ec2").describe_security_groups(
            Filters=[{"Name": "group-name", "Values": [f"{PREFIX}ssh-open-to-world"]}]
        )["SecurityGroups"][0]["GroupId"]
        region, account = self.region, self.account_id
        controls = (
            ("S3.8", "S3 general purpose buckets should block public access", "CRITICAL", 90,
             "AwsS3Bucket", f"arn:aws:s3:::{self.public_bucket}"),
            ("EC2.13", "Security groups should not allow ingress from 0.0.0.0/0 or ::/0 to port 22", "HIGH",
             70, "AwsEc2SecurityGroup", f"arn:aws:ec2:{region}:{account}:security-group/{ssh}"),
        )  # fmt: skip
        return [
            {
                "SchemaVersion": "2018-10-08",
                "Id": f"arn:aws:securityhub:{region}:{account}:security-control/{control}/finding/cw-demo-{index}",
                "ProductArn": f"arn:aws:securityhub:{region}::product/aws/securityhub",
                "ProductName": "Security Hub",
                "CompanyName": "AWS",
                "GeneratorId": f"security-control/{control}",
                "AwsAccountId": account,
                "Types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
                "CreatedAt": _iso(self.days_ago(3)),
                "UpdatedAt": _iso(self.now),
                "Severity": {"Label": label, "Normalized": normalized},
                "Title": title,
                "Description": f"{title} ({control}).",
                "Resources": [{"Type": kind, "Id": resource, "Region": region}],
                "Compliance": {"Status": "FAILED"},
                "RecordState": "ACTIVE",
                "Workflow": {"Status": "NEW"},
            }
            for index, (control, title, label, normalized, kind, resource) in enumerate(controls)
        ]


# -- the size knob ---------------------------------------------------------------------------------
