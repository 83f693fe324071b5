"""IAM principal ARNs are checked part by part before anything uses them."""

from __future__ import annotations

import pytest

from cloudwarden.aws.arns import PRINCIPAL_KINDS, parse_iam_arn
from cloudwarden.errors import UsageError


@pytest.mark.parametrize(
    ("value", "kind", "name"),
    [
        ("arn:aws:iam::123456789012:role/CloudWarden", "role", "CloudWarden"),
        ("arn:aws-us-gov:iam::123456789012:role/ops/team/cw", "role", "cw"),
        ("arn:aws:iam::123456789012:user/svc/cloudwarden", "user", "cloudwarden"),
        ("arn:aws-cn:iam::123456789012:root", "root", ""),
    ],
)
def test_a_principal_may_be_a_role_a_user_or_an_account(value: str, kind: str, name: str) -> None:
    arn = parse_iam_arn(f"  {value} ", kinds=PRINCIPAL_KINDS)
    assert (arn.value, arn.kind, arn.name, arn.account_id) == (value, kind, name, "123456789012")


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("notanarn", "expected arn:aws:iam::123456789012:role/"),
        ("arn:aws:iam::123456789012:group/ops", "the resource must be role/<name> or user/<name> or root"),
        ("arn:aws:iam::12345:user/x", "12 digits"),
        ("arn:aws:sts::123456789012:assumed-role/x/y", "not an IAM ARN"),
        ("arn:aws:iam::123456789012:user/" + "x" * 65, "1-64 letters"),
    ],
)
def test_a_malformed_principal_says_which_part_is_wrong(value: str, says: str) -> None:
    with pytest.raises(UsageError, match="is not an IAM role ARN or an IAM user ARN") as raised:
        parse_iam_arn(value, kinds=PRINCIPAL_KINDS)
    assert says in raised.value.message


def test_a_role_arn_is_not_a_user_arn() -> None:
    with pytest.raises(UsageError, match="the resource must be role/<name>, not 'user/x'"):
        parse_iam_arn("arn:aws:iam::123456789012:user/x")
