"""Patches that make moto show what a real account shows during an incident.

Each module here patches one API area and exposes:
- ``apply() -> None``: install the patch (idempotent);
- ``reset() -> None``: forget simulated state (called after ``/moto-api/reset``);
- ``INJECTORS: dict[str, Injector]``: handlers for ``POST /_cloudwarden/inject/<kind>``, for
  what has no AWS write API (ECS service events, RDS events, ...);
- optionally ``tick() -> None``: called periodically by the server (alarm evaluation).

Every patch has a contract test through boto3 in tests/simulator/, so a moto upgrade that
breaks one fails loudly.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import datetime
from types import ModuleType
from typing import Any

from pydantic import BaseModel, ConfigDict


class InjectRequest(BaseModel):
    """What every injector receives: the target account and region, and its own payload."""

    model_config = ConfigDict(extra="forbid")

    account_id: str
    region: str
    payload: dict[str, Any]


Injector = Callable[[InjectRequest], dict[str, Any]]

PATCH_MODULES = (
    "cloudwarden.simulator.patches.iam_partitions",
    "cloudwarden.simulator.patches.call_recorder",
    "cloudwarden.simulator.patches.sts_trust",
    "cloudwarden.simulator.patches.cloudtrail_lookup",
    "cloudwarden.simulator.patches.cloudwatch_alarms",
    "cloudwarden.simulator.patches.metric_data",
    "cloudwarden.simulator.patches.ecs_activity",
    "cloudwarden.simulator.patches.rds_events",
    "cloudwarden.simulator.patches.ec2_status",
    "cloudwarden.simulator.patches.guardduty_findings",
    "cloudwarden.simulator.patches.sns_signing",
    "cloudwarden.simulator.patches.credential_report",
    # After the patches whose handlers it wraps (ecs_activity's UpdateService, rds_events' reboot).
    "cloudwarden.simulator.patches.recovery",
    # Last, so that its wrapper is outermost: a throttled request reaches no other patch.
    "cloudwarden.simulator.patches.latency",
)


def modules() -> list[ModuleType]:
    return [importlib.import_module(name) for name in PATCH_MODULES]


def apply_all() -> dict[str, Injector]:
    injectors: dict[str, Injector] = {}
    for module in modules():
        module.apply()
        for kind, handler in getattr(module, "INJECTORS", {}).items():
            if kind in injectors:
                raise RuntimeError(f"injector {kind!r} registered twice")
            injectors[kind] = handler
    return injectors


def reset_all() -> None:
    for module in modules():
        module.reset()


def tick_all(now: datetime | None = None) -> None:
    """Let time pass in every patched area; `now` (default: the clock) may be ahead of the clock."""
    for module in modules():
        tick = getattr(module, "tick", None)
        if tick is not None:
            tick(now)
