"""A self-contained HTML report: scores, trend lines, changes and findings, no script, no network.

After CloudWarden's findings, the findings of the account's AWS security services (Security Hub,
GuardDuty, Inspector) in a section of their own: counts by source and severity, then the findings.

Charts are inline SVG drawn here (bars for each framework's score, a line per framework across
the account's scans), so the file opens anywhere and can be mailed as it is.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence

import jinja2

from cloudwarden.posture.checks import all_checks
from cloudwarden.posture.flows import ScanReport
from cloudwarden.posture.model import Severity, Status
from cloudwarden.posture.outputs.tabular import kept_days, requirements_by_check, summary
from cloudwarden.store.posture import PostureScan

COLOURS = ("#1f5fa8", "#b3541e", "#2e7d32", "#6a1b9a", "#00695c")
_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("cloudwarden.posture", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
STATUS_ORDER = {Status.FAIL: 0, Status.ERROR: 1, Status.PASS: 2, Status.NOT_APPLICABLE: 3}


def stream_html(report: ScanReport) -> Iterator[str]:
    """The report page, rendered a row at a time (Jinja's generate)."""
    checks = all_checks()
    requirements = requirements_by_check()
    rows = sorted(
        report.findings,
        key=lambda fc: (STATUS_ORDER[fc[0].status], -_weight(fc[0].severity.value), fc[0].check_id),
    )
    findings = (
        {
            "finding": f,
            "change": change,
            "title": checks[f.check_id].metadata.title if f.check_id in checks else f.check_id,
            "remediation": checks[f.check_id].metadata.remediation if f.check_id in checks else None,
            "requirements": requirements.get(f.check_id, []),
        }
        for f, change in rows
    )
    return _ENV.get_template("report.html.j2").generate(
        summary=summary(report),
        scores=report.scores,
        bars=score_bars([(s.title, s.score) for s in report.scores]),
        trend=trend_lines(report.history, [s.framework for s in report.scores]),
        findings=findings,
        colours=COLOURS,
        external=report.external or [],
        severities=[s.value for s in Severity],
        kept_days=kept_days(),
    )


def to_html(report: ScanReport) -> str:
    return "".join(stream_html(report))


def _weight(severity: str) -> int:
    return {"critical": 4, "high": 3, "medium": 2, "low": 1}.get(severity, 0)


def score_bars(scores: Sequence[tuple[str, float]], width: int = 560) -> str:
    """Horizontal bars, one per framework, 0-100."""
    row, label = 28, 230
    height = row * len(scores) + 10
    parts = [f'<svg role="img" aria-label="Score per framework" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">']  # fmt: skip
    for index, (title, value) in enumerate(scores):
        y = 5 + index * row
        span = (width - label - 50) * max(0.0, min(100.0, value)) / 100
        colour = COLOURS[index % len(COLOURS)]
        parts.append(f'<text x="0" y="{y + 16}" font-size="12">{html.escape(title)}</text>')
        parts.append(f'<rect x="{label}" y="{y + 3}" width="{span:.1f}" height="18" fill="{colour}"/>')
        parts.append(f'<text x="{label + span + 6:.1f}" y="{y + 16}" font-size="12">{value:.1f}</text>')
    parts.append("</svg>")
    return "".join(parts)


def trend_lines(history: Sequence[PostureScan], framework_ids: Sequence[str], width: int = 560) -> str:
    """One line per framework: its score at each of the account's scans (oldest left)."""
    height, left, bottom = 180, 36, 24
    if len(history) < 2:
        return ""
    step = (width - left - 10) / (len(history) - 1)
    parts = [f'<svg role="img" aria-label="Score per framework over the last {len(history)} scans" '
             f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             f'xmlns="http://www.w3.org/2000/svg">']  # fmt: skip
    for tick in (0, 50, 100):
        y = (height - bottom) * (1 - tick / 100) + 5
        parts.append(f'<line x1="{left}" x2="{width}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ccc"/>')
        parts.append(f'<text x="0" y="{y + 4:.1f}" font-size="11">{tick}</text>')
    for index, framework in enumerate(framework_ids):
        points = []
        for position, scan in enumerate(history):
            value = scan.scores.get(framework, {}).get("score")
            if value is not None:
                y = (height - bottom) * (1 - float(value) / 100) + 5
                points.append(f"{left + position * step:.1f},{y:.1f}")
        colour = COLOURS[index % len(COLOURS)]
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(points)}"/>'
        )
    first, last = history[0].started_at, history[-1].started_at
    parts.append(f'<text x="{left}" y="{height - 4}" font-size="11">{first:%Y-%m-%d %H:%M}</text>')
    parts.append(
        f'<text x="{width - 110}" y="{height - 4}" font-size="11">{last:%Y-%m-%d %H:%M}</text></svg>'
    )
    return "".join(parts)
