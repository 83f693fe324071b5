"""What a fault spec declares. One module per fault in `diagnosis/faults/` holds one FaultSpec.

Everything the product knows about a fault type is read from its spec: which resource kinds it
can be the fault of, the evidence that defines it and the evidence that supports it, how it is
named to a person, how prose claims it (the narration validator's patterns), what to do next,
the remediation it may propose, and the rule that scores it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from cloudwarden.diagnosis.context import Context
from cloudwarden.diagnosis.rulekit import Rule
from cloudwarden.evidence.model import Resource

Direction = Literal[-1, 0, 1]


@dataclass(frozen=True)
class Sign:
    """One piece of evidence a rule reads: the evidence source (a collector's SOURCE) it comes
    from and what it shows. A metric sign names the resource kind, metric and direction."""

    source: str
    shows: str
    kind: str | None = None
    metric: str | None = None
    direction: Direction = 0


def metric(kind: str, name: str, direction: Direction, shows: str) -> Sign:
    return Sign("metrics", shows, kind=kind, metric=name, direction=direction)


@dataclass(frozen=True)
class Proposal:
    """The remediation a fault may propose (an action of `actions.catalog`) and its parameters."""

    action: str
    kind: str
    params: Callable[[Resource, Context], dict[str, Any]]


@dataclass(frozen=True)
class FaultSpec:
    name: str
    label: str  # how a sentence names it: "a memory leak"
    kinds: tuple[str, ...]
    requires: tuple[Sign, ...]  # the rule scores nothing without at least one of these
    supports: tuple[Sign, ...]
    claims: str  # a regular expression matching how prose claims this fault
    next_steps: tuple[str, ...]
    rule: Rule = field(repr=False)
    changes: tuple[str, ...] = ()  # change names (CloudTrail events, "Deployment") it suspects
    remediation: Proposal | None = None

    @cached_property
    def claim_pattern(self) -> re.Pattern[str]:
        return re.compile(self.claims, re.IGNORECASE)

    @property
    def signs(self) -> tuple[Sign, ...]:
        return self.requires + self.supports
