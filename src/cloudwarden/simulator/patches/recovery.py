"""What a remediation does to the simulated account: the resource recovers, in its metrics too.

moto stores metrics but nothing produces them: a scenario writes its telemetry up to the moment
it is injected, a leak stays a leak. Here a remediation made through the API changes what the
resource reports from then on, as it would in AWS:

- ECS UpdateService with forceNewDeployment of the revision already running (a restart): fresh
  tasks. Whatever built up in the old ones is gone: MemoryUtilization and CPUUtilization of the
  service return to normal.
- RDS RebootDBInstance: every connection is closed; DatabaseConnections and CPUUtilization
  return to normal. The instance is "rebooting" for REBOOT_TAKES, then "available" again.
- Lambda PutFunctionConcurrency / DeleteFunctionConcurrency: when the new limit covers what the
  function normally runs at once (its ConcurrentExecutions peak), throttling stops: Throttles,
  ConcurrentExecutions and Invocations return to normal. A lower limit changes nothing.

"Normal" is the series' own history, never a scenario's name: the median (and spread) of what
it reported between NORMAL_WINDOW and NORMAL_GAP before the remediation. The recovered series is
written at 1-minute resolution from the remediation's minute to HORIZON ahead of the clock, and
tick(now) keeps it that far ahead, so alarms evaluated at any later moment (the ticker,
`SimulatorClient.tick`, the `evaluate_alarms` injection with a `now`) see it. Writes carrying a
simulated time (a scenario's backdated history) change nothing: the scenario writes the
telemetry of its own history.
"""

from __future__ import annotations

import random
import statistics
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote

from cloudwarden.simulator.patches import Injector
from cloudwarden.simulator.patches import _alarm_state as alarm_state
from cloudwarden.simulator.patches._support import as_utc, install, sim_time, utc_now

HORIZON = timedelta(minutes=75)  # ahead of the clock: covers a tick that advances up to an hour
NORMAL_WINDOW = timedelta(hours=24)
NORMAL_GAP = timedelta(hours=1)  # a fault's onset is assumed to be less than this long ago
MAX_SPREAD = 0.25  # relative noise of a recovered series, at most
REBOOT_TAKES = timedelta(seconds=60)

ECS_RESTART = ("MemoryUtilization", "CPUUtilization")
RDS_REBOOT = ("DatabaseConnections", "CPUUtilization")
LAMBDA_UNTHROTTLED = ("Throttles", "ConcurrentExecutions", "Invocations")

Dimensions = tuple[tuple[str, str], ...]
SeriesKey = tuple[str, str, str, str, Dimensions]  # account, region, namespace, metric, dimensions
INJECTORS: dict[str, Injector] = {}


@dataclass
class _Series:
    level: float
    spread: float  # relative standard deviation
    unit: str | None
    integer: bool
    ceiling: float | None
    written_until: datetime  # aware UTC, minute-aligned, exclusive


_series: dict[SeriesKey, _Series] = {}
_reboots: dict[tuple[str, str, str], datetime] = {}  # (account, region, DB instance) -> done at
_originals: dict[str, Callable[..., Any]] = {}
_lock = threading.RLock()


# ---------------------------------------------------------------------------- the model


def _minute(moment: datetime) -> datetime:
    return as_utc(moment).replace(second=0, microsecond=0)


def _backend(account_id: str, region: str) -> Any:
    from moto.cloudwatch.models import cloudwatch_backends

    return cloudwatch_backends[account_id][region]


def _matching(backend: Any, namespace: str, metric: str, dimensions: Dimensions) -> Iterable[Any]:
    wanted = frozenset(dimensions)
    for datum in backend.get_all_metrics():
        if (
            datum.namespace == namespace
            and datum.name == metric
            and frozenset((d.name, d.value) for d in datum.dimensions) == wanted
        ):
            yield datum


def _value_of(datum: Any) -> float | None:
    if hasattr(datum, "value"):
        return float(datum.value)
    count = float(getattr(datum, "sample_count", 0) or 0)
    return float(datum.sum) / count if count else None


def _history(
    backend: Any, namespace: str, metric: str, dimensions: Dimensions, before: datetime
) -> tuple[list[float], str | None]:
    """The series' values in its normal window before `before`, and its unit."""
    values: list[float] = []
    unit = None
    for datum in _matching(backend, namespace, metric, dimensions):
        if before - NORMAL_WINDOW <= as_utc(datum.timestamp) < before - NORMAL_GAP:
            value = _value_of(datum)
            if value is not None:
                values.append(value)
                unit = datum.unit
    return values, unit


def _normal(values: list[float], unit: str | None, start: datetime) -> _Series:
    level = statistics.median(values)
    spread = statistics.median(abs(v - level) for v in values) * 1.4826
    return _Series(
        level=level,
        spread=min(MAX_SPREAD, spread / level) if level > 0 else 0.0,
        unit=unit,
        integer=all(v.is_integer() for v in values),
        ceiling=100.0 if unit == "Percent" else None,
        written_until=start,
    )


def _sample(key: SeriesKey, series: _Series, moment: datetime) -> float:
    # Seeded by series and minute: extending the series later gives the same values.
    draw = random.Random(f"{key}/{moment.isoformat()}")
    # Noise within two spreads: a recovered series stays recognisably normal, minute after minute.
    noise = max(-2.0, min(2.0, draw.gauss(0, 1))) * series.spread
    value = max(0.0, series.level * (1 + noise))
    if series.ceiling is not None:
        value = min(series.ceiling, value)
    return float(round(value)) if series.integer else round(value, 3)


def _write(backend: Any, key: SeriesKey, series: _Series, until: datetime) -> None:
    _, _, namespace, metric, dimensions = key
    data: list[dict[str, Any]] = []
    moment = series.written_until
    while moment < until:
        datum: dict[str, Any] = {
            "MetricName": metric,
            "Dimensions": [{"Name": name, "Value": value} for name, value in dimensions],
            "Timestamp": moment.replace(tzinfo=None),  # moto keeps naive UTC
            "Value": _sample(key, series, moment),
        }
        if series.unit:
            datum["Unit"] = series.unit
        data.append(datum)
        moment += timedelta(minutes=1)
    if data:
        backend.put_metric_data(namespace, data)
    series.written_until = moment


def _drop_after(backend: Any, namespace: str, metric: str, dimensions: Dimensions, at: datetime) -> None:
    """What the series held after `at` described the resource before the remediation."""
    stale = {id(d) for d in _matching(backend, namespace, metric, dimensions) if as_utc(d.timestamp) > at}
    if stale:
        backend.metric_data = [d for d in backend.metric_data if id(d) not in stale]


def recover(
    *,
    account_id: str,
    region: str,
    namespace: str,
    dimensions: dict[str, str],
    metrics: Iterable[str],
    at: datetime,
) -> list[str]:
    """Return the resource's series to normal from `at` on; the metrics that had a normal to return to."""
    backend = _backend(account_id, region)
    dims: Dimensions = tuple(sorted(dimensions.items()))
    at, start = as_utc(at), _minute(at)
    recovered = []
    # The alarm lock: an evaluation sees the series before the remediation or after, not half.
    with alarm_state.lock, _lock:
        for metric in metrics:
            values, unit = _history(backend, namespace, metric, dims, start)
            if not values:
                continue  # nothing reported before: nothing to return to
            key: SeriesKey = (account_id, region, namespace, metric, dims)
            _drop_after(backend, namespace, metric, dims, at)
            series = _normal(values, unit, start)
            _series[key] = series
            _write(backend, key, series, max(start, _minute(utc_now())) + HORIZON)
            recovered.append(metric)
    return recovered


def restarted_ecs_service(
    *, account_id: str, region: str, cluster: str, service: str, at: datetime
) -> list[str]:
    dimensions = {"ClusterName": cluster, "ServiceName": service}
    return recover(
        account_id=account_id,
        region=region,
        namespace="AWS/ECS",
        dimensions=dimensions,
        metrics=ECS_RESTART,
        at=at,
    )


def rebooted_db_instance(*, account_id: str, region: str, database: Any, at: datetime) -> list[str]:
    identifier = str(database.db_instance_identifier)
    with _lock:
        database.status = "rebooting"
        _reboots[(account_id, region, identifier)] = as_utc(at) + REBOOT_TAKES
    return recover(
        account_id=account_id,
        region=region,
        namespace="AWS/RDS",
        dimensions={"DBInstanceIdentifier": identifier},
        metrics=RDS_REBOOT,
        at=at,
    )


def concurrency_changed(
    *, account_id: str, region: str, function_name: str, reserved: int | None, at: datetime
) -> list[str]:
    """A new reserved concurrency (None: none reserved) ends throttling if it covers the usual peak."""
    dims: Dimensions = (("FunctionName", function_name),)
    peak, _ = _history(_backend(account_id, region), "AWS/Lambda", "ConcurrentExecutions", dims, _minute(at))
    if reserved is not None and peak and reserved < max(peak):
        return []  # still below what the function usually runs at once: it keeps throttling
    return recover(
        account_id=account_id,
        region=region,
        namespace="AWS/Lambda",
        dimensions=dict(dims),
        metrics=LAMBDA_UNTHROTTLED,
        at=at,
    )


def _settle_reboots(now: datetime) -> None:
    from moto.rds.models import rds_backends

    with _lock:
        for key, done_at in list(_reboots.items()):
            if now < done_at:
                continue
            account_id, region, identifier = key
            database = rds_backends[account_id][region].databases.get(identifier)
            if database is not None and database.status == "rebooting":
                database.status = "available"
            del _reboots[key]


# ---------------------------------------------------------------------------- API patches


def _update_service(self: Any) -> Any:
    result = _originals["ecs.update_service"](self)
    if self._get_param("forceNewDeployment") and sim_time(self.headers) is None:
        service = result.result["service"]
        deployments = list(service.deployments)
        # The new PRIMARY runs the revision of the deployment it replaced: a restart.
        if len(deployments) > 1 and deployments[0]["taskDefinition"] == deployments[1]["taskDefinition"]:
            restarted_ecs_service(
                account_id=self.current_account,
                region=self.region,
                cluster=service.cluster_name,
                service=service.name,
                at=utc_now(),
            )
    return result


def _reboot_db_instance(self: Any) -> Any:
    result = _originals["rds.reboot_db_instance"](self)
    if sim_time(self.headers) is None:
        database = result.result["DBInstance"]
        rebooted_db_instance(
            account_id=self.current_account, region=self.region, database=database, at=utc_now()
        )
    return result


def _describe_db_instances(self: Any) -> Any:
    _settle_reboots(utc_now())
    return _originals["rds.describe_db_instances"](self)


def _function_name(self: Any) -> str:
    reference = unquote(self.path.rsplit("/", 2)[-2])
    return str(self.backend.get_function(reference).function_name)


def _put_function_concurrency(self: Any) -> Any:
    answer = _originals["lambda.put_function_concurrency"](self)
    if sim_time(self.headers) is None:
        value = self._get_param("ReservedConcurrentExecutions", None)
        concurrency_changed(
            account_id=self.current_account,
            region=self.region,
            function_name=_function_name(self),
            reserved=None if value is None else int(value),
            at=utc_now(),
        )
    return answer


def _delete_function_concurrency(self: Any) -> Any:
    answer = _originals["lambda.delete_function_concurrency"](self)
    if sim_time(self.headers) is None:
        concurrency_changed(
            account_id=self.current_account,
            region=self.region,
            function_name=_function_name(self),
            reserved=None,
            at=utc_now(),
        )
    return answer


def apply() -> None:
    """Wrap the handlers as the other patches left them (ecs_activity's UpdateService, ...)."""
    from moto.awslambda.responses import LambdaResponse
    from moto.ecs.responses import EC2ContainerServiceResponse
    from moto.rds.responses import RDSResponse

    if _originals:
        return
    for owner, prefix, name, replacement in (
        (EC2ContainerServiceResponse, "ecs", "update_service", _update_service),
        (RDSResponse, "rds", "reboot_db_instance", _reboot_db_instance),
        (RDSResponse, "rds", "describe_db_instances", _describe_db_instances),
        (LambdaResponse, "lambda", "put_function_concurrency", _put_function_concurrency),
        (LambdaResponse, "lambda", "delete_function_concurrency", _delete_function_concurrency),
    ):
        _originals[f"{prefix}.{name}"] = getattr(owner, name)
        install(owner, name, replacement)


def reset() -> None:
    with _lock:
        _series.clear()
        _reboots.clear()


def tick(now: datetime | None = None) -> None:
    """Time passes: reboots finish, recovered series stay HORIZON ahead of `now`."""
    at = as_utc(now) if now else utc_now()
    _settle_reboots(at)
    with alarm_state.lock, _lock:
        for key, series in list(_series.items()):
            account_id, region = key[0], key[1]
            _write(_backend(account_id, region), key, series, _minute(at) + HORIZON)
