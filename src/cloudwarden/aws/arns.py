"""Small facts about AWS ARNs shared by collectors, settings, accounts and the simulator."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cloudwarden.errors import UsageError, shorten

PARTITIONS = ("aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc")
ROLE_ARN_EXAMPLE = "arn:aws:iam::123456789012:role/CloudWardenReadOnly"
# arn:<partition>:iam::<12-digit account>:<root | role/<path/>name | user/<path/>name>
# IAM: a path is "/" or "/segment/.../" (printable ASCII but "/"), at most 512 characters; a
# role or user name is 1-64 of letters, digits and +=,.@_-
_IAM_ARN = re.compile(
    rf"^arn:(?P<partition>{'|'.join(PARTITIONS)}):iam::(?P<account>\d{{12}}):"
    r"(?:(?P<root>root)|(?P<kind>role|user)/(?P<path>(?:[\x21-\x2e\x30-\x7e]+/)*)(?P<name>[\w+=,.@-]{1,64}))$"
)
PRINCIPAL_KINDS = ("role", "user", "root")  # what a role's trust policy may name as CloudWarden
_KIND_NAMES = {"role": "an IAM role ARN", "user": "an IAM user ARN", "root": "an account root ARN"}


@dataclass(frozen=True)
class IamArn:
    value: str
    partition: str
    account_id: str
    kind: str  # role, user or root
    path: str
    name: str


def parse_iam_arn(value: str, *, kinds: tuple[str, ...] = ("role",)) -> IamArn:
    """A validated IAM principal ARN of one of `kinds`, or a UsageError saying which part is wrong."""
    text = value.strip()
    match = _IAM_ARN.match(text)
    kind = "root" if match and match["root"] else (match["kind"] if match else "")
    if match is None or kind not in kinds or len("/" + (match["path"] or "")) > 512:
        wanted = " or ".join(_KIND_NAMES[k] for k in kinds)
        raise UsageError(f"{shorten(text)!r} is not {wanted}: {_what_is_wrong(text, kinds)}")
    return IamArn(text, match["partition"], match["account"], kind, match["path"] or "", match["name"] or "")


def _what_is_wrong(text: str, kinds: tuple[str, ...]) -> str:
    parts = text.split(":", 5)
    resources = " or ".join("root" if k == "root" else f"{k}/<name>" for k in kinds)
    example = ROLE_ARN_EXAMPLE if "role" in kinds else "arn:aws:iam::123456789012:user/cloudwarden"
    expected = f"expected {example} (a path such as {kinds[0]}/ops/Name is allowed)"
    if len(parts) != 6 or parts[0] != "arn":
        return expected
    _, partition, service, region, account, resource = parts
    if partition not in PARTITIONS:
        return f"unknown partition {shorten(partition, 20)!r}; {expected}"
    if service != "iam" or region:
        return f"not an IAM ARN (service {shorten(service, 20)!r}); {expected}"
    if not re.fullmatch(r"\d{12}", account):
        return f"the account id must be 12 digits, not {shorten(account, 20)!r}"
    if not any(resource == "root" if k == "root" else resource.startswith(f"{k}/") for k in kinds):
        return f"the resource must be {resources}, not {shorten(resource, 30)!r}"
    kind = next((k for k in kinds if resource.startswith(f"{k}/")), "role")
    return f"the {kind} name must be 1-64 letters, digits or +=,.@_- (after an optional path of segments)"


def security_group_key(region: str, account_id: str, group_id: str) -> str:
    """The key CloudWarden gives a security group (EC2 has no ARN field for it in its API)."""
    return f"arn:aws:ec2:{region}:{account_id}:security-group/{group_id}"


def dimension_value(arn: str) -> str:
    """arn:...:loadbalancer/app/web/123 -> app/web/123; arn:...:targetgroup/web/456 -> targetgroup/web/456."""
    resource = arn.split(":", 5)[-1]
    return resource.split("/", 1)[1] if resource.startswith("loadbalancer/") else resource
