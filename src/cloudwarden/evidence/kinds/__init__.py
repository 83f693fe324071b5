"""Every resource kind the evidence holds, one module each; the registry reads them all.

A kind's module defines `SPEC` (a `KindSpec` named after the module): its label, the
attributes that identify it in logs and changes, its CloudWatch metrics and dimensions, its
relations to other resources, and its log groups.
"""

from __future__ import annotations

from cloudwarden import specs
from cloudwarden.evidence.kinds._spec import Dimensions, KindSpec, Metric, Reference, Relation

__all__ = ["KINDS", "Dimensions", "KindSpec", "Metric", "Reference", "Relation"]


KINDS: dict[str, KindSpec] = specs.load(__name__, __path__, KindSpec)
