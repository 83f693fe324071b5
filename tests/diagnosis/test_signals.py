"""Log templates and metric anomalies: the two signals every fault signature reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

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


def _classified(message: str) -> tuple[bool, set[str]]:
    (t,) = mine_templates(
        [LogLine(group="/g", stream="s", time=T0, message=message)], split=T0, end=T0, identifiers={}
    )
    return t.is_error, t.categories


@pytest.mark.parametrize(
    ("message", "error", "categories"),
    [
        # pino / bunyan: numeric levels (50 error, 30 info)
        (
            '{"level":50,"time":1733300000000,"pid":7,"msg":"request failed","err":{"type":"Error"}}',
            True,
            set(),
        ),
        (
            '{"level":30,"time":1733300000000,"pid":7,"msg":"request completed","res":{"statusCode":200}}',
            False,
            set(),
        ),
        # logback JSON, structlog, logfmt
        (
            '{"@timestamp":"2026-12-04T07:00:00Z","level":"ERROR","logger_name":"c.a.Pay","message":"charge"}',
            True,
            set(),
        ),
        ('{"event": "cache miss", "level": "info", "timestamp": "2026-12-04T07:00:00Z"}', False, set()),
        (
            'time=2026-12-04T07:00:00Z level=error msg="dial tcp 10.0.3.7:6379: i/o timeout"',
            True,
            {"timeout"},
        ),
        # Java, Go
        (
            'Exception in thread "main" java.lang.OutOfMemoryError: Java heap space\n\tat a.B.c(B.java:1)',
            True,
            {"out_of_memory"},
        ),
        (
            "panic: runtime error: invalid memory address or nil pointer dereference\n\ngoroutine 1 [running]:",
            True,
            set(),
        ),
        ("rpc error: code = DeadlineExceeded desc = context deadline exceeded", True, {"timeout"}),
        # PostgreSQL and MySQL server logs
        (
            "2026-12-04 07:00:00 UTC [812]: FATAL:  remaining connection slots are reserved",
            True,
            {"too_many_connections"},
        ),
        (
            "2026-12-04T07:00:00.1Z 12 [ERROR] [MY-013183] [InnoDB] Errcode: 28 - No space left on device",
            True,
            {"disk_full"},
        ),
        (
            "# Query_time: 14.220571  Lock_time: 0.000112 Rows_sent: 1  Rows_examined: 9904112",
            False,
            {"slow_query"},
        ),
        # AWS SDK errors
        (
            "ProvisionedThroughputExceededException: Rate of requests exceeds the allowed throughput",
            True,
            {"throttled"},
        ),
        (
            "AccessDenied: Access to the resource https://sqs.us-east-1.amazonaws.com/1/q is denied.",
            True,
            {"access_denied"},
        ),
        # plain words that only look like signals
        ("INFO booked room 12 for the zoom call; sending alert digest", False, set()),
    ],
)
def test_log_formats_of_real_services_are_read(message: str, error: bool, categories: set[str]) -> None:
    assert _classified(message) == (error, categories)
