"""Contract: simulated RDS DescribeEvents filters, pages and records reboots as AWS does."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from cloudwarden.simulator.client import SimulatorClient, SimulatorError

ACCOUNT = "123456789012"


@functools.cache
def _client(endpoint: str, service: str) -> Any:
    """Clients are slow to build and the server outlives each test's reset, so build each once."""
    return SimulatorClient(endpoint).client(service)


def _rds(sim: SimulatorClient) -> Any:
    return _client(sim.endpoint, "rds")


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _create_databases(sim: SimulatorClient, *names: str) -> None:
    for name in names:
        _rds(sim).create_db_instance(
            DBInstanceIdentifier=name,
            DBInstanceClass="db.t3.micro",
            Engine="postgres",
            MasterUsername="app",
            MasterUserPassword="not-a-real-password",
            AllocatedStorage=20,
        )


def _inject(sim: SimulatorClient, db_instance: str, date: datetime, message: str, *categories: str) -> None:
    payload = {
        "db_instance": db_instance,
        "date": date.isoformat(),
        "message": message,
        "categories": list(categories),
    }
    sim.inject("rds_event", account_id=ACCOUNT, payload=payload)


def _messages(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["SourceIdentifier"], e["Message"]) for e in events]


def test_events_are_filtered_by_source_time_and_category(sim: SimulatorClient) -> None:
    now = _now()
    _create_databases(sim, "orders-db", "reports-db")
    _inject(sim, "orders-db", now - timedelta(hours=5), "Storage is almost full", "low storage")
    _inject(sim, "orders-db", now - timedelta(minutes=40), "DB instance shutdown", "availability")
    _inject(sim, "orders-db", now - timedelta(minutes=39), "DB instance restarted", "availability")
    _inject(
        sim,
        "reports-db",
        now - timedelta(minutes=30),
        "Finished applying modification",
        "configuration change",
    )

    window = _rds(sim).describe_events(
        SourceType="db-instance",
        SourceIdentifier="orders-db",
        StartTime=now - timedelta(hours=6),
        EndTime=now - timedelta(minutes=39, seconds=30),
    )["Events"]
    assert _messages(window) == [
        ("orders-db", "Storage is almost full"),
        ("orders-db", "DB instance shutdown"),
    ]
    first = window[0]
    assert first["SourceType"] == "db-instance" and first["EventCategories"] == ["low storage"]
    assert first["Date"] == now - timedelta(hours=5)
    assert first["SourceArn"] == f"arn:aws:rds:us-east-1:{ACCOUNT}:db:orders-db"

    # No time given: the last 60 minutes, as in AWS; events oldest first.
    recent = [e for e in _rds(sim).describe_events(SourceType="db-instance")["Events"] if e["Date"] < now]
    assert _messages(recent) == [
        ("orders-db", "DB instance shutdown"),
        ("orders-db", "DB instance restarted"),
        ("reports-db", "Finished applying modification"),
    ]
    longer = _rds(sim).describe_events(
        SourceType="db-instance", Duration=360, EventCategories=["low storage"]
    )
    assert _messages(longer["Events"]) == [("orders-db", "Storage is almost full")]


def test_reboot_records_a_restart_event(sim: SimulatorClient) -> None:
    _create_databases(sim, "orders-db")
    before = datetime.now(UTC) - timedelta(seconds=1)

    _rds(sim).reboot_db_instance(DBInstanceIdentifier="orders-db")

    events = _rds(sim).describe_events(
        SourceType="db-instance", SourceIdentifier="orders-db", EventCategories=["availability"]
    )["Events"]
    assert _messages(events) == [("orders-db", "DB instance restarted")]
    assert events[0]["Date"] >= before


def test_events_page_with_marker_and_bad_requests_fail_like_aws(sim: SimulatorClient) -> None:
    now = _now()
    _create_databases(sim, "orders-db")
    for minute in range(45):
        _inject(sim, "orders-db", now - timedelta(minutes=50 - minute), f"event {minute}", "notification")
    rds = _rds(sim)

    pages, marker = [], None
    while True:
        kwargs = {"Marker": marker} if marker else {}
        response = rds.describe_events(
            SourceType="db-instance", EventCategories=["notification"], MaxRecords=20, **kwargs
        )
        pages.append([e["Message"] for e in response["Events"]])
        marker = response.get("Marker")
        if not marker:
            break
    assert [len(page) for page in pages] == [20, 20, 5]
    assert pages[0][0] == "event 0" and pages[-1][-1] == "event 44"

    with pytest.raises(ClientError, match="InvalidParameterCombination"):
        rds.describe_events(SourceIdentifier="orders-db")
    with pytest.raises(ClientError, match="InvalidParameterValue"):
        rds.describe_events(MaxRecords=10)
    with pytest.raises(SimulatorError, match="field 'categories"):
        _inject(sim, "orders-db", now, "x", "weather")
    with pytest.raises(SimulatorError, match="no DB instance 'missing-db'"):
        _inject(sim, "missing-db", now, "x")
