"""Whether anything is hurt: what separates an incident from a busy resource.

An alarm on a resource's own utilisation (a database's CPU during a scheduled export, a service's
memory while a cache warms) can fire while nothing fails or slows. A root cause is a cause of
harm; when no error, latency, failed request, aged message, failed task or impaired check shows
near the alarm, the diagnosis says so and lowers its confidence rather than name a cause boldly.
"""

from __future__ import annotations

from datetime import timedelta

from cloudwarden.diagnosis.context import Context
from cloudwarden.diagnosis.rulekit import DEPENDENCY_FAILURES, FAILED_START
from cloudwarden.evidence.kinds import KINDS

# How far a harm metric must move (robust z) to count, and how near the alarm its resource must be.
HARM_Z = 4.0
MAX_DISTANCE = 3
# Harm shown in events from this long before the onset.
EVENT_LEAD = timedelta(minutes=5)
RDS_HARM_CATEGORIES = frozenset({"failure", "low storage", "availability"})


def signs_of_harm(ctx: Context) -> list[str]:
    """What shows that users or work are hurt, near the alarm (empty: nothing does)."""
    near = {key for key, d in ctx.distances.items() if d <= MAX_DISTANCE}
    signs = []
    for key in sorted(near & set(ctx.anomalies)):
        resource = ctx.graph.resources.get(key)
        spec = KINDS.get(resource.kind) if resource is not None else None
        harmful = {m.name: m.harm for m in spec.metrics if m.harm} if spec is not None else {}
        signs += [
            a.describe() for a in ctx.anomalies[key] if harmful.get(a.series.metric, 0) * a.score >= HARM_Z
        ]
    recent, baseline = ctx.recent_minutes(), ctx.baseline_minutes()
    signs += [
        t.describe()
        for t in ctx.templates
        if t.is_error
        and t.recent_count >= 3
        and (t.baseline_count == 0 or (t.categories & DEPENDENCY_FAILURES and t.surge(baseline, recent) >= 4))
    ]
    since = ctx.onset - EVENT_LEAD
    for items in ctx.events.values():
        for e in items:
            if e.time < since:
                continue
            failed = (
                (
                    e.kind == "task-stopped"
                    and (
                        e.data.get("stop_code") == "TaskFailedToStart"
                        or any(c not in (0, None) for c in e.data.get("exit_codes", []))
                    )
                )
                or (
                    e.kind == "service-event" and (FAILED_START.search(e.message) or "unhealthy" in e.message)
                )
                or (e.kind == "rds-event" and RDS_HARM_CATEGORIES & set(e.data.get("categories", [])))
                or e.kind == "status-check"
            )
            if failed:
                signs.append(f"{e.source} {e.kind}: {e.message}"[:300])
    return signs
