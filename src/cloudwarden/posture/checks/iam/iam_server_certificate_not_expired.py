"""CIS 1.19, AWS FSBP IAM.26: no expired SSL/TLS server certificate is stored in IAM."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from cloudwarden.posture.checks.iam import iam_data
from cloudwarden.posture.inventory import GLOBAL, Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="iam_server_certificate_not_expired",
    title="No expired server certificate is stored in IAM",
    service="iam",
    severity=Severity.MEDIUM,
    resource_type="AWS::IAM::ServerCertificate",
    risk="An expired certificate left in IAM can be attached to a load balancer or CloudFront by "
    "mistake, breaking TLS for clients and making the application look untrustworthy.",
    remediation=Remediation(
        summary="Delete expired server certificates (move their users to ACM certificates first).",
        cli="aws iam delete-server-certificate --server-certificate-name <NAME>",
        cloudformation="IAM server certificates have no CloudFormation resource; delete them with the CLI.",
        terraform="Remove the aws_iam_server_certificate resource (or replace it before expiry with "
        "create_before_destroy).",
    ),
    reads=("iam",),
    prowler_id="iam_no_expired_server_certificates_stored",
)


def run(inventory: Inventory) -> Iterator[Result]:
    data = iam_data(inventory)
    if isinstance(data, Result):
        yield data
        return
    certificates = data.server_certificates
    if isinstance(certificates, Unknown):
        yield Result.error(inventory.account_arn, GLOBAL, certificates)
        return
    if not certificates:
        yield Result.not_applicable(
            inventory.account_arn, GLOBAL, "the account has no IAM server certificates"
        )
        return
    now = datetime.now(UTC)
    for cert in certificates:
        if cert.expiration is None:
            yield Result.error(
                cert.arn, GLOBAL, f"certificate {cert.name} has no expiration date in the listing"
            )
            continue
        yield Result.verdict(
            cert.expiration > now,
            cert.arn,
            GLOBAL,
            passed=f"certificate {cert.name} expires on {cert.expiration:%Y-%m-%d}",
            failed=f"certificate {cert.name} expired on {cert.expiration:%Y-%m-%d}",
        )
