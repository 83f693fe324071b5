"""What an evidence collector is: one module per source that satisfies `Collector`.

A collector module (`evidence/collectors/<source>.py`) declares, at module level:

- `SOURCE`: the evidence source's name ("alarms", "ecs", "lambda"). It names the source in
  evidence gaps and in the probe's results, and is unique among the registered collectors.
- `PERMISSIONS`: what `cloudwarden.aws.permissions.declare` returned for the IAM actions the
  collector calls (owner "evidence.<source>"). The onboarding policy is generated from these
  declarations, and a call the collector makes but does not declare fails the tests.
- `PROBES`: the cheap reads (`Probe`) that show, right after AssumeRole, whether the role may
  use the source: usually one, more when a source reads through more than one action the
  investigation cannot do without (alarms: "alarms" and "alarm-history"). Each probe's action
  is one of the collector's own `PERMISSIONS`, and its service is the boto3 service of that
  action ("elbv2" for elasticloadbalancing:, "cloudwatch" for cloudwatch:). A probe computes
  anything time-dependent (a metric window) when it is called, never at import.
- `get(client, ...)`: the AWS calls only; it raises, and `CollectContext.guarded` turns the
  failure into an evidence gap. Extra getters (`get_transitions`, `get_status`) may sit beside it.
- `transform(raw, ...)`: pure, from what `get` returned to the typed evidence of `model.py`.

Mypy accepts a module as an implementation of a protocol: `registry.COLLECTORS` is typed
`tuple[Collector, ...]`, so a collector missing a member (or declaring one of the wrong type)
fails `mypy src`. Adding a collector is one module that satisfies `Collector` plus its entry in
`evidence/registry.py` (COLLECTORS, whose order is the order of the probe's results); its
permissions and probes then reach the onboarding policy and the connection test without more.

`Probe` is defined in `cloudwarden.aws.probe` (the aws layer runs probes and must not import the
evidence package) and re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from cloudwarden.aws.permissions import PermissionDeclaration
from cloudwarden.aws.probe import Probe

__all__ = ["Collector", "Probe"]


class Collector(Protocol):
    """An evidence collector module (see the module docstring for what each member means)."""

    SOURCE: str
    PERMISSIONS: PermissionDeclaration
    PROBES: tuple[Probe, ...]
    get: Callable[..., Any]
    transform: Callable[..., Any]
