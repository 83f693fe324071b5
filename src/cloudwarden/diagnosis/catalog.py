"""The fault types as a person reads them, rendered from the specs (docs/faults.md).

python -m cloudwarden.diagnosis.catalog > docs/faults.md
"""

from __future__ import annotations

from cloudwarden.diagnosis.faults import FAULTS
from cloudwarden.evidence.kinds import KINDS


def markdown() -> str:
    lines = [
        "# Fault types",
        "",
        "Generated from the specs in `src/cloudwarden/diagnosis/faults/` by",
        "`python -m cloudwarden.diagnosis.catalog > docs/faults.md`; `tests/diagnosis/test_specs.py`",
        "fails when this page and the specs differ. A rule scores nothing without at least one piece",
        "of the evidence it requires.",
        "",
        "| fault | applies to | requires one of | supported by | may propose |",
        "|---|---|---|---|---|",
    ]
    for name, spec in FAULTS.items():
        kinds = ", ".join(KINDS[k].label for k in spec.kinds)
        requires = "; ".join(f"{s.shows} ({s.source})" for s in spec.requires)
        supports = "; ".join(f"{s.shows} ({s.source})" for s in spec.supports) or "—"
        action = spec.remediation.action if spec.remediation else "—"
        lines.append(f"| {name} ({spec.label}) | {kinds} | {requires} | {supports} | {action} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
