"""One module per spec: a package's registry reads every module of it for its `SPEC`."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from typing import Protocol, TypeVar


class Named(Protocol):
    @property
    def name(self) -> str: ...


S = TypeVar("S", bound=Named)


def load(package: str, path: Iterable[str], spec_type: type[S]) -> dict[str, S]:
    """The `SPEC` of every module of `package` (not those starting with "_"), by name, sorted;
    each must be a `spec_type` named after its module."""
    specs: dict[str, S] = {}
    for info in sorted(pkgutil.iter_modules(list(path)), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        spec = importlib.import_module(f"{package}.{info.name}").SPEC
        if not isinstance(spec, spec_type) or spec.name != info.name:
            raise TypeError(f"{package}.{info.name}.SPEC must be a {spec_type.__name__} named {info.name!r}")
        specs[spec.name] = spec
    return specs
