"""CloudWatch alarms that behave as in AWS: evaluation, history and SNS notifications.

moto stores alarms but never evaluates them, SetAlarmState notifies nobody, new alarms start in
OK (AWS: INSUFFICIENT_DATA), an updated alarm loses its state, and DescribeAlarmHistory is
missing. This module adds DescribeAlarmHistory, routes SetAlarmState through the shared state
path (_alarm_state) and evaluates metric alarms against the datapoints moto stores, using the
datapoints' own (possibly backdated) timestamps.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from cloudwarden.simulator.patches import Injector, InjectRequest
from cloudwarden.simulator.patches import _alarm_eval as ev
from cloudwarden.simulator.patches import _alarm_state as state
from cloudwarden.simulator.patches._support import (
    StrictPayload,
    as_utc,
    install,
    parse_payload,
    sim_time,
    utc_now,
)

# A never-evaluated alarm catches up over this much past data, as if it had been evaluated all
# along, so its history shows OK -> ALARM at the time the metric crossed, not at the first tick.
CATCH_UP = timedelta(hours=24)
MAX_CATCH_UP_STEPS = 1440
CREATED_AT = "cloudwarden_created_at"  # set on moto's Alarm objects; survives PutMetricAlarm updates
_PERCENTILE = re.compile(r"^p\d{1,2}(\.\d+)?$")

_evaluated_until: dict[str, int] = {}  # alarm ARN -> last evaluated period boundary (epoch s)
_originals: dict[str, Callable[..., Any]] = {}
# The simulated time of the PutMetricAlarm being served: moto's backend never sees headers.
_request_time: ContextVar[datetime | None] = ContextVar("cloudwarden_alarm_request_time", default=None)

MetricKey = tuple[str, str]  # namespace, metric name
DimensionSet = frozenset[tuple[str, str]]


# ---------------------------------------------------------------------------- evaluation


def _alarm_metric(alarm: Any) -> tuple[ev.AlarmSpec, MetricKey, DimensionSet, str | None] | None:
    """What to evaluate, or None for alarms this evaluator cannot judge (composite, math)."""
    if getattr(alarm, "rule", None) or alarm.comparison_operator not in ev.COMPARISON_WORDS:
        return None  # composite and anomaly-band alarms
    if alarm.threshold is None:
        return None
    namespace, name, dimensions = alarm.namespace, alarm.metric_name, alarm.dimensions
    period, statistic, unit = alarm.period, alarm.statistic or alarm.extended_statistic, alarm.unit
    if not name and alarm.metric_data_queries:
        queries = alarm.metric_data_queries
        if len(queries) != 1 or queries[0].metric_stat is None or queries[0].expression:
            return None  # metric math needs an expression evaluator moto lacks
        stat = queries[0].metric_stat
        namespace, name, dimensions = stat.metric.namespace, stat.metric.metric_name, stat.metric.dimensions
        period, statistic, unit = stat.period, stat.stat, stat.unit
    if not (namespace and name and period and statistic):
        return None
    if statistic not in ev.STANDARD_STATISTICS and not _PERCENTILE.match(statistic):
        return None
    evaluation_periods = int(alarm.evaluation_periods or 1)
    spec = ev.AlarmSpec(
        period=int(period),
        evaluation_periods=evaluation_periods,
        datapoints_to_alarm=int(alarm.datapoints_to_alarm or evaluation_periods),
        comparison=alarm.comparison_operator,
        threshold=float(alarm.threshold),
        statistic=statistic,
        treat_missing=alarm.treat_missing_data if alarm.treat_missing_data in ev.TREAT_MISSING else "missing",
    )
    return spec, (namespace, name), frozenset((d.name, d.value) for d in dimensions), unit


def _samples_by_metric(
    backend: Any, since: float
) -> dict[MetricKey, list[tuple[DimensionSet, Any, ev.Sample]]]:
    """One pass over moto's stored data, grouped by metric, keeping only what alarms can use."""
    from moto.cloudwatch.models import MetricAggregatedDatum, MetricDatum

    grouped: dict[MetricKey, list[tuple[DimensionSet, Any, ev.Sample]]] = {}
    for datum in backend.get_all_metrics():
        stamp = as_utc(datum.timestamp).timestamp()
        if stamp < since:
            continue
        if isinstance(datum, MetricDatum):
            value = float(datum.value)
            sample = ev.Sample(stamp, value, value, value, 1.0, (value,))
        elif isinstance(datum, MetricAggregatedDatum):
            sample = ev.Sample(stamp, datum.sum, datum.min, datum.max, datum.sample_count, ())
        else:
            continue
        dimensions = frozenset((d.name, d.value) for d in datum.dimensions)
        grouped.setdefault((datum.namespace, datum.name), []).append((dimensions, datum.unit, sample))
    return grouped


def _boundaries(
    alarm: Any, spec: ev.AlarmSpec, points: dict[int, ev.Datapoint], now: float, *, explicit: bool
) -> list[int]:
    """The period boundaries to evaluate at: every one since the last evaluation (or since the
    alarm was created: it cannot have fired before it existed), up to now.

    `explicit`: an evaluation asked for at `now` (after backdated data was written) judges that
    moment even when the ticker has already judged a later one with the data not yet there."""
    period = spec.period
    last = int(now // period) * period
    previous = _evaluated_until.get(alarm.alarm_arn)
    if previous is not None:
        first = previous + period
    else:
        created = as_utc(getattr(alarm, CREATED_AT, alarm.configuration_updated_timestamp)).timestamp()
        first = max(min(points) + period if points else last, -(-int(created) // period) * period)
    if previous is not None and previous > last:
        # A tick already judged later periods: time never runs back, unless asked to re-judge.
        return [last] if explicit else []
    if first > last:
        return [last]  # re-evaluate now: backdated data may have arrived for evaluated periods
    first = max(first, last - (MAX_CATCH_UP_STEPS - 1) * period)
    return list(range(first, last + period, period))


def evaluate(
    account_id: str,
    region: str,
    now: datetime | None = None,
    alarm_names: list[str] | None = None,
    *,
    rejudge: bool = False,
) -> list[state.Transition]:
    """Evaluate the metric alarms of one account and region at `now`; returns the transitions."""
    from moto.cloudwatch.models import cloudwatch_backends

    backend = cloudwatch_backends[account_id][region]
    at = as_utc(now) if now else utc_now()
    transitions: list[state.Transition] = []
    notices: list[state.Notice] = []
    with state.lock:
        grouped: dict[MetricKey, list[tuple[DimensionSet, Any, ev.Sample]]] | None = None
        for alarm in list(backend.alarms.values()):
            target = _alarm_metric(alarm)
            if target is None or (alarm_names and alarm.name not in alarm_names):
                continue
            spec, key, dimensions, unit = target
            if grouped is None:
                # Catching up needs the evaluation range before the first boundary too.
                grouped = _samples_by_metric(backend, (at - 2 * CATCH_UP).timestamp())
            samples = [
                s for dims, u, s in grouped.get(key, []) if dims == dimensions and (not unit or u == unit)
            ]
            points = ev.datapoints(samples, spec.period, spec.statistic)
            boundaries = _boundaries(alarm, spec, points, at.timestamp(), explicit=rejudge)
            for boundary in boundaries:
                verdict = ev.judge(spec, points, boundary)
                if verdict.state is None or verdict.state == alarm.state_value:
                    continue
                when = at if boundary == boundaries[-1] else datetime.fromtimestamp(boundary, UTC)
                reason, data = ev.explain(spec, verdict, alarm.state_value, boundary, when)
                change, sent = state.apply_state(
                    backend, alarm, verdict.state, reason, state.compact_json(data), when
                )
                transitions.append(change)
                notices.extend(sent)
            if boundaries:
                _evaluated_until[alarm.alarm_arn] = max(
                    boundaries[-1], _evaluated_until.get(alarm.alarm_arn, boundaries[-1])
                )
    state.publish(notices)
    return transitions


def tick(now: datetime | None = None) -> None:
    """Evaluate every account's and region's alarms at `now` (the current time by default)."""
    from moto.cloudwatch.models import cloudwatch_backends

    for account_id, regions in list(cloudwatch_backends.items()):
        for region, backend in list(regions.items()):
            if backend.alarms:
                evaluate(account_id, region, now)


# ---------------------------------------------------------------------------- API patches


def _describe_alarm_history(self: Any) -> Any:
    """DescribeAlarmHistory, which moto lacks."""
    from moto.cloudwatch.exceptions import InvalidParameterValue
    from moto.core.responses import ActionResult

    backend = self.cloudwatch_backend
    name = self._get_param("AlarmName")
    types = self._get_param("AlarmTypes") or ["MetricAlarm"]
    item_type = self._get_param("HistoryItemType")
    start, end = self._get_param("StartDate"), self._get_param("EndDate")
    max_records = int(self._get_param("MaxRecords") or 100)
    if not 1 <= max_records <= 100:
        raise InvalidParameterValue(f"The value {max_records} for parameter MaxRecords is not valid.")
    descending = (self._get_param("ScanBy") or "TimestampDescending") == "TimestampDescending"
    items = [
        item
        for item in state.history(backend.account_id, backend.region_name)
        if (not name or item.alarm_name == name)
        and item.alarm_type in types
        and (not item_type or item.item_type == item_type)
        and (start is None or item.timestamp >= as_utc(start))
        and (end is None or item.timestamp <= as_utc(end))
    ]
    items.sort(key=lambda i: (i.timestamp, i.seq), reverse=descending)
    offset = 0
    token = self._get_param("NextToken")
    if token:
        if not str(token).isdigit():
            raise InvalidParameterValue("The service cannot parse the NextToken provided.")
        offset = int(token)
    page = items[offset : offset + max_records]
    result: dict[str, Any] = {"AlarmHistoryItems": [item.to_api() for item in page]}
    if offset + max_records < len(items):
        result["NextToken"] = str(offset + max_records)
    return ActionResult(result)


def _set_alarm_state_response(self: Any) -> Any:
    from moto.core.responses import EmptyResult

    state.set_alarm_state(
        self.cloudwatch_backend,
        self._get_param("AlarmName"),
        self._get_param("StateReason"),
        self._get_param("StateReasonData"),
        self._get_param("StateValue"),
        at=sim_time(self.headers),
    )
    return EmptyResult()


def _backend_set_alarm_state(
    self: Any, alarm_name: str, reason: str, reason_data: str | None, state_value: str
) -> None:
    state.set_alarm_state(self, alarm_name, reason, reason_data, state_value)


def _put_metric_alarm_response(self: Any) -> Any:
    token = _request_time.set(sim_time(self.headers))
    try:
        return _originals["response.put_metric_alarm"](self)
    finally:
        _request_time.reset(token)


def _backend_put_metric_alarm(self: Any, *args: Any, **kwargs: Any) -> Any:
    """Start new alarms in INSUFFICIENT_DATA and keep an updated alarm's state, as AWS does."""
    at = _request_time.get() or utc_now()
    with state.lock:
        name = kwargs.get("name", args[0] if args else None)
        previous = self.alarms.get(name)
        alarm = _originals["backend.put_metric_alarm"](self, *args, **kwargs)
        alarm.configuration_updated_timestamp = at
        setattr(alarm, CREATED_AT, getattr(previous, CREATED_AT, at) if previous is not None else at)
        if previous is not None:
            for field in ("state_value", "state_reason", "state_reason_data", "state_updated_timestamp"):
                setattr(alarm, field, getattr(previous, field))
            alarm.state_transitioned_timestamp = getattr(
                previous, "state_transitioned_timestamp", previous.state_updated_timestamp
            )
        else:
            alarm.state_value, alarm.state_reason = "INSUFFICIENT_DATA", "Unchecked: Initial alarm creation"
            alarm.state_reason_data = None
            alarm.state_updated_timestamp = alarm.state_transitioned_timestamp = at
        state.record_configuration(self, alarm, "updated" if previous is not None else "created", at)
    return alarm


def _backend_delete_alarms(self: Any, alarm_names: list[str]) -> None:
    with state.lock:
        for name in alarm_names:
            alarm = self.alarms.get(name)
            if alarm is not None:
                state.record_configuration(self, alarm, "deleted", utc_now())
                _evaluated_until.pop(alarm.alarm_arn, None)
        _originals["backend.delete_alarms"](self, alarm_names)


def apply() -> None:
    from moto.cloudwatch.models import CloudWatchBackend
    from moto.cloudwatch.responses import CloudWatchResponse

    if _originals:
        return
    _originals["response.put_metric_alarm"] = CloudWatchResponse.put_metric_alarm
    _originals["backend.put_metric_alarm"] = CloudWatchBackend.put_metric_alarm
    _originals["backend.delete_alarms"] = CloudWatchBackend.delete_alarms
    # moto dispatches any method found on the response class, so adding one adds the action.
    install(CloudWatchResponse, "describe_alarm_history", _describe_alarm_history)
    install(CloudWatchResponse, "set_alarm_state", _set_alarm_state_response)
    install(CloudWatchResponse, "put_metric_alarm", _put_metric_alarm_response)
    install(CloudWatchBackend, "set_alarm_state", _backend_set_alarm_state)
    install(CloudWatchBackend, "put_metric_alarm", _backend_put_metric_alarm)
    install(CloudWatchBackend, "delete_alarms", _backend_delete_alarms)


def reset() -> None:
    with state.lock:
        _evaluated_until.clear()
        state.reset()


# ---------------------------------------------------------------------------- injectors


class EvaluatePayload(StrictPayload):
    now: datetime | None = None
    alarm_names: list[str] | None = None


class AlarmHistoryPayload(StrictPayload):
    alarm_name: str
    timestamp: datetime
    old_state: Literal["OK", "ALARM", "INSUFFICIENT_DATA"]
    new_state: Literal["OK", "ALARM", "INSUFFICIENT_DATA"]
    reason: str
    reason_data: dict[str, Any] | None = None


def _inject_evaluate(request: InjectRequest) -> dict[str, Any]:
    payload = parse_payload(EvaluatePayload, request.payload, "evaluate_alarms")
    changes = evaluate(request.account_id, request.region, payload.now, payload.alarm_names, rejudge=True)
    return {"transitions": [change.to_dict() for change in changes]}


def _inject_history(request: InjectRequest) -> dict[str, Any]:
    from moto.cloudwatch.models import cloudwatch_backends

    payload = parse_payload(AlarmHistoryPayload, request.payload, "alarm_history")
    backend = cloudwatch_backends[request.account_id][request.region]
    data = state.compact_json(payload.reason_data) if payload.reason_data is not None else None
    state.record_past_transition(
        backend,
        payload.alarm_name,
        payload.timestamp,
        payload.old_state,
        payload.new_state,
        payload.reason,
        data,
    )
    return {"recorded": True, "alarm_state": backend.alarms[payload.alarm_name].state_value}


INJECTORS: dict[str, Injector] = {"evaluate_alarms": _inject_evaluate, "alarm_history": _inject_history}
