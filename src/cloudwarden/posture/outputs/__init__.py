"""A scan's report in four formats: JSON, CSV, OCSF Detection Findings, and a self-contained HTML.

    paths = write_all(report, folder)        # {"json": .../posture-<scan>.json, "csv": ..., ...}
    for chunk in stream(report, "ocsf"): ...
    text = render(report, "ocsf")

Every format carries the same findings; JSON and HTML add the scores, the trend and the changes
since the previous scan. OCSF is what Security Hub and other OCSF consumers import.

Each format is written as a stream of chunks, a finding at a time: a report never exists whole in
memory, so writing the reports of a scan of thousands of resources costs what one finding's text
does, not what all of them do (docs/benchmarks.md, "Posture scan at scale").
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

from cloudwarden.posture.flows import ScanReport
from cloudwarden.posture.outputs import html, ocsf, tabular

Format = Literal["json", "csv", "ocsf", "html"]
Renderer = Callable[[ScanReport], Iterator[str]]
FORMATS: dict[Format, tuple[str, Renderer]] = {
    "json": ("json", tabular.stream_json),
    "csv": ("csv", tabular.stream_csv),
    "ocsf": ("ocsf.json", ocsf.stream_ocsf),
    "html": ("html", html.stream_html),
}


def stream(report: ScanReport, fmt: Format) -> Iterator[str]:
    """The report in `fmt`, as chunks of text (a finding or so each)."""
    return FORMATS[fmt][1](report)


def render(report: ScanReport, fmt: Format) -> str:
    return "".join(stream(report, fmt))


def write_all(report: ScanReport, folder: Path) -> dict[Format, Path]:
    """Write every format into `folder` (created, private); the paths by format."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    paths: dict[Format, Path] = {}
    for fmt, (suffix, renderer) in FORMATS.items():
        path = folder / f"posture-{report.scan.id}.{suffix}"
        # Created private, never readable by others even while it is written.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(descriptor, "w", encoding="utf-8") as file:
            file.writelines(renderer(report))
        path.chmod(0o600)
        paths[fmt] = path
    return paths
