"""Log templates and metric anomalies: the two signals every fault signature reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cloudwarden.diagnosis.signals import anomaly, mine_templates, template_of
from cloudwarden.evidence.model import LogLine, MetricSeries

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_templates_mask_variable_parts_and_use_the_exception_line_of_traces() -> None:
    a = template_of(
        "INFO request_id=3137a998-493f-4c02-a74e-4658d9bd8ddc status=200 duration_ms=12 ip=10.2.3.4"
    )
    b = template_of(
        "INFO request_id=0d6c9a11-1111-4c02-a74e-4658d9bd8ddc status=200 duration_ms=431 ip=10.9.9.9"
    )
    assert a == b
    trace = "ERROR boom\nTraceback (most recent call last):\n  File \"x.py\", line 3\nKeyError: 'user_42'"
    assert template_of(trace).startswith("KeyError")


def test_new_error_template_is_counted_after_onset_and_classified() -> None:
    onset = T0 + timedelta(hours=2)
    lines = [
        LogLine(group="/g", stream="s", time=T0 + timedelta(minutes=i), message=f"INFO ok id={i}")
        for i in range(150)
    ]
    lines += [
        LogLine(
            group="/g",
            stream="s",
            time=onset + timedelta(seconds=10 * i),
            message='could not connect to server at "db.abc.rds.amazonaws.com": Connection timed out',
        )
        for i in range(30)
    ]
    templates = mine_templates(
        lines,
        split=onset,
        end=onset + timedelta(hours=1),
        identifiers={"db-key": {"db.abc.rds.amazonaws.com"}},
    )
    timeout = next(t for t in templates if "timeout" in t.categories)
    assert timeout.baseline_count == 0 and timeout.recent_count == 30
    assert timeout.mentions == {"db-key"}


def _series(values: list[float]) -> MetricSeries:
    points = [(T0 + timedelta(minutes=i), v) for i, v in enumerate(values)]
    return MetricSeries(
        resource="r",
        namespace="AWS/RDS",
        metric="CPUUtilization",
        stat="Average",
        dimensions={},
        points=points,
    )


def test_step_change_gets_a_high_score_and_its_onset() -> None:
    values = [20.0 + (i % 5) for i in range(170)] + [95.0] * 15
    found = anomaly(_series(values), alarm_time=T0 + timedelta(minutes=184))
    assert found is not None and found.score > 10
    assert found.onset == T0 + timedelta(minutes=170)


def test_noise_alone_is_not_an_anomaly() -> None:
    values = [20.0 + (i * 7 % 11) for i in range(185)]
    found = anomaly(_series(values), alarm_time=T0 + timedelta(minutes=184))
    assert found is not None and abs(found.score) < 3
