"""What fault rules are built from: the Finding they return and the reads they share.

A rule reads only the Context (metrics, log templates, changes, events, topology) and returns
the evidence it found, each piece with a weight. These helpers are the reads more than one fault
makes: a metric's anomaly, the surging log templates about a resource, a change weighed by what
corroborates it, the new errors of a resource's own code.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cloudwarden.diagnosis.context import Context
from cloudwarden.diagnosis.signals import LogTemplate
from cloudwarden.evidence.model import Change


@dataclass(frozen=True)
class Finding:
    weight: float
    source: str
    time: datetime | None
    resource: str
    summary: str


Rule = Callable[[Context, str], list[Finding]]

# Log categories that say a dependency failed (the network, a database, a permission, a quota).
DEPENDENCY_FAILURES = frozenset(
    {"timeout", "too_many_connections", "disk_full", "access_denied", "throttled", "auth_failed"}
)
# A change nothing of its own corroborates is context, not a cause: teams deploy all day, and a
# healthy deployment near the incident is the commonest decoy in a real account.
CORROBORATED_CHANGE_WEIGHT = 2.0
UNCORROBORATED_CHANGE_WEIGHT = 0.2
# A change's own errors begin while it rolls out: errors first seen later than this after it
# have another cause (a change's effect does not wait half an hour and then appear).
CHANGE_EFFECT_WINDOW = timedelta(minutes=20)


def log_finding(t: LogTemplate, weight: float, resource: str) -> Finding:
    return Finding(weight, "logs", t.first_recent, resource, t.describe())


def templates_about(
    ctx: Context, category: str, key: str, *, also_groups_of: tuple[str, ...] | list[str] = ()
) -> list[LogTemplate]:
    groups = ctx.groups_of(key).union(*(ctx.groups_of(k) for k in also_groups_of))
    return [t for t in ctx.surging(category) if key in t.mentions or t.group in groups]


def metric_finding(
    ctx: Context, key: str, name: str, weight: float, *, rising: bool = True, min_z: float = 4.0
) -> list[Finding]:
    found = ctx.metric(key, name, rising=rising, min_z=min_z)
    return [Finding(weight, "metrics", found.onset, key, found.describe())] if found else []


def change_finding(
    key: str, change: Change, support: list[Finding], *, weight: float = CORROBORATED_CHANGE_WEIGHT
) -> list[Finding]:
    """The change as evidence, of `weight` when something new of the changed resource follows it
    (`support`: its own new errors, the denials naming it), and of little weight otherwise."""
    weight = weight if support else UNCORROBORATED_CHANGE_WEIGHT
    return [Finding(weight, change.source, change.time, key, describe_change(change)), *support]


def changes_found(ctx: Context, key: str, names: tuple[str, ...], weight: float) -> list[Finding]:
    """The first suspect change of these names as evidence of its own weight."""
    return [
        Finding(weight, c.source, c.time, key, describe_change(c))
        for c in ctx.suspect_changes(key, names)[:1]
    ]


def is_new_error(t: LogTemplate, since: datetime | None = None, until: datetime | None = None) -> bool:
    """An error template that appeared (at least 5 times, ten times its baseline) since `since`,
    first seen before `until`."""
    return (
        t.is_error
        and t.recent_count >= 5
        and t.baseline_count * 10 < t.recent_count
        and (since is None or (t.first_recent is not None and t.first_recent >= since))
        and (until is None or (t.first_recent is not None and t.first_recent <= until))
    )


# A call out of the service: an address and port, a URL, a host name and port (not a source
# file and line, such as main.go:42 or app.py:7).
OUTBOUND = re.compile(
    r"\b\d{1,3}(?:\.\d{1,3}){3}:\d{2,5}\b|\w://"
    r"|\b[\w-]+(?:\.[\w-]+)*\.(?!(?:go|py|java|js|ts|rb|kt|scala|rs|php|cs|cpp|cc|c|h|ex|exs):)[a-z][\w-]*:\d{2,5}\b",
    re.IGNORECASE,
)


def waiting_on_dependencies(ctx: Context, key: str) -> bool:
    """Its own logs fail on what it depends on (errors naming another resource, denials,
    exhausted pools, timeouts calling out): it is waiting on something else, and its busy CPU or its errors are
    symptoms. A timeout naming no resource and no address may be its own requests timing out
    (a 504 it served)."""
    groups = ctx.groups_of(key)
    return any(
        t.group in groups
        and is_new_error(t)
        and (
            t.categories & DEPENDENCY_FAILURES - {"timeout"}
            or t.mentions - {key}
            or ("timeout" in t.categories and OUTBOUND.search(t.example))
        )
        for t in ctx.templates
    )


# An exception, a traceback or a panic: the code's own account of what failed.
EXCEPTION = re.compile(r"Traceback|Exception\b|\w+Error\b|^panic:", re.MULTILINE)


def own_new_errors(ctx: Context, key: str, since: datetime) -> list[Finding]:
    """New errors in the resource's own logs since `since` (first seen within
    CHANGE_EFFECT_WINDOW of it) that no dependency explains.

    A timeout naming the database points at the path to the database, not at the code (or the
    configuration) that changed.
    """
    groups = ctx.groups_of(key)
    errors = [
        t
        for t in ctx.templates
        if t.group in groups
        and is_new_error(t, since, since + CHANGE_EFFECT_WINDOW)
        and not (t.categories & DEPENDENCY_FAILURES)
        and not (t.mentions - {key})
    ]
    # The exception first (what an engineer reads), then the access lines that report it.
    errors.sort(key=lambda t: not EXCEPTION.search(t.example))
    # When its logs also fail on a dependency, its generic errors (a 500, a rolled-back
    # transaction) are as likely that dependency's doing: they weigh a third.
    lead = 1.0 if errors and waiting_on_dependencies(ctx, key) else 3.0
    return [log_finding(t, lead if i == 0 else 0.3, key) for i, t in enumerate(errors[:3])]


def dependents_new_errors(ctx: Context, key: str, since: datetime) -> list[Finding]:
    """New errors, since `since`, in the logs of the services that use `key` (a database, a
    queue), naming no other resource: how a resource without logs of its own shows it broke."""
    dependents = ctx.graph.dependents(key)
    groups = set().union(*(ctx.groups_of(d) for d in dependents))
    errors = [
        t
        for t in ctx.templates
        if t.group in groups
        and is_new_error(t, since, since + CHANGE_EFFECT_WINDOW)
        and not (t.mentions - {key, *dependents})
    ]
    return [log_finding(t, 2.0 if i == 0 else 0.3, key) for i, t in enumerate(errors[:2])]


# How ECS says a task of a service never started: its image could not be pulled, its container
# could not be created, its secrets or logs could not be set up, or no capacity could take it.
FAILED_START = re.compile(
    r"CannotPullContainerError|CannotCreateContainerError|CannotStartContainerError"
    r"|ResourceInitializationError|CannotInspectContainerError|unable to place a task"
    r"|image .{0,40}not found|manifest unknown|pull access denied",
    re.IGNORECASE,
)


def failed_task_starts(ctx: Context, key: str, since: datetime) -> list[Finding]:
    """A service's tasks that failed to start since `since` (stopped with TaskFailedToStart or
    a pull/placement error; "unable to place a task" service events), with how many are missing:
    how a deployment that never ran shows, since a container that never starts logs nothing."""
    failed = [
        e
        for e in ctx.events.get(key, [])
        if e.time >= since
        and (
            (
                e.kind == "task-stopped"
                and (e.data.get("stop_code") == "TaskFailedToStart" or FAILED_START.search(e.message))
            )
            or (e.kind == "service-event" and FAILED_START.search(e.message))
        )
    ]
    if not failed:
        return []
    failed.sort(key=lambda e: e.time)
    attributes = ctx.graph.resources[key].attributes
    desired, running = attributes.get("desired"), attributes.get("running")
    short = (
        f"; running {running} of {desired} desired"
        if isinstance(desired, int) and isinstance(running, int) and running < desired
        else ""
    )
    summary = f"{len(failed)} failed task starts or placements since the change{short}: {failed[0].message}"
    return [Finding(3.0, "ecs", failed[0].time, key, summary[:400])]


def target_groups_of(ctx: Context, key: str) -> list[str]:
    return [e.source for e in ctx.graph.edges if e.target == key and e.relation == "target-group"]


def target_group_errors(ctx: Context, key: str) -> list[Finding]:
    findings = []
    for tg in target_groups_of(ctx, key):
        findings += metric_finding(ctx, tg, "HTTPCode_Target_5XX_Count", 1.0)
    return findings


def param(change: Change, name: str) -> Any:
    """A request parameter as CloudTrail records it (camelCase), or as the SDK spells it
    ("dBParameterGroupName" / "DBParameterGroupName")."""
    p = change.parameters
    return p.get(name, p.get(name[0].upper() + name[1:]))


def is_new_revision(change: Change) -> bool:
    """A deployment that replaced one task definition revision with another (not a scale-out)."""
    p = change.parameters
    return p.get("previous_task_definition") not in (None, p.get("task_definition"))


def is_same_images(change: Change) -> bool:
    """A deployment whose new revision runs exactly the images of the previous one."""
    images, before = change.parameters.get("images") or [], change.parameters.get("previous_images") or []
    return bool(images) and sorted(images) == sorted(before)


def describe_change(change: Change) -> str:
    if change.source == "ecs-deployment":
        p = change.parameters
        images = ", ".join(p.get("images") or []) or p.get("task_definition", "")
        before = ", ".join(p.get("previous_images") or []) or p.get("previous_task_definition") or "?"
        return f"deployment {p.get('deployment', '')} ({p.get('rollout_state') or p.get('status')}): {before} -> {images}"
    return f"CloudTrail {change.name} by {change.actor} {_short(change.parameters)}"


def _short(parameters: dict[str, object]) -> str:
    text = ", ".join(f"{k}={v}" for k, v in parameters.items())
    return f"({text[:200]})" if text else ""
