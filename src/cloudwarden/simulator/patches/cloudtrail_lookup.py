"""(being written) patch module: see package docstring for the contract."""

from __future__ import annotations

from cloudwarden.simulator.patches import Injector

INJECTORS: dict[str, Injector] = {}


def apply() -> None:
    return None


def reset() -> None:
    return None
