"""How CloudWatch decides a metric alarm's state, as pure functions over stored samples.

Follows the documented algorithm: the statistic over each period, an evaluation range a little
longer than EvaluationPeriods (so late or missing points do not flip the alarm), M out of N
breaching datapoints for ALARM, and TreatMissingData only when too few real datapoints exist.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

COMPARISON_WORDS = {
    "GreaterThanOrEqualToThreshold": "greater than or equal to",
    "GreaterThanThreshold": "greater than",
    "LessThanThreshold": "less than",
    "LessThanOrEqualToThreshold": "less than or equal to",
}
STANDARD_STATISTICS = ("Average", "Sum", "Minimum", "Maximum", "SampleCount")
TREAT_MISSING = ("missing", "ignore", "breaching", "notBreaching")
# CloudWatch retrieves more periods than EvaluationPeriods; two extra is its behaviour for
# one-minute alarms and keeps a single late datapoint from counting as missing.
EXTRA_RANGE_PERIODS = 2


@dataclass(frozen=True)
class Sample:
    """One stored metric datum: a single value or a StatisticSet."""

    timestamp: float  # epoch seconds
    total: float
    minimum: float
    maximum: float
    count: float
    values: tuple[float, ...]  # raw values (single-value data only), for percentiles


@dataclass(frozen=True)
class Datapoint:
    period_start: int  # epoch seconds
    value: float
    sample_count: float


@dataclass(frozen=True)
class AlarmSpec:
    period: int
    evaluation_periods: int
    datapoints_to_alarm: int
    comparison: str
    threshold: float
    statistic: str  # a standard statistic or a percentile such as "p99"
    treat_missing: str


@dataclass(frozen=True)
class Verdict:
    state: str | None  # None: keep the current state (TreatMissingData=ignore)
    evaluated: tuple[Datapoint, ...]  # real datapoints used, newest first
    filled: int  # missing datapoints filled in by TreatMissingData
    all_missing: bool


def statistic_of(samples: Iterable[Sample], statistic: str) -> tuple[float, float] | None:
    """The period's (value, sample count) for `statistic`, or None when nothing is usable."""
    batch = list(samples)
    count = sum(s.count for s in batch)
    if not batch or not count:
        return None
    if statistic == "Average":
        value = sum(s.total for s in batch) / count
    elif statistic == "Sum":
        value = sum(s.total for s in batch)
    elif statistic == "Minimum":
        value = min(s.minimum for s in batch)
    elif statistic == "Maximum":
        value = max(s.maximum for s in batch)
    elif statistic == "SampleCount":
        value = count
    else:
        # Percentiles need raw values; StatisticSets do not keep them (nor does CloudWatch).
        raw = sorted(v for s in batch for v in s.values)
        if not raw:
            return None
        rank = float(statistic[1:]) / 100.0
        value = raw[max(0, math.ceil(rank * len(raw)) - 1)]
    return value, count


def datapoints(samples: Iterable[Sample], period: int, statistic: str) -> dict[int, Datapoint]:
    """Period-aligned datapoints keyed by period start (epoch seconds), as alarms see them."""
    buckets: dict[int, list[Sample]] = {}
    for sample in samples:
        buckets.setdefault(int(sample.timestamp // period) * period, []).append(sample)
    result: dict[int, Datapoint] = {}
    for start, batch in buckets.items():
        stat = statistic_of(batch, statistic)
        if stat is not None:
            result[start] = Datapoint(period_start=start, value=stat[0], sample_count=stat[1])
    return result


def breaches(spec: AlarmSpec, value: float) -> bool:
    if spec.comparison == "GreaterThanOrEqualToThreshold":
        return value >= spec.threshold
    if spec.comparison == "GreaterThanThreshold":
        return value > spec.threshold
    if spec.comparison == "LessThanThreshold":
        return value < spec.threshold
    return value <= spec.threshold


def judge(spec: AlarmSpec, points: Mapping[int, Datapoint], window_end: int) -> Verdict:
    """The state the alarm should be in when the period ending at `window_end` has completed."""
    needed, to_alarm = spec.evaluation_periods, spec.datapoints_to_alarm
    slots = [window_end - k * spec.period for k in range(1, needed + EXTRA_RANGE_PERIODS + 1)]
    real = [points[slot] for slot in slots if slot in points]
    if len(real) >= needed:
        evaluated = tuple(real[:needed])
        breaching = sum(breaches(spec, p.value) for p in evaluated)
        return Verdict("ALARM" if breaching >= to_alarm else "OK", evaluated, 0, False)
    filled = needed - len(real)
    evaluated = tuple(real)
    breaching = sum(breaches(spec, p.value) for p in evaluated)
    if not real:
        state = {"missing": "INSUFFICIENT_DATA", "ignore": None, "breaching": "ALARM", "notBreaching": "OK"}
        return Verdict(state[spec.treat_missing], evaluated, filled, True)
    if spec.treat_missing == "breaching":
        return Verdict("ALARM" if breaching + filled >= to_alarm else "OK", evaluated, filled, False)
    if spec.treat_missing == "notBreaching":
        return Verdict("ALARM" if breaching >= to_alarm else "OK", evaluated, filled, False)
    if spec.treat_missing == "ignore":
        if breaching >= to_alarm:
            return Verdict("ALARM", evaluated, 0, False)
        if breaching + filled < to_alarm:
            return Verdict("OK", evaluated, 0, False)
        return Verdict(None, evaluated, 0, False)
    # "missing": judge on the real datapoints alone (a lone breaching point can alarm).
    return Verdict("ALARM" if breaching >= min(to_alarm, len(real)) else "OK", evaluated, 0, False)


def java_double(value: float) -> str:
    """Format like Java's Double.toString, which is how CloudWatch prints values in reasons."""
    text = repr(float(value))
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    if "." not in mantissa:
        mantissa += ".0"
    return f"{mantissa}E{int(exponent)}"


def aws_time(moment: datetime) -> str:
    """CloudWatch's timestamp format in notifications and reason data."""
    moment = moment.astimezone(UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}+0000"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _point_text(point: Datapoint) -> str:
    stamp = datetime.fromtimestamp(point.period_start, UTC)
    return f"{java_double(point.value)} ({stamp:%d/%m/%y %H:%M:%S})"


def explain(
    spec: AlarmSpec, verdict: Verdict, old_state: str, window_end: int, query_date: datetime
) -> tuple[str, dict[str, Any]]:
    """The StateReason text and StateReasonData object CloudWatch writes for a verdict."""
    needed, state = spec.evaluation_periods, verdict.state or old_state
    newest_first = list(verdict.evaluated)
    start = window_end - (needed + (EXTRA_RANGE_PERIODS if verdict.filled else 0)) * spec.period
    stat_key = "statistic" if spec.statistic in STANDARD_STATISTICS else "extendedStatistic"
    data: dict[str, Any] = {
        "version": "1.0",
        "queryDate": aws_time(query_date),
        "startDate": aws_time(datetime.fromtimestamp(start, UTC)),
        stat_key: spec.statistic,
        "period": spec.period,
        "recentDatapoints": [p.value for p in reversed(newest_first)],
        "threshold": spec.threshold,
        "evaluatedDatapoints": [
            {
                "timestamp": aws_time(datetime.fromtimestamp(p.period_start, UTC)),
                "sampleCount": p.sample_count,
                "value": p.value,
            }
            for p in newest_first
        ],
    }
    if verdict.all_missing:
        if state == "INSUFFICIENT_DATA":
            was = "was" if needed == 1 else "were"
            return f"Insufficient Data: {_plural(needed, 'datapoint')} {was} unknown.", data
        treated = "Breaching" if state == "ALARM" else "NonBreaching"
        was = "was" if verdict.filled == 1 else "were"
        reason = (
            f"Threshold Crossed: no datapoints were received for {_plural(needed, 'period')} and "
            f"{_plural(verdict.filled, 'missing datapoint')} {was} treated as [{treated}]."
        )
        return reason, data
    words = COMPARISON_WORDS[spec.comparison]
    if state == "ALARM":
        shown = [p for p in newest_first if breaches(spec, p.value)]
        minimum = spec.datapoints_to_alarm
    else:
        shown = [p for p in newest_first if not breaches(spec, p.value)]
        words = f"not {words}"
        minimum = needed - spec.datapoints_to_alarm + 1
    listed = ", ".join(_point_text(p) for p in shown)
    was = "was" if len(shown) == 1 else "were"
    filled = ""
    if verdict.filled:
        treated = "Breaching" if spec.treat_missing == "breaching" else "NonBreaching"
        fill_was = "was" if verdict.filled == 1 else "were"
        filled = f" and {_plural(verdict.filled, 'missing datapoint')} {fill_was} treated as [{treated}]"
    reason = (
        f"Threshold Crossed: {len(shown)} out of the last {needed} datapoints [{listed}] {was} {words} "
        f"the threshold ({java_double(spec.threshold)}){filled} "
        f"(minimum {_plural(minimum, 'datapoint')} for {old_state} -> {state} transition)."
    )
    return reason, data
