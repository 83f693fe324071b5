"""Every fault type the engine ranks, one module each; the registry reads them all.

Adding a fault is one new module here that defines `SPEC` (a `FaultSpec` named after the
module) plus a scenario in the simulated account whose truth is that fault.
"""

from __future__ import annotations

import importlib
import pkgutil

from cloudwarden.diagnosis.spec import FaultSpec


def _load() -> dict[str, FaultSpec]:
    specs: dict[str, FaultSpec] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        spec = importlib.import_module(f"{__name__}.{info.name}").SPEC
        if not isinstance(spec, FaultSpec) or spec.name != info.name:
            raise TypeError(f"{__name__}.{info.name}.SPEC must be a FaultSpec named {info.name!r}")
        specs[spec.name] = spec
    return specs


FAULTS: dict[str, FaultSpec] = _load()
