"""The posture collectors, by service: every module of this package but this one.

Importing this module imports each collector, which declares its IAM actions (the onboarding
policy is generated from them), and checks that each has the members `Collector` names.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import cast

from cloudwarden.posture import collectors as _package
from cloudwarden.posture.collectors import Collector

_SKIP = {"registry"}


def _load() -> tuple[Collector, ...]:
    found: list[Collector] = []
    for info in sorted(pkgutil.iter_modules(_package.__path__), key=lambda i: i.name):
        if info.name in _SKIP or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{_package.__name__}.{info.name}")
        missing = [m for m in ("SERVICE", "SCOPE", "PERMISSIONS", "collect") if not hasattr(module, m)]
        if missing:
            raise TypeError(f"{module.__name__} is not a posture collector: it lacks {', '.join(missing)}")
        if module.SCOPE not in ("global", "regional"):
            raise ValueError(f"{module.__name__}: SCOPE must be 'global' or 'regional'")
        # Its own declaration, or an evidence collector's when it makes the same reads (findings):
        # one declaration per action.
        owner = module.PERMISSIONS.owner
        if owner != f"posture.{module.SERVICE}" and not owner.startswith("evidence."):
            raise ValueError(
                f"{module.__name__}: PERMISSIONS are declared as 'posture.{module.SERVICE}' (or are an "
                "evidence collector's)"
            )
        found.append(cast(Collector, module))
    services = [c.SERVICE for c in found]
    if len(services) != len(set(services)):
        raise ValueError(f"two posture collectors share a SERVICE: {services}")
    return tuple(found)


COLLECTORS: tuple[Collector, ...] = _load()
