"""Score trends as server-rendered SVG geometry: one or more 0-100 lines across an account's scans.

    chart = trend_chart(
        [scan.started_at for scan in history],
        [Line("Weighted score", "score", [62.0, 70.5]), Line("Requirements passed", "share", [55.0, 60.0])],
        title="CIS AWS Foundations Benchmark v3.0",
    )
    {% include "posture/_trend.html" %}        # draws chart.lines, chart.y_ticks, chart.x_ticks

Unlike web/charts.line_chart (a metric around an incident's onset: times of day, the axis fitted
to the values), a posture trend spans days to months of scans taken at irregular times, on a
fixed 0-100 scale: scans are spaced evenly in the order they ran, and labelled by date. Pure
functions; the template draws, CSS colours (no inline style: the CSP allows none).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

WIDTH, HEIGHT = 560, 200
LEFT, RIGHT, TOP, BOTTOM = 40, 16, 12, 28
Y_TICKS = (0, 25, 50, 75, 100)


@dataclass(frozen=True)
class Line:
    label: str
    kind: str  # a CSS class: score, share
    values: Sequence[float | None]  # one per scan, 0-100; None: the scan has no value


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    value: float
    at: datetime


@dataclass(frozen=True)
class PlacedLine:
    label: str
    kind: str
    path: str  # the SVG path's d attribute ("" when no value); a missing value breaks the line
    points: list[Point]


@dataclass(frozen=True)
class TrendChart:
    title: str
    description: str  # the text alternative a screen reader reads instead of the picture
    lines: list[PlacedLine] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    scans: int = 0
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM


def trend_chart(moments: Sequence[datetime], lines: Sequence[Line], *, title: str) -> TrendChart:
    """`moments`: when each scan ran, oldest first; each line has one value per moment."""
    count = len(moments)
    left, right, top, bottom = LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM

    def x(index: int) -> float:
        if count == 1:
            return round((left + right) / 2, 1)
        return round(left + index * (right - left) / (count - 1), 1)

    def y(value: float) -> float:
        return round(bottom - max(0.0, min(100.0, value)) / 100 * (bottom - top), 1)

    placed = []
    for line in lines:
        if len(line.values) != count:
            raise ValueError(f"{line.label}: {len(line.values)} values for {count} scans")
        points, path, pen_down = [], [], False
        for index, (moment, value) in enumerate(zip(moments, line.values, strict=True)):
            if value is None:
                pen_down = False
                continue
            point = Point(x(index), y(value), float(value), _aware(moment))
            points.append(point)
            path.append(f"{'L' if pen_down else 'M'}{point.x:g},{point.y:g}")
            pen_down = True
        placed.append(PlacedLine(line.label, line.kind, " ".join(path), points))
    return TrendChart(
        title=title,
        description=describe(title, moments, lines),
        lines=placed,
        x_ticks=[Tick(x(i), label) for i, label in _date_labels(moments)],
        y_ticks=[Tick(y(value), str(value)) for value in Y_TICKS],
        scans=count,
    )


def describe(title: str, moments: Sequence[datetime], lines: Sequence[Line]) -> str:
    """'CIS ...: 3 scans from 2026-11-01 to 2026-11-03; weighted score 62.0 to 70.5; ...'."""
    if not moments:
        return f"{title}: no scans yet"
    first, last = _aware(moments[0]), _aware(moments[-1])
    span = f"1 scan on {first:%Y-%m-%d}" if len(moments) == 1 else (
        f"{len(moments)} scans from {first:%Y-%m-%d} to {last:%Y-%m-%d}"
    )  # fmt: skip
    parts = [span]
    for line in lines:
        values = [v for v in line.values if v is not None]
        if not values:
            parts.append(f"{line.label.lower()}: no values")
        elif len(values) == 1:
            parts.append(f"{line.label.lower()} {values[0]:.1f}")
        else:
            parts.append(f"{line.label.lower()} {values[0]:.1f} to {values[-1]:.1f}")
    return f"{title}: " + "; ".join(parts)


def _date_labels(moments: Sequence[datetime]) -> list[tuple[int, str]]:
    """Labels for the first and the last scan (and the middle one when there is room): the date,
    or the time of day when every scan ran on the same day."""
    if not moments:
        return []
    aware = [_aware(m) for m in moments]
    same_day = aware[0].date() == aware[-1].date()
    shape = "%H:%M" if same_day else "%b %d"
    chosen = sorted({0, len(aware) - 1} | ({(len(aware) - 1) // 2} if len(aware) >= 5 else set()))
    return [(i, f"{aware[i]:{shape}}") for i in chosen]


def _aware(moment: datetime) -> datetime:
    moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
