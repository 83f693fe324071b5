"""Every fault type the engine ranks, one module each; the registry reads them all.

Adding a fault is one new module here that defines `SPEC` (a `FaultSpec` named after the
module) plus a scenario in the simulated account whose truth is that fault.
"""

from __future__ import annotations

from cloudwarden import specs
from cloudwarden.diagnosis.spec import FaultSpec

FAULTS: dict[str, FaultSpec] = specs.load(__name__, __path__, FaultSpec)
