"""Contract: simulated CloudWatch alarms evaluate, keep history and notify SNS as AWS's do."""

from __future__ import annotations

import functools
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from cloudwarden.simulator.client import SimulatorClient, SimulatorError

ACCOUNT = "123456789012"
ADMIN = f"arn:aws:iam::{ACCOUNT}:user/platform-admin"
DIMENSIONS = [{"Name": "ClusterName", "Value": "prod"}, {"Name": "ServiceName", "Value": "web-api"}]
REGION_NAME = "US East (N. Virginia)"


@functools.cache
def _client(endpoint: str, service: str) -> Any:
    """Clients are slow to build and the server outlives each test's reset, so build each once."""
    return SimulatorClient(endpoint).client(service)


@functools.cache
def _acting_client(endpoint: str, at: datetime) -> Any:
    return SimulatorClient(endpoint).acting_client("cloudwatch", at=at, actor=ADMIN)


def _now() -> datetime:
    # Mid-minute, so every datapoint put k minutes back lands in the k-th last complete period.
    return datetime.now(UTC).replace(second=30, microsecond=0)


def _put_alarm(sim: SimulatorClient, *, created: datetime, **overrides: Any) -> None:
    """Create the alarm as of `created` (its creation is recorded then, as a deploy would be)."""
    definition: dict[str, Any] = {
        "AlarmName": "web-api-cpu-high",
        "AlarmDescription": "CPU of the web API",
        "Namespace": "AWS/ECS",
        "MetricName": "CPUUtilization",
        "Dimensions": DIMENSIONS,
        "Statistic": "Average",
        "Period": 60,
        "EvaluationPeriods": 3,
        "DatapointsToAlarm": 3,
        "Threshold": 80.0,
        "ComparisonOperator": "GreaterThanThreshold",
    }
    _acting_client(sim.endpoint, created).put_metric_alarm(**(definition | overrides))


def _put_cpu(sim: SimulatorClient, now: datetime, values: list[float], dimensions: Any = None) -> None:
    """values[0] is the oldest; the last value is put one minute before `now`."""
    data = [
        {
            "MetricName": "CPUUtilization",
            "Dimensions": DIMENSIONS if dimensions is None else dimensions,
            "Timestamp": now - timedelta(minutes=len(values) - i),
            "Value": value,
        }
        for i, value in enumerate(values)
    ]
    for offset in range(0, len(data), 20):
        _client(sim.endpoint, "cloudwatch").put_metric_data(
            Namespace="AWS/ECS", MetricData=data[offset : offset + 20]
        )


def _evaluate(sim: SimulatorClient, now: datetime) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = sim.inject(
        "evaluate_alarms", account_id=ACCOUNT, payload={"now": now.isoformat()}
    )["transitions"]
    return result


def _alarm(sim: SimulatorClient, name: str = "web-api-cpu-high") -> dict[str, Any]:
    alarm: dict[str, Any] = _client(sim.endpoint, "cloudwatch").describe_alarms(AlarmNames=[name])[
        "MetricAlarms"
    ][0]
    return alarm


def _subscribed_queue(sim: SimulatorClient) -> tuple[str, str]:
    sns, sqs = _client(sim.endpoint, "sns"), _client(sim.endpoint, "sqs")
    topic = sns.create_topic(Name="ops-alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="alert-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    return topic, queue


def _notifications(sim: SimulatorClient, queue: str) -> list[dict[str, Any]]:
    sqs = _client(sim.endpoint, "sqs")
    received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in received]


def test_backdated_breach_goes_to_alarm_with_history_and_real_notification(sim: SimulatorClient) -> None:
    now = _now()
    topic, queue = _subscribed_queue(sim)
    _put_alarm(sim, created=now - timedelta(days=1), AlarmActions=[topic])
    _put_cpu(sim, now, [40.0] * 20 + [95.2, 91.0, 88.5, 97.0, 93.0])

    transitions = _evaluate(sim, now)

    assert [(t["old_state"], t["new_state"]) for t in transitions] == [
        ("INSUFFICIENT_DATA", "OK"),
        ("OK", "ALARM"),
    ]
    alarm = _alarm(sim)
    assert alarm["StateValue"] == "ALARM"
    assert re.fullmatch(
        r"Threshold Crossed: 3 out of the last 3 datapoints \[88\.5 \(\d\d/\d\d/\d\d \d\d:\d\d:00\), "
        r"91\.0 \(.+?\), 95\.2 \(.+?\)\] were greater than the threshold \(80\.0\) "
        r"\(minimum 3 datapoints for OK -> ALARM transition\)\.",
        alarm["StateReason"],
    )
    # The alarm fired when the third breaching minute completed, not when it was evaluated.
    fired_at = alarm["StateUpdatedTimestamp"]
    assert now - timedelta(minutes=3) <= fired_at <= now - timedelta(minutes=2)

    history = _client(sim.endpoint, "cloudwatch").describe_alarm_history(
        AlarmName="web-api-cpu-high", HistoryItemType="StateUpdate"
    )["AlarmHistoryItems"]
    assert [h["HistorySummary"] for h in history] == [
        "Alarm updated from OK to ALARM",
        "Alarm updated from INSUFFICIENT_DATA to OK",
    ]
    data = json.loads(history[0]["HistoryData"])
    assert data["version"] == "1.0"
    assert data["oldState"]["stateValue"] == "OK" and data["newState"]["stateValue"] == "ALARM"
    assert data["newState"]["stateReason"] == alarm["StateReason"]
    reason_data = data["newState"]["stateReasonData"]
    assert [p["value"] for p in reason_data["evaluatedDatapoints"]] == [88.5, 91.0, 95.2]
    assert reason_data["statistic"] == "Average" and reason_data["threshold"] == 80.0

    (envelope,) = _notifications(sim, queue)
    assert envelope["Subject"] == f'ALARM: "web-api-cpu-high" in {REGION_NAME}'
    assert envelope["TopicArn"] == topic
    message = json.loads(envelope["Message"])
    assert message["AlarmName"] == "web-api-cpu-high"
    assert message["AlarmDescription"] == "CPU of the web API"
    assert message["AWSAccountId"] == ACCOUNT
    assert message["NewStateValue"] == "ALARM" and message["OldStateValue"] == "OK"
    assert message["NewStateReason"] == alarm["StateReason"]
    assert message["Region"] == REGION_NAME
    assert message["AlarmArn"] == alarm["AlarmArn"]
    assert message["AlarmActions"] == [topic] and message["OKActions"] == []
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000", message["StateChangeTime"])
    assert message["Trigger"] == {
        "MetricName": "CPUUtilization",
        "Namespace": "AWS/ECS",
        "StatisticType": "Statistic",
        "Statistic": "AVERAGE",
        "Unit": None,
        "Dimensions": [{"value": "prod", "name": "ClusterName"}, {"value": "web-api", "name": "ServiceName"}],
        "Period": 60,
        "EvaluationPeriods": 3,
        "DatapointsToAlarm": 3,
        "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": 80.0,
        "TreatMissingData": "missing",
        "EvaluateLowSampleCountPercentile": "",
    }


def test_an_evaluation_asked_for_rejudges_a_moment_the_ticker_already_passed(sim: SimulatorClient) -> None:
    """`sim inject` writes backdated data and then evaluates at its `now`; if the ticker crossed a
    minute meanwhile (judging the later period without the data), the alarm must still fire."""
    now = _now()
    _put_alarm(sim, created=now - timedelta(days=1))
    _put_cpu(sim, now - timedelta(minutes=3), [40.0] * 20)
    sim.tick(advance_seconds=(now + timedelta(minutes=1) - datetime.now(UTC)).total_seconds())
    _put_cpu(sim, now, [95.2, 91.0, 88.5])

    transitions = _evaluate(sim, now)

    assert [t["new_state"] for t in transitions][-1:] == ["ALARM"]
    assert _alarm(sim)["StateValue"] == "ALARM"


def test_set_alarm_state_notifies_only_when_the_state_changes(sim: SimulatorClient) -> None:
    topic, queue = _subscribed_queue(sim)
    _put_alarm(sim, created=_now() - timedelta(hours=1), AlarmActions=[topic], OKActions=[topic])
    cloudwatch = _client(sim.endpoint, "cloudwatch")

    cloudwatch.set_alarm_state(
        AlarmName="web-api-cpu-high", StateValue="ALARM", StateReason="testing the pager"
    )
    cloudwatch.set_alarm_state(AlarmName="web-api-cpu-high", StateValue="ALARM", StateReason="still testing")

    (envelope,) = _notifications(sim, queue)
    message = json.loads(envelope["Message"])
    assert (message["OldStateValue"], message["NewStateValue"]) == ("INSUFFICIENT_DATA", "ALARM")
    assert message["NewStateReason"] == "testing the pager"
    history = cloudwatch.describe_alarm_history(AlarmName="web-api-cpu-high", HistoryItemType="StateUpdate")
    assert [h["HistorySummary"] for h in history["AlarmHistoryItems"]] == [
        "Alarm updated from ALARM to ALARM",
        "Alarm updated from INSUFFICIENT_DATA to ALARM",
    ]
    actions = cloudwatch.describe_alarm_history(AlarmName="web-api-cpu-high", HistoryItemType="Action")
    assert [h["HistorySummary"] for h in actions["AlarmHistoryItems"]] == [
        f"Successfully executed action {topic}"
    ]

    cloudwatch.disable_alarm_actions(AlarmNames=["web-api-cpu-high"])
    cloudwatch.set_alarm_state(AlarmName="web-api-cpu-high", StateValue="OK", StateReason="recovered")
    assert _notifications(sim, queue) == []
    assert _alarm(sim)["StateValue"] == "OK"

    with pytest.raises(ClientError) as missing:
        cloudwatch.set_alarm_state(AlarmName="no-such-alarm", StateValue="OK", StateReason="x")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFound"


def test_new_alarms_start_insufficient_and_updates_keep_state(sim: SimulatorClient) -> None:
    created = _now() - timedelta(hours=2)
    _put_alarm(sim, created=created)
    alarm = _alarm(sim)
    assert (alarm["StateValue"], alarm["StateReason"]) == (
        "INSUFFICIENT_DATA",
        "Unchecked: Initial alarm creation",
    )

    _client(sim.endpoint, "cloudwatch").set_alarm_state(
        AlarmName="web-api-cpu-high", StateValue="ALARM", StateReason="manual"
    )
    _put_alarm(sim, created=created + timedelta(hours=1), Threshold=90.0)

    alarm = _alarm(sim)
    assert (alarm["StateValue"], alarm["Threshold"]) == ("ALARM", 90.0)
    history = _client(sim.endpoint, "cloudwatch").describe_alarm_history(
        AlarmName="web-api-cpu-high", HistoryItemType="ConfigurationUpdate", ScanBy="TimestampAscending"
    )["AlarmHistoryItems"]
    assert [(h["HistorySummary"], h["Timestamp"]) for h in history] == [
        ('Alarm "web-api-cpu-high" created', created),
        ('Alarm "web-api-cpu-high" updated', created + timedelta(hours=1)),
    ]


# name: (values put one per minute, oldest first; alarm settings; expected state; reason start)
RULE_CASES: dict[str, tuple[list[float], dict[str, Any], str, str]] = {
    "two-of-three": (
        [95.0, 50.0, 95.0],
        {"DatapointsToAlarm": 2},
        "ALARM",
        "Threshold Crossed: 2 out of the last 3 datapoints [95.0",
    ),
    "three-of-three-not-met": (
        [95.0, 50.0, 95.0],
        {},
        "OK",
        "Threshold Crossed: 1 out of the last 3 datapoints [50.0",
    ),
    "missing-as-breaching": (
        [],
        {"TreatMissingData": "breaching"},
        "ALARM",
        "Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were "
        "treated as [Breaching].",
    ),
    "missing-as-not-breaching": (
        [],
        {"TreatMissingData": "notBreaching"},
        "OK",
        "Threshold Crossed: no datapoints",
    ),
    "missing-ignored": (
        [],
        {"TreatMissingData": "ignore"},
        "INSUFFICIENT_DATA",
        "Unchecked: Initial alarm creation",
    ),
    "missing-as-missing": ([], {}, "INSUFFICIENT_DATA", "Unchecked: Initial alarm creation"),
    # Four one-minute samples of 30 inside one five-minute period: a Sum of 120.
    "sum-over-five-minutes": (
        [30.0] * 4,
        {
            "Statistic": "Sum",
            "Period": 300,
            "EvaluationPeriods": 1,
            "DatapointsToAlarm": 1,
            "Threshold": 100.0,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        },
        "ALARM",
        "Threshold Crossed: 1 out of the last 1 datapoints [120.0",
    ),
}


def test_evaluation_follows_statistic_m_of_n_missing_data_and_exact_dimensions(sim: SimulatorClient) -> None:
    # Half a minute into a five-minute period: the last four minutes fill the period before it.
    mid_minute = _now()
    now = mid_minute.replace(minute=mid_minute.minute - mid_minute.minute % 5)
    for name, (values, overrides, _, _) in RULE_CASES.items():
        dimensions = [{"Name": "ServiceName", "Value": name}]
        _put_alarm(
            sim, created=now - timedelta(minutes=1), AlarmName=name, Dimensions=dimensions, **overrides
        )
        _put_cpu(sim, now, values, dimensions=dimensions)
    # Same metric with an extra dimension, or one fewer: different metrics to CloudWatch.
    _put_alarm(sim, created=now - timedelta(minutes=1), AlarmName="exact-dimensions")
    _put_cpu(sim, now, [99.0] * 3, dimensions=[*DIMENSIONS, {"Name": "TaskId", "Value": "abc"}])
    _put_cpu(sim, now, [99.0] * 3, dimensions=DIMENSIONS[:1])

    _evaluate(sim, now)

    for name, (_, _, state, reason_start) in RULE_CASES.items():
        alarm = _alarm(sim, name)
        assert (name, alarm["StateValue"]) == (name, state)
        assert alarm["StateReason"].startswith(reason_start), (name, alarm["StateReason"])
    assert _alarm(sim, "exact-dimensions")["StateValue"] == "INSUFFICIENT_DATA"


def test_history_can_be_backdated_filtered_and_paged(sim: SimulatorClient) -> None:
    now = _now()
    _put_alarm(sim, created=now - timedelta(days=3))
    for days_ago, old, new in (
        (2.0, "OK", "ALARM"),
        (1.9, "ALARM", "OK"),
        (1.0, "OK", "ALARM"),
        (0.9, "ALARM", "OK"),
    ):
        sim.inject(
            "alarm_history",
            account_id=ACCOUNT,
            payload={
                "alarm_name": "web-api-cpu-high",
                "timestamp": (now - timedelta(days=days_ago)).isoformat(),
                "old_state": old,
                "new_state": new,
                "reason": f"went {new}",
            },
        )
    assert _alarm(sim)["StateValue"] == "OK"  # the latest injected transition is the current state
    cloudwatch = _client(sim.endpoint, "cloudwatch")

    window = cloudwatch.describe_alarm_history(
        AlarmName="web-api-cpu-high",
        HistoryItemType="StateUpdate",
        StartDate=now - timedelta(days=1.5),
        EndDate=now,
    )["AlarmHistoryItems"]
    assert [h["HistorySummary"] for h in window] == [
        "Alarm updated from ALARM to OK",
        "Alarm updated from OK to ALARM",
    ]

    first = cloudwatch.describe_alarm_history(
        AlarmName="web-api-cpu-high", HistoryItemType="StateUpdate", MaxRecords=3
    )
    rest = cloudwatch.describe_alarm_history(
        AlarmName="web-api-cpu-high",
        HistoryItemType="StateUpdate",
        MaxRecords=3,
        NextToken=first["NextToken"],
    )
    assert (
        len(first["AlarmHistoryItems"]) == 3
        and len(rest["AlarmHistoryItems"]) == 1
        and "NextToken" not in rest
    )
    assert json.loads(rest["AlarmHistoryItems"][0]["HistoryData"])["newState"]["stateReason"] == "went ALARM"

    with pytest.raises(SimulatorError, match="new_state"):
        sim.inject(
            "alarm_history",
            account_id=ACCOUNT,
            payload={
                "alarm_name": "web-api-cpu-high",
                "timestamp": now.isoformat(),
                "old_state": "OK",
                "new_state": "BROKEN",
                "reason": "x",
            },
        )
    with pytest.raises(SimulatorError, match="no alarm named 'nope'"):
        sim.inject(
            "alarm_history",
            account_id=ACCOUNT,
            payload={
                "alarm_name": "nope",
                "timestamp": now.isoformat(),
                "old_state": "OK",
                "new_state": "ALARM",
                "reason": "x",
            },
        )
