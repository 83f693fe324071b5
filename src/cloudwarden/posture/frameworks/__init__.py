"""Compliance frameworks as data: `frameworks/<id>.json` maps requirement ids to check ids.

    {"id": "cis_aws_3_0", "name": "CIS AWS Foundations Benchmark", "version": "3.0",
     "requirements": [{"id": "1.4", "section": "1 Identity and Access Management",
                       "automated": true, "checks": ["iam_root_access_key_absent"]}, ...]}

Adding a framework is adding a file: no code. A requirement without checks is one CloudWarden
does not assess (manual, or not implemented yet); `coverage` counts the automated ones covered.
Every check id named must exist, which `load_all` enforces.
"""

from __future__ import annotations

import functools
import json
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field


class Requirement(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    section: str = ""
    title: str = ""
    automated: bool = True  # CIS marks some controls "Manual": no API can judge them
    checks: tuple[str, ...] = ()


class Framework(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str
    version: str
    scope: str = ""  # what part of the framework is listed, when not all of it
    requirements: tuple[Requirement, ...]

    @property
    def title(self) -> str:
        return f"{self.name} v{self.version}"

    def coverage(self) -> tuple[int, int]:
        """(automated requirements with at least one check, automated requirements)."""
        automated = [r for r in self.requirements if r.automated]
        return sum(1 for r in automated if r.checks), len(automated)

    def check_ids(self) -> set[str]:
        return {c for r in self.requirements for c in r.checks}


@functools.cache
def load_all() -> dict[str, Framework]:
    """Every framework shipped, by id; ValueError naming a check id that does not exist."""
    from cloudwarden.posture.checks import all_checks

    known = set(all_checks())
    found: dict[str, Framework] = {}
    for entry in sorted(resources.files(__name__).iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json"):
            continue
        framework = Framework.model_validate(json.loads(entry.read_text()))
        unknown = framework.check_ids() - known
        if unknown:
            raise ValueError(f"framework {framework.id} names unknown checks: {', '.join(sorted(unknown))}")
        ids = [r.id for r in framework.requirements]
        if len(ids) != len(set(ids)):
            raise ValueError(f"framework {framework.id} lists a requirement twice")
        found[framework.id] = framework
    return found
