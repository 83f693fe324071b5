"""Every resource kind the evidence holds, one module each; the registry reads them all.

A kind's module defines `SPEC` (a `KindSpec` named after the module): its label, the
attributes that identify it in logs and changes, its CloudWatch metrics and dimensions, its
relations to other resources, and its log groups.
"""

from __future__ import annotations

import importlib
import pkgutil

from cloudwarden.evidence.kinds._spec import Dimensions, KindSpec, Metric, Relation

__all__ = ["KINDS", "Dimensions", "KindSpec", "Metric", "Relation"]


def _load() -> dict[str, KindSpec]:
    specs: dict[str, KindSpec] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        spec = importlib.import_module(f"{__name__}.{info.name}").SPEC
        if not isinstance(spec, KindSpec) or spec.name != info.name:
            raise TypeError(f"{__name__}.{info.name}.SPEC must be a KindSpec named {info.name!r}")
        specs[spec.name] = spec
    return specs


KINDS: dict[str, KindSpec] = _load()
