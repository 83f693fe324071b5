"""A VPC security group."""

from __future__ import annotations

from cloudwarden.evidence.kinds._spec import KindSpec

SPEC = KindSpec(name="security_group", label="security group", identifiers=("group_id",))
