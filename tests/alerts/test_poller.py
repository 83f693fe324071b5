"""The alarm poller reads every alarm's state through the role and turns ALARM and OK into transitions."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from cloudwarden.alerts.intake import poller
from cloudwarden.simulator.client import SimulatorClient


class _Broker:
    def __init__(self, sim: SimulatorClient) -> None:
        self.sim = sim

    def session(self, **_: Any) -> Any:
        return SimpleNamespace(client=lambda service, region=None: self.sim.client(service, region=region))


def test_alarm_states_become_transitions_keyed_by_their_change(sim: SimulatorClient) -> None:
    cloudwatch = sim.client("cloudwatch")
    for name in ("api-5xx", "db-cpu", "queue-age"):
        cloudwatch.put_metric_alarm(
            AlarmName=name,
            MetricName="CPUUtilization",
            Namespace="AWS/RDS",
            Statistic="Average",
            Period=60,
            EvaluationPeriods=1,
            Threshold=80,
            ComparisonOperator="GreaterThanThreshold",
        )
    cloudwatch.set_alarm_state(AlarmName="api-5xx", StateValue="ALARM", StateReason="test")
    cloudwatch.set_alarm_state(AlarmName="db-cpu", StateValue="OK", StateReason="test")
    account = SimpleNamespace(
        role_arn="arn:aws:iam::123456789012:role/R", external_id="x", regions=[sim.region]
    )
    found = {t.alarm_name: t for t in poller.read_transitions(_Broker(sim), account)}  # type: ignore[arg-type]
    assert {name: t.new_state for name, t in found.items()} == {"api-5xx": "ALARM", "db-cpu": "OK"}
    again = {t.alarm_name: t for t in poller.read_transitions(_Broker(sim), account)}  # type: ignore[arg-type]
    assert again["api-5xx"].key == found["api-5xx"].key  # read twice, recorded once
    assert found["api-5xx"].aws_account_id == "123456789012" and found["api-5xx"].changed_at.tzinfo
