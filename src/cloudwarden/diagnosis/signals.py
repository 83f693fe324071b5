"""Signals extracted from raw evidence: metric anomalies, log templates, change relevance."""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cloudwarden.diagnosis.topology import mentions
from cloudwarden.evidence.model import LogLine, MetricSeries

# Baseline: the part of the window that ends this long before the alarm.
BASELINE_GAP = timedelta(minutes=60)
RECENT = timedelta(minutes=10)
SUSTAINED_POINTS = 3


@dataclass(frozen=True)
class Anomaly:
    series: MetricSeries
    baseline: float
    recent: float
    score: float  # robust z-score of the recent level against the baseline; signed
    onset: datetime | None
    peak: float

    @property
    def rising(self) -> bool:
        return self.score > 0

    def describe(self) -> str:
        s = self.series
        direction = "rose" if self.rising else "fell"
        when = f" from {self.onset:%H:%M}" if self.onset else ""
        change = f"{self.baseline:.4g} -> {self.recent:.4g} (z={self.score:+.1f})"
        return f"{s.namespace} {s.metric} ({s.stat}) {direction}{when}: {change}"


def _robust_scale(values: list[float], center: float) -> float:
    mad = statistics.median([abs(v - center) for v in values]) * 1.4826
    stdev = statistics.pstdev(values) if len(values) > 1 else 0.0
    if all(float(v).is_integer() for v in values):
        # Counts: a floor keeps near-constant series (zero throttles) from turning one event
        # into z=1000.
        return max(mad, 0.5 * stdev, 0.02 * abs(center), 0.5 if abs(center) < 5 else 0.0)
    # Measurements (a latency in seconds, a utilisation): small values are not small counts, so
    # the floor is relative to the level.
    return max(mad, 0.5 * stdev, 0.05 * abs(center), 1e-9)


def anomaly(series: MetricSeries, *, alarm_time: datetime, end: datetime | None = None) -> Anomaly | None:
    """Score the series around the alarm against its own baseline.

    The level is the third most extreme point since ten minutes before the alarm, in whichever
    direction deviates more: an alarm fires after a few breaching periods, so at least three
    points are off when it does, while one noisy spike is not enough.
    """
    last = end or alarm_time + timedelta(minutes=1)
    points = [(t, v) for t, v in series.points if t <= last]
    baseline = [v for t, v in points if t < alarm_time - BASELINE_GAP]
    recent = sorted(v for t, v in points if t > alarm_time - RECENT)
    if len(baseline) < 10 or not recent:
        return None
    center = statistics.median(baseline)
    scale = _robust_scale(baseline, center)
    k = min(SUSTAINED_POINTS, len(recent)) - 1
    high, low = recent[-1 - k], recent[k]
    up, down = (high - center) / scale, (low - center) / scale
    score, level = (up, high) if abs(up) >= abs(down) else (down, low)
    onset = _onset([(t, (v - center) / scale) for t, v in points if t >= alarm_time - BASELINE_GAP], score)
    peak = recent[-1] if score > 0 else recent[0]
    return Anomaly(series=series, baseline=center, recent=level, score=score, onset=onset, peak=peak)


def _onset(deviations: list[tuple[datetime, float]], score: float, threshold: float = 3.0) -> datetime | None:
    """First point beyond the threshold after which at least 75% of the points stay beyond."""
    sign = 1 if score > 0 else -1
    beyond = [sign * z > threshold for _, z in deviations]
    for i, (moment, _) in enumerate(deviations):
        rest = beyond[i:]
        if beyond[i] and len(rest) >= 2 and sum(rest) >= 0.75 * len(rest):
            return moment
    return None


# --- logs ---------------------------------------------------------------------------------

_MASKS = [
    (re.compile(r"arn:aws[\w-]*:[\w-]+:[\w-]*:\d*:[^\s\"',]+"), "<arn>"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I), "<uuid>"),
    (re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?Z?(?: UTC)?"), "<time>"),
    (re.compile(r"\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}"), "<time>"),
    (re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b"), "<ip>"),
    (re.compile(r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,}\b", re.I), "<hex>"),
    # Identifiers with a prefix or mixed characters (trp_4d20f95, req-7Hq2x9, ip-10-0-0-4): any
    # longer token of letters and digits is a value, not part of the template.
    (re.compile(r"(?<![\w-])(?=[\w-]*\d)(?=[\w-]*[A-Za-z_])[\w-]{6,}(?![\w-])"), "<id>"),
    (re.compile(r"[-+]?\d+(?:\.\d+)?"), "<n>"),
]
# An error line, in the formats services write: plain levels (Python, Java, PostgreSQL "ERROR:",
# MySQL "[ERROR]"), JSON with a level name (logback, structlog, winston) or a bunyan/pino number
# (50 error, 60 fatal), logfmt, tracebacks, exceptions, Go panics.
_ERROR = re.compile(
    r"\b(ERROR|FATAL|CRITICAL|PANIC|SEVERE)\b"
    r"|\"(?:level|severity|lvl|log\.level)\":\s*\"(?:err|error|fatal|critical|crit|panic|alert|emerg)\""
    r"|\"level\":\s*(?:50|60)\b|\b(?:level|lvl|severity)=(?:err|error|fatal|crit|critical|panic)\b"
    r"|Traceback|Exception\b|\w+Error\b|\berror:|\bAccessDenied\b|\bfailed\b|^panic:|goroutine \d+ \[running\]",
    re.I | re.M,
)

CATEGORIES: dict[str, re.Pattern[str]] = {
    "out_of_memory": re.compile(
        r"OutOfMemory|out of memory|memory pressure|\bOOM(?:Killed)?\b|MemoryError|Cannot allocate memory"
        r"|heap out of memory|memory limit exceeded",
        re.I,
    ),
    "timeout": re.compile(
        r"timed out|time-out|timeout|Connection refused|could not connect|accepting TCP/IP|unreachable|ETIMEDOUT"
        r"|ECONNREFUSED|deadline exceeded|No route to host|Communications link failure|EHOSTUNREACH",
        re.I,
    ),
    "too_many_connections": re.compile(
        r"too many (clients|connections)|remaining connection slots|connection pool (is )?exhausted|max_connections"
        r"|Connection is not available, request timed out|pool (is )?(full|exhausted)",
        re.I,
    ),
    "disk_full": re.compile(
        r"No space left|DiskFull|could not extend file|storage[- ]full|out of storage|disk full"
        r"|The table \S+ is full|Errcode: 28",
        re.I,
    ),
    "access_denied": re.compile(
        r"AccessDenied|not authorized to perform|UnauthorizedOperation|AuthorizationError|403 Forbidden"
        r"|Access to the resource \S+ is denied",
        re.I,
    ),
    "throttled": re.compile(
        r"TooManyRequests|Rate Exceeded|Throttl|SlowDown|RequestLimitExceeded|ProvisionedThroughputExceeded"
        r"|RequestThrottled",
        re.I,
    ),
    "auth_failed": re.compile(
        r"password authentication failed|authentication failed for user|Access denied for user|"
        r"Login failed for user|invalid (username|password|credentials)|\bWRONGPASS\b|\bNOAUTH\b",
        re.I,
    ),
    "slow_call": re.compile(
        r"slow (dependency|downstream|upstream|external) (call|request|response)|call took \d{4,} ?ms|"
        r"Invoke took \d{4,} ?ms",
        re.I,
    ),
    "slow_query": re.compile(
        # PostgreSQL's lower-case "duration:" (Lambda's REPORT line says "Duration:").
        r"(?-i:duration: \d{4,}(\.\d+)? ms)|slow (database )?query|statement timeout|canceling statement"
        r"|Query_time: (?:\d{2,}|[2-9])|Lock wait timeout exceeded",
        re.I,
    ),
}


# A line that states its own level as informational (structlog's "[info     ]", logfmt
# level=info, JSON "level":"info" or a pino/bunyan 30, "INFO" as a Python or Java level): the
# word "error" in it is a logger's name (gunicorn.error) or a field, not an error, unless it
# carries a traceback or reports a 5xx response.
_INFO_LEVEL = re.compile(
    r"\[(?:info|debug|trace)\s*\]"
    r"|\b(?:level|lvl|severity)=(?:info|debug|trace|notice)\b"
    r"|\"(?:level|severity|lvl|log\.level)\":\s*\"(?:info|debug|trace|notice)\""
    r"|\"level\":\s*(?:10|20|30)\b"
    r"|(?:^|\s|\]|:)(?-i:INFO|DEBUG|TRACE)(?::|\s)",
    re.I,
)
_STRONG_ERROR = re.compile(r"Traceback|^panic:|goroutine \d+ \[running\]|\n\s+at \S+\(", re.M)
_SERVER_ERROR = re.compile(r"(?:status(?:Code)?[\"=:\s]+|Completed |HTTP/\d(?:\.\d)?\"? )5\d\d\b", re.I)


def is_error(message: str) -> bool:
    """Whether a log line reports an error, in the formats services write."""
    if _STRONG_ERROR.search(message):
        return True
    if _INFO_LEVEL.search(message[:200]):
        return bool(_SERVER_ERROR.search(message))
    return bool(_ERROR.search(message))


def template_of(message: str) -> str:
    first = message.strip().splitlines()[-1] if "Traceback" in message else message.strip().splitlines()[0]
    text = message if len(message) < 400 else message[:400]
    key = first if "Traceback" in message else text
    for pattern, replacement in _MASKS:
        key = pattern.sub(replacement, key)
    return re.sub(r"\s+", " ", key)[:300]


@dataclass
class LogTemplate:
    group: str
    template: str
    example: str
    baseline_count: int = 0
    recent_count: int = 0
    first_recent: datetime | None = None
    is_error: bool = False
    categories: set[str] = field(default_factory=set)
    mentions: set[str] = field(default_factory=set)

    def surge(self, baseline_minutes: float, recent_minutes: float) -> float:
        base_rate = (self.baseline_count + 0.5) / max(baseline_minutes, 1)
        recent_rate = self.recent_count / max(recent_minutes, 1)
        return recent_rate / base_rate

    def describe(self) -> str:
        seen = "new" if self.baseline_count == 0 else f"{self.baseline_count} before"
        return f"{self.group}: {self.recent_count}x ({seen}) {self.example.strip().splitlines()[-1][:220]}"


def mine_templates(
    lines: list[LogLine], *, split: datetime, end: datetime, identifiers: dict[str, set[str]]
) -> list[LogTemplate]:
    """Group lines into templates and count them before and after `split` (the incident onset)."""
    templates: dict[tuple[str, str], LogTemplate] = {}
    for line in lines:
        if line.time > end:
            continue
        key = (line.group, template_of(line.message))
        entry = templates.get(key)
        if entry is None:
            entry = LogTemplate(group=line.group, template=key[1], example=line.message)
            entry.is_error = is_error(line.message)
            entry.categories = {name for name, pattern in CATEGORIES.items() if pattern.search(line.message)}
            entry.mentions = {
                k for k, ids in identifiers.items() if any(mentions(line.message, i) for i in ids)
            }
            templates[key] = entry
        if line.time < split:
            entry.baseline_count += 1
        else:
            entry.recent_count += 1
            if entry.first_recent is None or line.time < entry.first_recent:
                entry.first_recent = line.time
                entry.example = line.message
    return list(templates.values())
