"""Line charts as server-rendered SVG geometry (no script, no inline style: the CSP allows neither).

    chart = line_chart(points, title="CPUUtilization", markers=[Marker(onset, "onset", "Onset")])
    {% include "partials/chart.html" %}      # draws chart.path, chart.ticks, chart.markers

Pure functions over (time, value) points; the template draws, CSS colours.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 12, 28


@dataclass(frozen=True)
class Marker:
    at: datetime
    kind: str  # a CSS class: onset, change
    label: str


@dataclass(frozen=True)
class PlacedMarker:
    x: float
    kind: str
    label: str
    at: datetime


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Chart:
    title: str
    path: str  # the SVG path's d attribute; empty when there are no points
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    markers: list[PlacedMarker] = field(default_factory=list)
    points: int = 0
    minimum: float | None = None
    maximum: float | None = None
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM

    @property
    def description(self) -> str:
        """The text alternative: what a screen reader says instead of the picture."""
        if not self.points:
            return f"{self.title}: no datapoints"
        marks = "; ".join(f"{m.label} at {m.at.astimezone(UTC):%H:%M} UTC" for m in self.markers)
        return (
            f"{self.title}: {self.points} datapoints from {_number(self.minimum)} to {_number(self.maximum)}"
            + (f"; {marks}" if marks else "")
        )


def line_chart(
    points: list[tuple[datetime, float]], *, title: str, markers: list[Marker] | tuple[Marker, ...] = ()
) -> Chart:
    ordered = sorted((_aware(when), value) for when, value in points if math.isfinite(value))
    if not ordered:
        return Chart(title=title, path="")
    start, end = ordered[0][0], ordered[-1][0]
    span = max((end - start).total_seconds(), 60.0)
    # Only what happened while the metric was drawn: a week-old change would squash the line.
    markers = [m for m in markers if start <= _aware(m.at) <= end]
    low = min(value for _, value in ordered)
    high = max(value for _, value in ordered)
    low, high, step = _nice_range(min(low, 0.0) if low >= 0 else low, high)
    left, right, top, bottom = LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM

    def x(moment: datetime) -> float:
        return round(left + (moment - start).total_seconds() / span * (right - left), 1)

    def y(value: float) -> float:
        return round(bottom - (value - low) / (high - low) * (bottom - top), 1)

    path = " ".join(
        f"{'M' if i == 0 else 'L'}{x(when)},{y(value)}" for i, (when, value) in enumerate(ordered)
    )
    y_ticks = [
        Tick(y(low + i * step), _number(low + i * step)) for i in range(round((high - low) / step) + 1)
    ]
    x_ticks = [
        Tick(x(start + (end - start) * i / 4), f"{(start + (end - start) * i / 4).astimezone(UTC):%H:%M}")
        for i in range(5)
    ]
    placed = [PlacedMarker(x(_aware(m.at)), m.kind, m.label, _aware(m.at)) for m in markers]
    return Chart(
        title=title,
        path=path,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        markers=placed,
        points=len(ordered),
        minimum=min(value for _, value in ordered),
        maximum=max(value for _, value in ordered),
    )


def _nice_range(low: float, high: float) -> tuple[float, float, float]:
    """Axis bounds on round numbers, with about four steps between them."""
    if high <= low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return math.floor(low / step) * step, math.ceil(high / step) * step, step


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
