"""What a posture collector is: one module per service that satisfies `Collector`.

A collector module (`posture/collectors/<service>.py`) declares:

- `SERVICE`: its name in the inventory ("iam", "s3", "ec2"); checks list it in `reads`.
- `SCOPE`: "global" (read once per account, stored under region "global": IAM, the S3 bucket
  list) or "regional" (read once in every scanned region).
- `PERMISSIONS`: `cloudwarden.aws.permissions.declare("posture.<service>", (...))`: every IAM
  action it calls. The read policy of the onboarding template is generated from these, and the
  call-recording test fails on a call that is not declared. A collector that makes an evidence
  collector's reads reuses its declaration (`findings`: the evidence findings' `PERMISSIONS`).
- `collect(clients, region, account_id)`: reads AWS once per API (paginated) and returns the
  service's typed data. `clients(name)` gives a boto3 client for the region. A failure of the
  service's main listing raises (the scanner records the whole service in that region as
  Unknown, and every check reading it reports ERROR); a failure of a detail (one bucket's
  policy) is stored as an `Unknown` in that field through `inventory.read`.

Adding a collector is one module plus its entry in `COLLECTORS` below.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, Protocol

from cloudwarden.aws.permissions import PermissionDeclaration

Clients = Callable[[str], Any]


class Collector(Protocol):
    SERVICE: str
    SCOPE: Literal["global", "regional"]
    PERMISSIONS: PermissionDeclaration
    collect: Callable[..., Any]


def all_collectors() -> dict[str, Collector]:
    """Every posture collector by inventory service name."""
    from cloudwarden.posture.collectors import registry

    return {c.SERVICE: c for c in registry.COLLECTORS}
