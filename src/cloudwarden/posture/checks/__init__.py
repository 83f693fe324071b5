"""The posture checks: one module per check under `checks/<service>/<check_id>.py`.

Each module declares `METADATA` (a `CheckMetadata` whose id is the module's name and whose
service is its package's) and `run(inventory) -> Iterable[Result]`, a pure function of the
inventory. `all_checks()` finds and validates them once; a module that breaks the rules stops
the registry from loading, so the tests catch it.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Result


@dataclass(frozen=True)
class Check:
    metadata: CheckMetadata
    run: Callable[[Inventory], Iterable[Result]]

    @property
    def id(self) -> str:
        return self.metadata.id


@functools.cache
def all_checks() -> dict[str, Check]:
    """Every check by id, sorted by id."""
    from cloudwarden.posture.collectors import all_collectors

    services = set(all_collectors())
    found: dict[str, Check] = {}
    package = importlib.import_module(__name__)
    for service in pkgutil.iter_modules(package.__path__):
        if not service.ispkg:
            continue
        subpackage = importlib.import_module(f"{__name__}.{service.name}")
        for info in pkgutil.iter_modules(subpackage.__path__):
            module = importlib.import_module(f"{subpackage.__name__}.{info.name}")
            metadata = getattr(module, "METADATA", None)
            run = getattr(module, "run", None)
            where = module.__name__
            if not isinstance(metadata, CheckMetadata) or not callable(run):
                raise TypeError(f"{where}: a check declares METADATA (CheckMetadata) and run(inventory)")
            if metadata.id != info.name or metadata.service != service.name:
                raise ValueError(f"{where}: METADATA.id and .service must match the module and package")
            unknown = set(metadata.reads) - services
            if unknown:
                raise ValueError(f"{where}: reads {sorted(unknown)}, which no collector provides")
            found[metadata.id] = Check(metadata, run)
    return dict(sorted(found.items()))
