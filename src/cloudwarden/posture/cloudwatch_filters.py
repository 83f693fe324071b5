"""CIS 4.1-4.15: a log metric filter and an alarm for a class of CloudTrail events.

Each control (one small check module each) names the CloudTrail records it must alarm on, as
sample events (`api_calls(...)`, `event(...)`). A control passes when a multi-region trail that
is logging all management events delivers to a CloudWatch Logs log group, a metric filter on
that group matches every one of those events, and a metric alarm on the filter's metric
(namespace and name) notifies an SNS topic.

A filter is judged by evaluating its pattern against the sample events, not by comparing text:
whitespace, quoting, term order, parentheses and wildcards do not matter, and a pattern that
names the right terms but joins them so that it cannot match (A && B for two event names) does
not pass. The JSON syntax ({ $.field = value && ... }) and the term syntax ("a" "b" ?c -d)
are understood; a pattern that cannot be parsed matches nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cloudwarden.posture.collectors.cloudtrail import judged_trails, log_group_location
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import Remediation, Result, Unknown

Event = Mapping[str, Any]
READS = ("cloudtrail", "logs", "cloudwatch")
RESOURCE_TYPE = "AWS::Logs::MetricFilter"


class PatternError(ValueError):
    pass


# --- sample CloudTrail records -------------------------------------------------------------


def event(**fields: Any) -> dict[str, Any]:
    """A CloudTrail record: an IAM user's successful API call unless `fields` say otherwise."""
    record: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "userName": "alice", "accountId": "111122223333"},
        "eventTime": "2024-01-01T00:00:00Z",
        "eventSource": "ec2.amazonaws.com",
        "eventName": "DescribeInstances",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.10",
        "userAgent": "aws-cli/2.15.0",
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "readOnly": False,
    }
    record.update(fields)
    return record


def api_calls(source: str, *names: str) -> tuple[dict[str, Any], ...]:
    """One record per API call `names` of the service `source` (e.g. "iam.amazonaws.com")."""
    return tuple(event(eventSource=source, eventName=name) for name in names)


# --- filter patterns -------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<lp>\()|(?P<rp>\))|(?P<and>&&)|(?P<or>\|\|)
    | (?P<op>!=|<=|>=|=|<|>)
    | (?P<kw>(?i:NOT\s+EXISTS|IS\s+NULL|IS\s+TRUE|IS\s+FALSE|EXISTS))(?![\w.])
    | (?P<str>"(?:[^"\\]|\\.)*")
    | (?P<sel>\$(?:\.[A-Za-z0-9_@:-]+|\[(?:\d+|\*)\])*)
    | (?P<word>[^\s()&|"=!<>]+)
    )""",
    re.VERBOSE,
)


def compile_pattern(pattern: str) -> Any:
    """The pattern's syntax tree; raises PatternError when it is not understood."""
    text = pattern.strip()
    if not text:
        return ("all",)
    if text.startswith("{"):
        if not text.endswith("}"):
            raise PatternError("a JSON filter pattern ends with }")
        tokens = _tokenize(text[1:-1])
        tree, rest = _or(tokens, 0)
        if rest != len(tokens):
            raise PatternError(f"unexpected {tokens[rest][1]!r}")
        return tree
    if text.startswith("["):
        raise PatternError("space-delimited filter patterns are not understood")
    return ("terms", tuple(_terms(text)))


def matches(pattern: str, record: Event) -> bool:
    try:
        return _eval(compile_pattern(pattern), record)
    except ValueError:  # PatternError, or a string with an invalid escape
        return False


def covers(pattern: str, records: Sequence[Event]) -> bool:
    """Whether the pattern matches every record (a pattern that cannot be parsed covers none)."""
    try:
        tree = compile_pattern(pattern)
    except ValueError:  # PatternError, or a string with an invalid escape
        return False
    return all(_eval(tree, record) for record in records)


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while position < len(text):
        if not text[position:].strip():
            break
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise PatternError(f"cannot read the pattern at {text[position : position + 20]!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


def _or(tokens: list[tuple[str, str]], i: int) -> tuple[Any, int]:
    parts = []
    node, i = _and(tokens, i)
    parts.append(node)
    while i < len(tokens) and tokens[i][0] == "or":
        node, i = _and(tokens, i + 1)
        parts.append(node)
    return (("or", tuple(parts)) if len(parts) > 1 else parts[0]), i


def _and(tokens: list[tuple[str, str]], i: int) -> tuple[Any, int]:
    parts = []
    node, i = _unary(tokens, i)
    parts.append(node)
    while i < len(tokens) and tokens[i][0] == "and":
        node, i = _unary(tokens, i + 1)
        parts.append(node)
    return (("and", tuple(parts)) if len(parts) > 1 else parts[0]), i


def _unary(tokens: list[tuple[str, str]], i: int) -> tuple[Any, int]:
    if i >= len(tokens):
        raise PatternError("the pattern ends too early")
    kind, text = tokens[i]
    if kind == "lp":
        node, i = _or(tokens, i + 1)
        if i >= len(tokens) or tokens[i][0] != "rp":
            raise PatternError("a parenthesis is not closed")
        return node, i + 1
    if kind != "sel":
        raise PatternError(f"expected a $.selector, found {text!r}")
    path = _path(text)
    if i + 1 < len(tokens) and tokens[i + 1][0] == "kw":
        return ("test", path, " ".join(tokens[i + 1][1].upper().split())), i + 2
    if i + 2 >= len(tokens) or tokens[i + 1][0] != "op" or tokens[i + 2][0] not in ("str", "word"):
        raise PatternError(f"expected a comparison after {text!r}")
    value_kind, value = tokens[i + 2]
    if value_kind == "str":
        value = json.loads(value)
    return ("cmp", path, tokens[i + 1][1], value), i + 3


def _path(selector: str) -> tuple[str, ...]:
    """$.a.b[0] -> ("a", "b", "[0]")"""
    return tuple(
        name or f"[{index}]" for name, index in re.findall(r"\.([^.\[]+)|\[(\d+|\*)\]", selector[1:])
    )


def _terms(text: str) -> Iterator[tuple[str, str]]:
    for match in re.finditer(r'([?-]?)(?:"((?:[^"\\]|\\.)*)"|(\S+))', text):
        prefix, quoted, bare = match.groups()
        yield prefix, (json.loads(f'"{quoted}"') if quoted is not None else bare)


def _resolve(record: Any, path: tuple[str, ...]) -> list[Any]:
    values = [record]
    for step in path:
        found: list[Any] = []
        for value in values:
            if step == "[*]" and isinstance(value, list):
                found.extend(value)
            elif step.startswith("[") and isinstance(value, list):
                index = int(step[1:-1])
                if index < len(value):
                    found.append(value[index])
            elif isinstance(value, Mapping) and step in value:
                found.append(value[step])
        values = found
    return values


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


def _equal(value: Any, expected: str) -> bool:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return float(value) == float(expected)
        except ValueError:
            return False
    if isinstance(value, (Mapping, list)):
        return False
    regex = "^" + ".*".join(re.escape(part) for part in expected.split("*")) + "$"
    return re.match(regex, _text(value), re.DOTALL) is not None


def _eval(node: Any, record: Event) -> bool:
    kind = node[0]
    if kind == "all":
        return True
    if kind == "or":
        return any(_eval(n, record) for n in node[1])
    if kind == "and":
        return all(_eval(n, record) for n in node[1])
    if kind == "terms":
        line = json.dumps(record)
        required = [t for p, t in node[1] if not p]
        optional = [t for p, t in node[1] if p == "?"]
        excluded = [t for p, t in node[1] if p == "-"]
        return (
            all(t in line for t in required)
            and not any(t in line for t in excluded)
            and (not optional or any(t in line for t in optional))
        )
    values = _resolve(record, node[1])
    if kind == "test":
        test = node[2]
        if test == "NOT EXISTS":
            return not values
        if test == "EXISTS":
            return bool(values)
        if test == "IS NULL":
            return any(v is None for v in values)
        return any(v is (test == "IS TRUE") for v in values)
    op, expected = node[2], node[3]
    if op == "=":
        return any(_equal(v, expected) for v in values)
    if op == "!=":  # a field the record lacks is not "different": it does not match
        return bool(values) and not any(_equal(v, expected) for v in values)
    return any(_compare(v, op, expected) for v in values)


def _compare(value: Any, op: str, expected: str) -> bool:
    try:
        left, right = float(value), float(expected)
    except (TypeError, ValueError):
        return False
    return {"<": left < right, ">": left > right, "<=": left <= right, ">=": left >= right}[op]


def calls_control(what: str, source: str, names: Sequence[str], *, name_source: bool = True) -> Control:
    """A control over API calls `names` of `source`; the example pattern names the event source
    too when `name_source` (as CIS writes it for that control)."""
    calls = " || ".join(f"($.eventName = {name})" for name in names)
    example = f"{{ ($.eventSource = {source}) && ({calls}) }}" if name_source else f"{{ {calls} }}"
    return Control(what=what, records=api_calls(source, *names), example=example)


# --- the shared judgement --------------------------------------------------------------------


@dataclass(frozen=True)
class Control:
    """What one CIS 4.x control alarms on."""

    what: str  # "unauthorized API calls"
    records: tuple[Event, ...]  # CloudTrail records the filter must match, every one
    example: str  # a filter pattern that satisfies it (used in the remediation)


def judge(inventory: Inventory, control: Control) -> Iterator[Result]:
    """One account-wide result: PASS naming the trail, filter and alarm; else FAIL or ERROR."""
    account = inventory.account_arn
    gaps: list[str] = []
    unknown: list[str] = []
    trails, unread = judged_trails(inventory)
    unknown.extend(f"{region}: {why.reason}" for region, why in unread)
    for trail in trails:
        gap = trail.management_gap()
        if isinstance(gap, Unknown):
            unknown.append(gap.reason)
            continue
        if gap is not None:
            if trail.multi_region:
                gaps.append(gap)
            continue
        location = log_group_location(trail.log_group_arn or "")
        if location is None:
            gaps.append(f"trail {trail.name} does not deliver to CloudWatch Logs")
            continue
        region, group = location
        logs, cloudwatch = inventory.get("logs", region), inventory.get("cloudwatch", region)
        if isinstance(logs, Unknown) or isinstance(logs.metric_filters, Unknown):
            unknown.append(f"{region}: {(logs if isinstance(logs, Unknown) else logs.metric_filters).reason}")
            continue
        filters = [
            f for f in logs.metric_filters if f.log_group == group and covers(f.pattern, control.records)
        ]
        if not filters:
            gaps.append(f"no metric filter on log group {group} (trail {trail.name}) matches {control.what}")
            continue
        if isinstance(cloudwatch, Unknown):
            unknown.append(f"{region}: {cloudwatch.reason}")
            continue
        for metric_filter in filters:
            for alarm in cloudwatch.alarms:
                topics = alarm.sns_actions()
                if topics and alarm.metrics & set(metric_filter.metrics):
                    yield Result.passed(
                        account,
                        "global",
                        f"metric filter {metric_filter.name} on log group {group} (trail {trail.name}) "
                        f"feeds alarm {alarm.name}, which notifies {topics[0]}",
                    )
                    return
        names = ", ".join(f.name for f in filters)
        gaps.append(f"metric filter {names} on log group {group} has no alarm with an enabled SNS action")
    if unknown:
        yield Result.error(account, "global", "; ".join(unknown[:3]))
    elif gaps:
        yield Result.failed(account, "global", "; ".join(gaps[:3]))
    else:
        yield Result.failed(
            account,
            "global",
            f"no multi-region trail is logging to CloudWatch Logs to alarm on {control.what}",
        )


def remediation(control: Control, metric: str) -> Remediation:
    """The standard fix: a metric filter on the trail's log group and an alarm to an SNS topic."""
    pattern = control.example.replace("'", "'\\''")
    return Remediation(
        summary=f"On the log group of a multi-region CloudTrail trail, add a metric filter for "
        f"{control.what} and a CloudWatch alarm on its metric that notifies an SNS topic with a subscriber.",
        cli=f"aws logs put-metric-filter --log-group-name <TRAIL_LOG_GROUP> --filter-name {metric} "
        f"--metric-transformations metricName={metric},metricNamespace=CISBenchmark,metricValue=1 "
        f"--filter-pattern '{pattern}'\n"
        f"aws cloudwatch put-metric-alarm --alarm-name {metric} --metric-name {metric} "
        "--namespace CISBenchmark --statistic Sum --period 300 --evaluation-periods 1 --threshold 1 "
        "--comparison-operator GreaterThanOrEqualToThreshold --alarm-actions <SNS_TOPIC_ARN>",
        cloudformation="AWS::Logs::MetricFilter (LogGroupName, FilterPattern, MetricTransformations) and "
        "AWS::CloudWatch::Alarm (MetricName, Namespace, AlarmActions: [<SNS topic ARN>])",
        terraform="aws_cloudwatch_log_metric_filter (log_group_name, pattern, metric_transformation) and "
        "aws_cloudwatch_metric_alarm (metric_name, namespace, alarm_actions = [aws_sns_topic.x.arn])",
    )
