"""Collect every piece of evidence for one alarm: discovery, then scoped metrics, logs, changes.

AWS calls are made here and only here; the engine then reasons over the bundle offline.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from typing import Any

from cloudwarden.aws.probe import DENIED_CODES
from cloudwarden.diagnosis import engine, topology
from cloudwarden.errors import NotFound, NothingToInvestigate, PermissionDenied
from cloudwarden.evidence import github as github_evidence
from cloudwarden.evidence import reads
from cloudwarden.evidence.branches import branch_pool
from cloudwarden.evidence.collectors import alarms, metrics
from cloudwarden.evidence.context import CollectContext
from cloudwarden.evidence.kinds import KINDS
from cloudwarden.evidence.model import AlarmInfo, DeployCommits, EvidenceBundle, Resource

MAX_LOG_GROUPS = 8
AFTERMATH_MINUTES = 15
CANDIDATE_DEPTH = 3
# An investigation's AWS API calls are capped; log groups, read one call each, get what is left
# after every other read, closest to the alarm first.
CALL_BUDGET = 30
# Reads in flight at once in one investigation: the three that need only the window (CloudTrail
# here and in the global region, findings) and the five discovery reads.
MAX_WORKERS = 8


class AlarmNotFound(NotFound):
    pass


def _ago(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h {minutes % 60} min ago"
    return f"{minutes // (24 * 60)} days ago"


def _at(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def investigated_moment(
    ctx: CollectContext, cw: Any, alarm: AlarmInfo, *, at: datetime | None, lookback_minutes: int
) -> tuple[AlarmInfo, list[str]]:
    """The moment to explain (as the alarm's state_changed_at) and notes on how it was chosen.

    The alarm's transition into ALARM: now, if it is in ALARM; else its last one in the history,
    if within the lookback. `at` (the user's explicit window) overrides both. Otherwise there is
    nothing to diagnose, and NothingToInvestigate says why: an investigation never invents one.
    """
    now = datetime.now(UTC)
    lookback = timedelta(minutes=lookback_minutes)
    if at is not None:
        note = f"window chosen explicitly around {_at(at)}; the alarm is {alarm.state} now"
        return alarm.model_copy(update={"state_changed_at": at}), [note]
    if alarm.state == "ALARM":
        notes = []
        if now - alarm.state_changed_at > lookback:
            notes.append(
                f"in ALARM since {_at(alarm.state_changed_at)} ({_ago(now - alarm.state_changed_at)}, longer "
                f"than the {lookback_minutes}-minute lookback): the evidence is from around that transition"
            )
        return alarm, notes
    since = f"{alarm.state} since {_at(alarm.state_changed_at)}"
    raw = ctx.guarded(alarms.SOURCE, "cloudwatch", lambda: alarms.get_transitions(cw, alarm.name))
    if raw is None:
        raise NothingToInvestigate(
            f"alarm {alarm.name} is {since}, and its history could not be read "
            f"({ctx.gaps[-1].describe()}), so there is no transition into ALARM to explain",
            hint="pass --at TIME to investigate the window around a moment you choose",
        )
    last = next((t for t in alarms.transform_transitions(raw) if t.new == "ALARM"), None)
    if last is None:
        raise NothingToInvestigate(
            f"alarm {alarm.name} is {since} and has not gone into ALARM in its history "
            "(CloudWatch keeps 14 days): there is nothing to diagnose",
            hint="pass --at TIME to investigate the window around a moment you choose",
        )
    if now - last.at > lookback:
        raise NothingToInvestigate(
            f"alarm {alarm.name} is {since}; it last went into ALARM at {_at(last.at)} "
            f"({_ago(now - last.at)}), before the {lookback_minutes}-minute lookback",
            hint=f"pass --at {last.at.astimezone(UTC):%Y-%m-%dT%H:%M}Z to investigate the window around it",
        )
    note = f"went into ALARM at {_at(last.at)} and is {since}"
    return alarm.model_copy(update={"state_changed_at": last.at}), [note]


def metric_queries(
    resources: list[Resource], alarm: AlarmInfo, alarm_resource: str | None
) -> list[metrics.MetricQuery]:
    queries = [
        metrics.MetricQuery(r.key, m.namespace, m.name, m.stat, spec.dimensions(r))
        for r in resources
        if (spec := KINDS.get(r.kind)) is not None and spec.dimensions is not None
        for m in spec.metrics
    ]
    if alarm.namespace and alarm.metric and alarm.statistic:
        own = metrics.MetricQuery(
            alarm_resource or alarm.arn,
            alarm.namespace,
            alarm.metric,
            alarm.statistic,
            tuple(sorted(alarm.dimensions.items())),
        )
        if not any(
            (q.namespace, q.metric, dict(q.dimensions)) == (own.namespace, own.metric, alarm.dimensions)
            for q in queries
        ):
            queries.append(own)
    return queries


def log_groups(resources: list[Resource]) -> dict[str, str]:
    """Every log group of these resources (their kind's spec says which), to its resource."""
    groups: dict[str, str] = {}
    for resource in resources:
        spec = KINDS.get(resource.kind)
        names = spec.log_groups(resource) if spec is not None and spec.log_groups is not None else []
        for name in names:
            groups.setdefault(str(name), resource.key)
    return groups


def collect(
    ctx: CollectContext,
    *,
    alarm_name: str,
    lookback_minutes: int,
    github: github_evidence.GitHubConfig | None = None,
    at: datetime | None = None,
) -> EvidenceBundle:
    """Everything about the alarm's transition into ALARM (or the window around `at`).

    Raises AlarmNotFound for an alarm that does not exist or cannot be read, and
    NothingToInvestigate when the alarm has no recent transition into ALARM and no `at` is given.
    Independent reads run concurrently (at most `ctx.max_workers`, else MAX_WORKERS); the calls
    made and the bundle are the same as with one worker.
    """
    session = ctx.session
    cw = ctx.client("cloudwatch")
    raw_alarms = ctx.guarded(alarms.SOURCE, "cloudwatch", lambda: alarms.get(cw, [alarm_name]))
    if raw_alarms is None:
        gap = ctx.gaps[-1]
        if gap.code in DENIED_CODES:  # the alarm may well exist: the role may not read it
            raise PermissionDenied(
                f"the account's role may not read alarm {alarm_name!r}: {gap.describe()}",
                hint="deploy the generated policy (cloudwarden iam-template), which grants cloudwatch:DescribeAlarms",
            )
        raise AlarmNotFound(f"cannot read alarm {alarm_name!r}: {gap.describe()}")
    infos = [alarms.transform(a) for a in raw_alarms]
    found = next((a for a in infos if a.name == alarm_name), None)
    if found is None:
        raise AlarmNotFound(
            f"no CloudWatch alarm named {alarm_name!r} in {session.account_id}/{session.region}",
            hint="alarm names are case-sensitive; --region selects another region",
        )
    alarm, notes = investigated_moment(ctx, cw, found, at=at, lookback_minutes=lookback_minutes)
    # Up to now, but not long past the alarm: an old alarm's aftermath (recovery) is not evidence.
    end = min(datetime.now(UTC), alarm.state_changed_at + timedelta(minutes=AFTERMATH_MINUTES))
    start = end - timedelta(minutes=lookback_minutes)
    bundle = EvidenceBundle(
        account_id=session.account_id,
        region=session.region,
        alarm=alarm,
        window_start=start,
        window_end=end,
        notes=notes,
    )
    with branch_pool(ctx, ctx.max_workers or MAX_WORKERS) as pool:
        # Changes and findings need only the window, and CloudTrail is the slowest read (its pages
        # wait on LookupEvents' rate limit): they run while the account is discovered.
        window_reads = reads.WindowReads.start(
            pool, region=session.region, account_id=session.account_id, start=start, end=end
        )
        resources = reads.discover(pool, bundle, region=session.region)
        resources += topology.queue_resources(alarm, region=session.region, account_id=session.account_id)
        resources += topology.role_resources(resources)
        resources += topology.referenced_resources(resources, bundle.edges)
        bundle.resources = resources
        bundle.edges = topology.derive_edges(resources, bundle.edges)

        graph, roots = engine.candidates(bundle)
        near = graph.distances(roots, max_depth=CANDIDATE_DEPTH)
        scoped = [r for r in resources if r.key in near]
        # The scoped reads add scaling bounds and status checks, which neither the metric queries
        # nor the concurrency lookups read: all three run at once.
        scoped_reads = reads.ScopedReads.start(pool, scoped)
        queries = metric_queries(scoped, alarm, roots[0] if roots else None)
        metric_reads = pool.start(
            functools.partial(reads.read_metrics, queries=queries, scoped=scoped, start=start, end=end)
        )
        commits = (
            pool.start(functools.partial(_deploy_commits, bundle=_github_view(bundle), config=github))
            if github is not None
            else None
        )

        scoped_reads.merge(bundle)
        measured = metric_reads.join()
        bundle.metrics = measured.series
        reads.with_attributes(bundle, measured.concurrency)
        window_reads.merge(bundle, near=list(near))
        if commits is not None:  # opt-in: nothing at all unless configured
            bundle.deploy_commits += commits.join()

        # Logs last: one read per group, as many groups as the budget leaves, closest first. Every
        # other read has finished, so the budget does not depend on timing.
        room = max(0, CALL_BUDGET - ctx.call_log.count)
        scoped = [r for r in bundle.resources if r.key in near]
        by_distance = sorted(log_groups(scoped).items(), key=lambda item: near.get(item[1], 9))
        bundle.log_groups = dict(by_distance[: min(MAX_LOG_GROUPS, room)])
        reads.read_logs(pool, bundle)
    bundle.changes.sort(key=lambda c: c.time)
    bundle.gaps = list(ctx.gaps)
    bundle.aws_calls = ctx.call_log.count
    return bundle


def _github_view(bundle: EvidenceBundle) -> EvidenceBundle:
    """What GitHub evidence reads (the ECS deployments found so far), apart from the live bundle."""
    return bundle.model_copy(update={"changes": list(bundle.changes), "deploy_commits": [], "gaps": []})


def _deploy_commits(
    ctx: CollectContext, *, bundle: EvidenceBundle, config: github_evidence.GitHubConfig
) -> list[DeployCommits]:
    github_evidence.collect(ctx, bundle, config)  # its gaps go to ctx, the branch's
    return bundle.deploy_commits
