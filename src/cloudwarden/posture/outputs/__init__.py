"""A scan's report in four formats: JSON, CSV, OCSF Detection Findings, and a self-contained HTML.

    paths = write_all(report, folder)        # {"json": .../posture-<scan>.json, "csv": ..., ...}
    text = render(report, "ocsf")

Every format carries the same findings; JSON and HTML add the scores, the trend and the changes
since the previous scan. OCSF is what Security Hub and other OCSF consumers import.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

from cloudwarden.posture.flows import ScanReport
from cloudwarden.posture.outputs import html, ocsf, tabular

Format = Literal["json", "csv", "ocsf", "html"]
FORMATS: dict[Format, tuple[str, Callable[[ScanReport], str]]] = {
    "json": ("json", tabular.to_json),
    "csv": ("csv", tabular.to_csv),
    "ocsf": ("ocsf.json", ocsf.to_ocsf),
    "html": ("html", html.to_html),
}


def render(report: ScanReport, fmt: Format) -> str:
    return FORMATS[fmt][1](report)


def write_all(report: ScanReport, folder: Path) -> dict[Format, Path]:
    """Write every format into `folder` (created, private); the paths by format."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    paths: dict[Format, Path] = {}
    for fmt, (suffix, renderer) in FORMATS.items():
        path = folder / f"posture-{report.scan.id}.{suffix}"
        path.write_text(renderer(report), encoding="utf-8")
        path.chmod(0o600)
        paths[fmt] = path
    return paths
