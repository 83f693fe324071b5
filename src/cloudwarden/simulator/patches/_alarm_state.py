"""Alarm state changes as CloudWatch makes them: history items and SNS notifications.

Every change (SetAlarmState, the evaluator, an injected past transition) goes through here, so
history and notifications cannot disagree. Notifications are published through moto's SNS
backend, so SQS queues and HTTP endpoints subscribed to an alarm's topics receive AWS's JSON.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from cloudwarden.simulator.patches import _alarm_eval as ev
from cloudwarden.simulator.patches._support import as_utc, utc_now

logger = logging.getLogger(__name__)

# Guards moto's alarm objects and the history below; held by request threads and the ticker.
lock = threading.RLock()
_seq = itertools.count()
_history: dict[tuple[str, str], list[HistoryItem]] = {}


def reset() -> None:
    with lock:
        _history.clear()


@dataclass(frozen=True)
class HistoryItem:
    seq: int
    alarm_name: str
    alarm_type: str
    timestamp: datetime
    item_type: str
    summary: str
    data: str

    def to_api(self) -> dict[str, Any]:
        return {
            "AlarmName": self.alarm_name,
            "AlarmType": self.alarm_type,
            "Timestamp": self.timestamp,
            "HistoryItemType": self.item_type,
            "HistorySummary": self.summary,
            "HistoryData": self.data,
        }


@dataclass(frozen=True)
class Transition:
    account_id: str
    region: str
    alarm_name: str
    old_state: str
    new_state: str
    reason: str
    timestamp: datetime

    def to_dict(self) -> dict[str, str]:
        return {
            "account_id": self.account_id,
            "region": self.region,
            "alarm_name": self.alarm_name,
            "old_state": self.old_state,
            "new_state": self.new_state,
            "reason": self.reason,
            "timestamp": self.timestamp.isoformat(),
        }


@dataclass(frozen=True)
class Notice:
    account_id: str
    region: str
    alarm_name: str
    alarm_type: str
    topic_arn: str
    subject: str
    message: str
    at: datetime


# ---------------------------------------------------------------------------- history


def record(
    account_id: str,
    region: str,
    alarm_name: str,
    alarm_type: str,
    at: datetime,
    item_type: str,
    summary: str,
    data: dict[str, Any],
) -> None:
    item = HistoryItem(next(_seq), alarm_name, alarm_type, as_utc(at), item_type, summary, compact_json(data))
    with lock:
        _history.setdefault((account_id, region), []).append(item)


def compact_json(data: Any) -> str:
    """JSON as CloudWatch writes it: no spaces."""
    return json.dumps(data, separators=(",", ":"))


def history(account_id: str, region: str) -> list[HistoryItem]:
    with lock:
        return list(_history.get((account_id, region), []))


def alarm_type(alarm: Any) -> str:
    return "CompositeAlarm" if getattr(alarm, "rule", None) else "MetricAlarm"


def _state_block(value: str, reason: str, data: str | None) -> dict[str, Any]:
    block: dict[str, Any] = {"stateValue": value, "stateReason": reason}
    if data and data != "{}":
        try:
            block["stateReasonData"] = json.loads(data)
        except json.JSONDecodeError:
            block["stateReasonData"] = data
    return block


# ---------------------------------------------------------------------------- state changes


@cache
def region_long_name(region: str) -> str:
    """'US East (N. Virginia)' for us-east-1, from botocore's endpoint data."""
    import botocore.session

    endpoints = botocore.session.get_session().get_component("data_loader").load_data("endpoints")
    for partition in endpoints["partitions"]:
        if region in partition["regions"]:
            return str(partition["regions"][region]["description"])
    return region


def _trigger(alarm: Any) -> dict[str, Any]:
    if alarm.metric_data_queries and not alarm.metric_name:
        metrics = []
        for query in alarm.metric_data_queries:
            entry: dict[str, Any] = {"id": query.id, "returnData": query.return_data in (None, True, "true")}
            if query.expression:
                entry["expression"] = query.expression
            if query.metric_stat:
                stat = query.metric_stat
                entry["metricStat"] = {
                    "metric": {
                        "dimensions": [{"value": d.value, "name": d.name} for d in stat.metric.dimensions],
                        "metricName": stat.metric.metric_name,
                        "namespace": stat.metric.namespace,
                    },
                    "period": int(stat.period or 0),
                    "stat": stat.stat,
                }
            metrics.append(entry)
        trigger: dict[str, Any] = {"Period": int(alarm.period or 0), "Metrics": metrics}
    else:
        trigger = {"MetricName": alarm.metric_name, "Namespace": alarm.namespace}
        if alarm.extended_statistic:
            trigger |= {"StatisticType": "ExtendedStatistic", "ExtendedStatistic": alarm.extended_statistic}
        else:
            statistic = re.sub(r"(?<!^)(?=[A-Z])", "_", alarm.statistic or "").upper()
            trigger |= {"StatisticType": "Statistic", "Statistic": statistic}
        trigger |= {
            "Unit": alarm.unit,
            "Dimensions": [{"value": d.value, "name": d.name} for d in alarm.dimensions],
            "Period": int(alarm.period or 0),
        }
    evaluation_periods = int(alarm.evaluation_periods or 1)
    return trigger | {
        "EvaluationPeriods": evaluation_periods,
        "DatapointsToAlarm": int(alarm.datapoints_to_alarm or evaluation_periods),
        "ComparisonOperator": alarm.comparison_operator,
        "Threshold": None if alarm.threshold is None else float(alarm.threshold),
        "TreatMissingData": alarm.treat_missing_data or "missing",
        "EvaluateLowSampleCountPercentile": alarm.evaluate_low_sample_count_percentile or "",
    }


def notification(account_id: str, region: str, alarm: Any, old_state: str) -> dict[str, Any]:
    """The JSON CloudWatch publishes to an alarm's SNS topics on a state change."""
    return {
        "AlarmName": alarm.name,
        "AlarmDescription": alarm.description or None,
        "AWSAccountId": account_id,
        "AlarmConfigurationUpdatedTimestamp": ev.aws_time(as_utc(alarm.configuration_updated_timestamp)),
        "NewStateValue": alarm.state_value,
        "NewStateReason": alarm.state_reason,
        "StateChangeTime": ev.aws_time(as_utc(alarm.state_updated_timestamp)),
        "Region": region_long_name(region),
        "AlarmArn": alarm.alarm_arn,
        "OldStateValue": old_state,
        "OKActions": list(alarm.ok_actions or []),
        "AlarmActions": list(alarm.alarm_actions or []),
        "InsufficientDataActions": list(alarm.insufficient_data_actions or []),
        "Trigger": _trigger(alarm),
    }


def apply_state(
    backend: Any, alarm: Any, new_state: str, reason: str, reason_data: str | None, at: datetime
) -> tuple[Transition, list[Notice]]:
    """Change an alarm's state as CloudWatch does; returns the notices to publish (unlocked)."""
    account_id, region = backend.account_id, backend.region_name
    old_state, old_reason, old_data = alarm.state_value, alarm.state_reason, alarm.state_reason_data
    alarm.state_value, alarm.state_reason, alarm.state_reason_data = new_state, reason, reason_data
    alarm.state_updated_timestamp = at
    changed = old_state != new_state
    if changed:
        alarm.state_transitioned_timestamp = at
    record(
        account_id,
        region,
        alarm.name,
        alarm_type(alarm),
        at,
        "StateUpdate",
        f"Alarm updated from {old_state} to {new_state}",
        {
            "version": "1.0",
            "oldState": _state_block(old_state, old_reason, old_data),
            "newState": _state_block(new_state, reason, reason_data),
        },
    )
    transition = Transition(account_id, region, alarm.name, old_state, new_state, reason, at)
    if not changed or not alarm.actions_enabled:
        return transition, []
    actions = {
        "ALARM": alarm.alarm_actions,
        "OK": alarm.ok_actions,
        "INSUFFICIENT_DATA": alarm.insufficient_data_actions,
    }[new_state] or []
    message = compact_json(notification(account_id, region, alarm, old_state))
    subject = f'{new_state}: "{alarm.name}" in {region_long_name(region)}'[:100]
    notices = [
        Notice(account_id, region, alarm.name, alarm_type(alarm), arn, subject, message, at)
        for arn in actions
        if arn.startswith("arn:") and arn.count(":") >= 5 and arn.split(":")[2] == "sns"
    ]
    return transition, notices


def publish(notices: Iterable[Notice]) -> None:
    """Publish outside the lock: an HTTP subscriber may call back into the simulator."""
    for notice in notices:
        summary, data = _deliver(notice)
        record(
            notice.account_id,
            notice.region,
            notice.alarm_name,
            notice.alarm_type,
            notice.at,
            "Action",
            summary,
            data,
        )


def _deliver(notice: Notice) -> tuple[str, dict[str, Any]]:
    """Publish one notice through moto's SNS; returns the Action history item CloudWatch writes."""
    from moto.sns.exceptions import SNSNotFoundError
    from moto.sns.models import sns_backends

    _, _, _, topic_region, topic_account, _ = notice.topic_arn.split(":", 5)
    data: dict[str, Any] = {
        "stateUpdateTimestamp": int(notice.at.timestamp() * 1000),
        "notificationResource": notice.topic_arn,
    }
    try:
        sns = sns_backends[topic_account][topic_region]
        sns.publish(notice.message, arn=notice.topic_arn, subject=notice.subject)
    except (SNSNotFoundError, KeyError) as exc:  # KeyError: a region moto does not know
        error = exc.message if isinstance(exc, SNSNotFoundError) else "Topic does not exist"
        summary = f'Failed to execute action {notice.topic_arn}. Received error: "{error}"'
        return summary, data | {"actionState": "Failed", "error": error}
    except OSError as exc:
        # SNS accepted the message; a subscriber's endpoint failing is SNS's delivery problem.
        logger.warning("alarm notification to %s: a subscriber failed: %s", notice.topic_arn, exc)
    return f"Successfully executed action {notice.topic_arn}", data | {
        "actionState": "Succeeded",
        "publishedMessage": notice.message,
    }


def set_alarm_state(
    backend: Any,
    alarm_name: str,
    reason: str,
    reason_data: str | None,
    state_value: str,
    at: datetime | None = None,
) -> Transition:
    """SetAlarmState with AWS's validation, history and notifications."""
    from moto.cloudwatch.exceptions import InvalidFormat, ResourceNotFound, ValidationError

    if reason_data is not None:
        try:
            json.loads(reason_data)
        except ValueError:
            raise InvalidFormat("Unknown") from None
    if state_value not in ("OK", "ALARM", "INSUFFICIENT_DATA"):
        raise ValidationError(
            f"1 validation error detected: Value '{state_value}' at 'stateValue' failed to satisfy "
            "constraint: Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]"
        )
    with lock:
        alarm = backend.alarms.get(alarm_name)
        if alarm is None:
            raise ResourceNotFound
        transition, notices = apply_state(backend, alarm, state_value, reason, reason_data, at or utc_now())
    publish(notices)
    return transition


def record_past_transition(
    backend: Any,
    alarm_name: str,
    at: datetime,
    old_state: str,
    new_state: str,
    reason: str,
    reason_data: str | None = None,
) -> None:
    """Backdate a transition without notifying; it becomes current if it is the latest."""
    with lock:
        alarm = backend.alarms.get(alarm_name)
        if alarm is None:
            raise ValueError(f"alarm_history: no alarm named {alarm_name!r} in this account and region")
        record(
            backend.account_id,
            backend.region_name,
            alarm_name,
            alarm_type(alarm),
            at,
            "StateUpdate",
            f"Alarm updated from {old_state} to {new_state}",
            {
                "version": "1.0",
                "oldState": _state_block(old_state, "", None),
                "newState": _state_block(new_state, reason, reason_data),
            },
        )
        if as_utc(at) >= as_utc(alarm.state_updated_timestamp):
            alarm.state_value, alarm.state_reason, alarm.state_reason_data = new_state, reason, reason_data
            alarm.state_updated_timestamp = alarm.state_transitioned_timestamp = as_utc(at)


def record_configuration(backend: Any, alarm: Any, verb: str, at: datetime) -> None:
    """The ConfigurationUpdate item CloudWatch writes when an alarm is created, updated or deleted."""
    kind = alarm_type(alarm)
    change, body_key = {
        "created": ("Create", "createdAlarm"),
        "updated": ("Update", "updatedAlarm"),
        "deleted": ("Delete", "deletedAlarm"),
    }[verb]
    config = {
        "alarmName": alarm.name,
        "alarmArn": alarm.alarm_arn,
        "actionsEnabled": bool(alarm.actions_enabled),
        "comparisonOperator": alarm.comparison_operator,
        "evaluationPeriods": alarm.evaluation_periods,
        "threshold": alarm.threshold,
        "metricName": alarm.metric_name,
        "namespace": alarm.namespace,
        "period": alarm.period,
        "statistic": alarm.statistic,
        "alarmActions": list(alarm.alarm_actions or []),
        "okactions": list(alarm.ok_actions or []),
        "insufficientDataActions": list(alarm.insufficient_data_actions or []),
        "dimensions": [{"name": d.name, "value": d.value} for d in alarm.dimensions],
    }
    record(
        backend.account_id,
        backend.region_name,
        alarm.name,
        kind,
        at,
        "ConfigurationUpdate",
        f'Alarm "{alarm.name}" {verb}',
        {"version": "1.0", "type": change, body_key: config},
    )
