"""Everything the fault rules read, derived once from an EvidenceBundle."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cloudwarden.diagnosis.signals import Anomaly, LogTemplate, anomaly, is_error, mine_templates, template_of
from cloudwarden.diagnosis.topology import Graph, identifiers
from cloudwarden.evidence.model import Change, EvidenceBundle, LogLine, ServiceEvent

# A change counts as a suspect if it landed up to this long before the onset, or just after.
CHANGE_LEAD = timedelta(minutes=60)
CHANGE_LAG = timedelta(minutes=5)


@dataclass
class Context:
    bundle: EvidenceBundle
    graph: Graph
    roots: list[str]
    distances: dict[str, int]
    alarm_time: datetime
    onset: datetime
    anomalies: dict[str, list[Anomaly]] = field(default_factory=dict)
    templates: list[LogTemplate] = field(default_factory=list)
    changes: dict[str, list[Change]] = field(default_factory=dict)
    events: dict[str, list[ServiceEvent]] = field(default_factory=dict)

    def metric(self, key: str, name: str, *, rising: bool, min_z: float = 4.0) -> Anomaly | None:
        best = None
        for a in self.anomalies.get(key, []):
            if a.series.metric != name or a.rising != rising or abs(a.score) < min_z:
                continue
            if best is None or abs(a.score) > abs(best.score):
                best = a
        return best

    def groups_of(self, key: str) -> set[str]:
        return {g for g, owner in self.bundle.log_groups.items() if owner == key}

    def recent_minutes(self) -> float:
        return max((self.bundle.window_end - self.onset).total_seconds() / 60, 1)

    def baseline_minutes(self) -> float:
        return max((self.onset - self.bundle.window_start).total_seconds() / 60, 1)

    def surging(self, category: str, *, min_count: int = 3) -> list[LogTemplate]:
        recent, baseline = self.recent_minutes(), self.baseline_minutes()
        return [
            t
            for t in self.templates
            if category in t.categories and t.recent_count >= min_count and t.surge(baseline, recent) >= 4
        ]

    def suspect_changes(self, key: str, names: tuple[str, ...]) -> list[Change]:
        return [
            c
            for c in self.changes.get(key, [])
            if c.name in names and self.onset - CHANGE_LEAD <= c.time <= self.latest_suspect_time()
        ]

    def latest_suspect_time(self) -> datetime:
        """A change up to the alarm can be a cause: when two faults overlap, the onset is the
        first one's, and the second's change lands after it (responders act after the alarm)."""
        return max(self.onset + CHANGE_LAG, self.alarm_time)


def _matches(value: str, ids: set[str]) -> bool:
    return value in ids or any(value.endswith(("/" + i, ":" + i)) for i in ids if len(i) >= 6)


# An error message seen this many times near the alarm, and never before, marks the onset too.
NEW_ERROR_LINES = 5


def first_new_errors(
    lines: list[LogLine], groups: set[str], since: datetime, until: datetime
) -> list[datetime]:
    """When each error message that is new near the alarm first appeared, in these log groups:
    a bad deploy's exceptions begin with it, often minutes before any metric moves enough."""
    first: dict[tuple[str, str], datetime] = {}
    counts: dict[tuple[str, str], int] = {}
    before: set[tuple[str, str]] = set()
    for line in lines:
        if line.group not in groups or line.time > until or not is_error(line.message):
            continue
        key = (line.group, template_of(line.message))
        if line.time < since:
            before.add(key)
            continue
        counts[key] = counts.get(key, 0) + 1
        first[key] = min(first.get(key, line.time), line.time)
    return [t for key, t in first.items() if key not in before and counts[key] >= NEW_ERROR_LINES]


def estimate_onset(
    anomalies: list[Anomaly],
    alarm_time: datetime,
    alarm_period_minutes: int,
    new_errors: Sequence[datetime] = (),
) -> datetime:
    """The earliest sustained deviation among strong anomalies near the alarm's own signal, or
    the first line of an error message new near it, whichever came first."""
    onsets = [a.onset for a in anomalies if a.onset is not None and abs(a.score) >= 6] + list(new_errors)
    floor = alarm_time - timedelta(minutes=55)
    onsets = [o for o in onsets if o >= floor]
    if onsets:
        return min(onsets)
    return alarm_time - timedelta(minutes=max(3, alarm_period_minutes))


def build(bundle: EvidenceBundle, graph: Graph, roots: list[str]) -> Context:
    alarm_time = bundle.alarm.state_changed_at
    distances = graph.distances(roots)
    anomalies: dict[str, list[Anomaly]] = {}
    for series in bundle.metrics:
        found = anomaly(series, alarm_time=alarm_time, end=bundle.window_end)
        if found is not None:
            anomalies.setdefault(series.resource, []).append(found)
    # Onset from the anomalies of the alarmed resources and their close neighbours.
    near = [a for key, items in anomalies.items() if distances.get(key, 9) <= 2 for a in items]
    near_groups = {g for g, owner in bundle.log_groups.items() if distances.get(owner, 9) <= 1}
    new_errors = first_new_errors(
        bundle.logs, near_groups, alarm_time - timedelta(minutes=55), alarm_time + timedelta(minutes=1)
    )
    onset = estimate_onset(near, alarm_time, max(1, (bundle.alarm.period or 60) // 60) * 3, new_errors)
    ids = {key: identifiers(r) for key, r in graph.resources.items()}
    templates = mine_templates(bundle.logs, split=onset, end=bundle.window_end, identifiers=ids)
    changes: dict[str, list[Change]] = {}
    for change in bundle.changes:
        for key, resource_ids in ids.items():
            if any(_matches(value, resource_ids) for value in change.resources):
                changes.setdefault(key, []).append(change)
    events: dict[str, list[ServiceEvent]] = {}
    for event in bundle.events:
        events.setdefault(event.resource, []).append(event)
    return Context(
        bundle=bundle,
        graph=graph,
        roots=roots,
        distances=distances,
        alarm_time=alarm_time,
        onset=onset,
        anomalies=anomalies,
        templates=templates,
        changes=changes,
        events=events,
    )
