"""Logging and monitoring checks (CloudTrail, CloudWatch, Logs, Config, GuardDuty, Security Hub)
against the simulated account, and by hand-built inventories where moto cannot show a state."""

from __future__ import annotations

import dataclasses
import importlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cloudwarden.posture import cloudwatch_filters as cf
from cloudwarden.posture.checks import all_checks
from cloudwarden.posture.collectors.cloudtrail import CloudTrailData, EventSelectors, Trail, TrailStatus
from cloudwarden.posture.collectors.securityhub import SecurityHubData, Standard
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import Status, Unknown
from cloudwarden.simulator.client import SimulatorClient
from tests.posture.conftest import ACCOUNT, Scan, by_check

REGION = "us-east-1"
ALL_MANAGEMENT = [{"ReadWriteType": "All", "IncludeManagementEvents": True}]
MONITORING = sorted(c for c in all_checks() if c.startswith("cloudwatch_alarm_") and "action" not in c)


def one(scan_sim: Scan, check_id: str, **kwargs: Any) -> Any:
    [finding] = by_check(scan_sim(check_ids=[check_id], **kwargs), check_id)
    return finding


def trail(
    sim: SimulatorClient,
    name: str = "main",
    *,
    region: str = REGION,
    multi_region: bool = True,
    logging: bool = True,
    selectors: list[dict[str, Any]] | None = None,
    advanced: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> str:
    bucket = f"{name}-trail-logs"
    s3 = sim.client("s3", region=REGION)
    if bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=bucket)
    cloudtrail = sim.client("cloudtrail", region=region)
    arn: str = cloudtrail.create_trail(
        Name=name, S3BucketName=bucket, IsMultiRegionTrail=multi_region, **extra
    )["TrailARN"]
    if advanced is not None:
        cloudtrail.put_event_selectors(TrailName=name, AdvancedEventSelectors=advanced)
    else:
        cloudtrail.put_event_selectors(TrailName=name, EventSelectors=selectors or ALL_MANAGEMENT)
    if logging:
        cloudtrail.start_logging(Name=name)
    return arn


def run_on(inventory: Inventory, check_id: str) -> list[Any]:
    return list(all_checks()[check_id].run(inventory))


def hand_trail(**changes: Any) -> Trail:
    fields: dict[str, Any] = {
        "arn": f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/main",
        "name": "main",
        "home_region": REGION,
        "multi_region": True,
        "organization": False,
        "log_file_validation": True,
        "kms_key_id": None,
        "s3_bucket": "main-trail-logs",
        "log_group_arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:trail:*",
        "status": TrailStatus(True, None, datetime.now(UTC) - timedelta(minutes=5), None),
        "selectors": EventSelectors(classic=tuple(ALL_MANAGEMENT)),
    }
    fields.update(changes)
    return Trail(**fields)


def trail_inventory(*trails: Trail) -> Inventory:
    inventory = Inventory(account_id=ACCOUNT, regions=(REGION,))
    inventory.put("cloudtrail", REGION, CloudTrailData(trails=trails))
    return inventory


# --- CloudTrail ------------------------------------------------------------------------------

MULTI = "cloudtrail_multi_region_logging_management_events"


def test_a_logging_multi_region_trail_with_all_management_events_passes(
    sim: SimulatorClient, scan_sim: Scan
) -> None:
    trail(sim)
    finding = one(scan_sim, MULTI)
    assert finding.status == Status.PASS
    assert finding.resource_id == f"arn:aws:iam::{ACCOUNT}:root"
    assert "multi-region trail main is logging" in finding.reason


def test_no_trail_a_single_region_one_or_read_only_events_fail(sim: SimulatorClient, scan_sim: Scan) -> None:
    assert one(scan_sim, MULTI).status == Status.FAIL
    trail(sim, "local", multi_region=False)
    finding = one(scan_sim, MULTI)
    assert (finding.status, finding.reason) == (Status.FAIL, "no multi-region trail among 1 trail(s)")
    trail(sim, "reads", selectors=[{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True}])
    trail(sim, "stopped", logging=False)
    finding = one(scan_sim, MULTI)
    assert finding.status == Status.FAIL
    assert "trail reads records read only management events" in finding.reason
    assert "trail stopped is not logging" in finding.reason


def test_advanced_selectors_for_management_events_count(sim: SimulatorClient, scan_sim: Scan) -> None:
    management = {"Name": "mgmt", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}
    trail(sim, advanced=[management])
    assert one(scan_sim, MULTI).status == Status.PASS


def test_a_denied_trail_status_is_an_error_naming_the_action(sim: SimulatorClient, scan_sim: Scan) -> None:
    trail(sim)
    finding = one(scan_sim, MULTI, deny={"cloudtrail:GetTrailStatus"})
    assert finding.status == Status.ERROR
    assert "cloudtrail:GetTrailStatus: AccessDenied" in finding.reason


def test_a_multi_region_trail_is_judged_once_in_its_home_region(sim: SimulatorClient, scan_sim: Scan) -> None:
    arn = trail(sim, EnableLogFileValidation=True)
    outcome = scan_sim(check_ids=["cloudtrail_log_file_validation_enabled"], regions=[REGION, "eu-west-1"])
    [finding] = by_check(outcome, "cloudtrail_log_file_validation_enabled")
    assert (finding.resource_id, finding.region, finding.status) == (arn, REGION, Status.PASS)


def test_a_trail_whose_home_region_was_not_scanned_is_an_error(sim: SimulatorClient, scan_sim: Scan) -> None:
    trail(sim)
    finding = one(scan_sim, MULTI, regions=["eu-west-1"])
    assert finding.status == Status.ERROR
    assert "home region us-east-1, which was not scanned" in finding.reason


@pytest.mark.parametrize(
    ("check_id", "settings", "passed"),
    [
        (
            "cloudtrail_log_file_validation_enabled",
            {"EnableLogFileValidation": True},
            "validates its log files",
        ),
        ("cloudtrail_log_file_validation_enabled", {}, "does not have log file validation enabled"),
        ("cloudtrail_kms_encryption_enabled", {"KmsKeyId": "alias/trail"}, "is encrypted with KMS key"),
        ("cloudtrail_kms_encryption_enabled", {}, "is not encrypted with a KMS key"),
    ],
)
def test_per_trail_settings(
    sim: SimulatorClient, scan_sim: Scan, check_id: str, settings: dict[str, Any], passed: str
) -> None:
    arn = trail(sim, **settings)
    finding = one(scan_sim, check_id)
    assert finding.status == (Status.PASS if settings else Status.FAIL)
    assert finding.resource_id == arn
    assert passed in finding.reason


def test_per_trail_checks_have_nothing_to_judge_without_trails(scan_sim: Scan) -> None:
    finding = one(scan_sim, "cloudtrail_kms_encryption_enabled")
    assert (finding.status, finding.reason) == (Status.NOT_APPLICABLE, "the account has no CloudTrail trails")


def test_cloudwatch_logs_delivery_fails_without_a_log_group_or_a_delivery(
    sim: SimulatorClient, scan_sim: Scan
) -> None:
    trail(sim)
    finding = one(scan_sim, "cloudtrail_cloudwatch_logs_delivery")
    assert (finding.status, finding.reason) == (Status.FAIL, "trail main does not deliver to CloudWatch Logs")
    sim.client("cloudtrail").update_trail(
        Name="main",
        CloudWatchLogsLogGroupArn=f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:trail:*",
        CloudWatchLogsRoleArn=f"arn:aws:iam::{ACCOUNT}:role/trail-to-logs",
    )
    finding = one(scan_sim, "cloudtrail_cloudwatch_logs_delivery")  # moto never reports a delivery
    assert (finding.status, finding.reason) == (
        Status.FAIL,
        "trail main has never delivered to CloudWatch Logs",
    )


def test_cloudwatch_logs_delivery_recent_passes_and_stale_fails() -> None:
    # moto gap: GetTrailStatus never reports LatestCloudWatchLogsDeliveryTime.
    [recent] = run_on(trail_inventory(hand_trail()), "cloudtrail_cloudwatch_logs_delivery")
    assert recent.status == Status.PASS
    stale = TrailStatus(True, None, datetime.now(UTC) - timedelta(days=3), None)
    [old] = run_on(trail_inventory(hand_trail(status=stale)), "cloudtrail_cloudwatch_logs_delivery")
    assert (old.status, old.reason) == (
        Status.FAIL,
        "trail main last delivered to CloudWatch Logs 3 day(s) ago",
    )


ALL_OBJECTS = [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]


@pytest.mark.parametrize(
    ("selectors", "write", "read"),
    [
        ([{"ReadWriteType": "All", "DataResources": ALL_OBJECTS}], Status.PASS, Status.PASS),
        ([{"ReadWriteType": "WriteOnly", "DataResources": ALL_OBJECTS}], Status.PASS, Status.FAIL),
        (
            [
                {
                    "ReadWriteType": "All",
                    "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::b/"]}],
                }
            ],
            Status.FAIL,
            Status.FAIL,
        ),
        (ALL_MANAGEMENT, Status.FAIL, Status.FAIL),
    ],
)
def test_s3_object_level_events(
    sim: SimulatorClient, scan_sim: Scan, selectors: list[dict[str, Any]], write: Status, read: Status
) -> None:
    trail(sim, selectors=selectors)
    assert one(scan_sim, "cloudtrail_s3_data_events_write").status == write
    assert one(scan_sim, "cloudtrail_s3_data_events_read").status == read


def test_s3_object_level_events_for_some_buckets_say_so(sim: SimulatorClient, scan_sim: Scan) -> None:
    some = [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::b/"]}]
    trail(sim, selectors=[{"ReadWriteType": "All", "DataResources": some}])
    finding = one(scan_sim, "cloudtrail_s3_data_events_read")
    assert finding.reason == "trail main records S3 object-level read events for some buckets only"


def test_advanced_s3_data_selectors(sim: SimulatorClient, scan_sim: Scan) -> None:
    data = {
        "Name": "s3 writes",
        "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Data"]},
            {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
            {"Field": "readOnly", "Equals": ["false"]},
        ],
    }
    trail(sim, advanced=[data])
    assert one(scan_sim, "cloudtrail_s3_data_events_write").status == Status.PASS
    assert one(scan_sim, "cloudtrail_s3_data_events_read").status == Status.FAIL


def s3_inventory(logging_target: Any, *, bucket: str = "main-trail-logs") -> Inventory:
    from cloudwarden.posture.collectors.s3 import Bucket, S3Data

    # Hand-built: in the simulator the S3 collector stops at s3control (see the report); only the
    # fields this check reads are set, the others are Unknown.
    values = {f.name: Unknown("not read") for f in dataclasses.fields(Bucket)}
    values.update(name=bucket, location=REGION, logging_target=logging_target)
    inventory = trail_inventory(hand_trail())
    inventory.put("s3", "global", S3Data(buckets=(Bucket(**values),), account_public_access_block=None))
    return inventory


def test_the_trail_bucket_needs_access_logging() -> None:
    [off] = run_on(s3_inventory(None), "cloudtrail_bucket_access_logging_enabled")
    assert (off.status, off.resource_id, off.region) == (Status.FAIL, "arn:aws:s3:::main-trail-logs", REGION)
    assert off.reason == "bucket main-trail-logs (trail main) does not have server access logging enabled"
    [on] = run_on(s3_inventory("access-logs"), "cloudtrail_bucket_access_logging_enabled")
    assert (on.status, on.reason) == (
        Status.PASS,
        "bucket main-trail-logs (trail main) logs its access to bucket access-logs",
    )
    [denied] = run_on(
        s3_inventory(Unknown("s3:GetBucketLogging: AccessDenied")), "cloudtrail_bucket_access_logging_enabled"
    )
    assert (denied.status, denied.reason) == (Status.ERROR, "s3:GetBucketLogging: AccessDenied")
    [elsewhere] = run_on(s3_inventory(None, bucket="other"), "cloudtrail_bucket_access_logging_enabled")
    assert elsewhere.status == Status.NOT_APPLICABLE
    assert "is not in this account" in elsewhere.reason


# --- CIS 4.x: metric filters and alarms ------------------------------------------------------


def monitored(sim: SimulatorClient, pattern: str, *, alarm: bool = True, actions: bool = True) -> None:
    """A multi-region trail delivering to log group "trail", a filter with `pattern`, an alarm."""
    group_arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:trail:*"
    trail(sim, CloudWatchLogsLogGroupArn=group_arn, CloudWatchLogsRoleArn=f"arn:aws:iam::{ACCOUNT}:role/ct")
    logs = sim.client("logs")
    logs.create_log_group(logGroupName="trail")
    logs.put_metric_filter(
        logGroupName="trail",
        filterName="cis",
        filterPattern=pattern,
        metricTransformations=[
            {"metricName": "CisEvents", "metricNamespace": "CISBenchmark", "metricValue": "1"}
        ],
    )
    topic = sim.client("sns").create_topic(Name="security")["TopicArn"]
    if alarm:
        sim.client("cloudwatch").put_metric_alarm(
            AlarmName="cis-events",
            MetricName="CisEvents",
            Namespace="CISBenchmark",
            Statistic="Sum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            AlarmActions=[topic] if actions else [],
        )


@pytest.mark.parametrize("check_id", MONITORING)
def test_each_monitoring_control_passes_with_its_cis_filter_and_an_alarm(
    sim: SimulatorClient, scan_sim: Scan, check_id: str
) -> None:
    control: cf.Control = importlib.import_module(f"cloudwarden.posture.checks.cloudwatch.{check_id}").CONTROL
    monitored(sim, control.example)
    finding = one(scan_sim, check_id)
    assert finding.status == Status.PASS, finding.reason
    assert "metric filter cis on log group trail (trail main) feeds alarm cis-events" in finding.reason


def test_there_are_fifteen_monitoring_controls() -> None:
    assert len(MONITORING) == 15


def test_filter_patterns_are_judged_by_what_they_match_not_their_text(
    sim: SimulatorClient, scan_sim: Scan
) -> None:
    reordered = (
        '{($.eventName="StopLogging")||($.eventName=StartLogging)||  ($.eventName = DeleteTrail)||'
        + ("($.eventName=UpdateTrail) || ($.eventName=CreateTrail)}")
    )
    monitored(sim, reordered)
    assert one(scan_sim, "cloudwatch_alarm_cloudtrail_changes").status == Status.PASS
    finding = one(scan_sim, "cloudwatch_alarm_iam_policy_changes")
    assert finding.status == Status.FAIL
    assert finding.reason == "no metric filter on log group trail (trail main) matches IAM policy changes"


def test_a_pattern_that_names_the_events_but_cannot_match_them_fails(
    sim: SimulatorClient, scan_sim: Scan
) -> None:
    monitored(sim, "{ ($.eventName = DisableKey) && ($.eventName = ScheduleKeyDeletion) }")
    assert one(scan_sim, "cloudwatch_alarm_kms_key_disable_or_deletion").status == Status.FAIL


def test_a_filter_without_an_alarm_or_an_alarm_without_actions_fails(
    sim: SimulatorClient, scan_sim: Scan
) -> None:
    monitored(sim, '{ $.userIdentity.type = "Root" }', actions=False)
    finding = one(scan_sim, "cloudwatch_alarm_root_usage")
    assert finding.status == Status.FAIL
    assert finding.reason == "metric filter cis on log group trail has no alarm with an enabled SNS action"


def test_monitoring_fails_without_a_trail_delivering_to_logs(sim: SimulatorClient, scan_sim: Scan) -> None:
    trail(sim)
    finding = one(scan_sim, "cloudwatch_alarm_vpc_changes")
    assert (finding.status, finding.reason) == (Status.FAIL, "trail main does not deliver to CloudWatch Logs")


def test_denied_metric_filters_are_an_error_naming_the_action(sim: SimulatorClient, scan_sim: Scan) -> None:
    monitored(sim, "{ $.eventName = ConsoleLogin }")
    finding = one(scan_sim, "cloudwatch_alarm_console_auth_failures", deny={"logs:DescribeMetricFilters"})
    assert finding.status == Status.ERROR
    assert "logs:DescribeMetricFilters: AccessDenied" in finding.reason


@pytest.mark.parametrize(
    ("pattern", "check_id"),
    [
        (
            '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
            "unauthorized_api_calls",
        ),
        (
            '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }',
            "console_sign_in_without_mfa",
        ),
        ('"ConsoleLogin" "Failed authentication"', "console_auth_failures"),
        (
            "{($.eventSource = ec2.amazonaws.com) && ($.eventName = Create*) || ($.eventName = Delete*)"
            " || ($.eventName = ReplaceRoute*) || ($.eventName = DisassociateRouteTable)}",
            "route_table_changes",
        ),
    ],
)
def test_older_and_wildcard_cis_patterns_cover_their_control(pattern: str, check_id: str) -> None:
    module = importlib.import_module(f"cloudwarden.posture.checks.cloudwatch.cloudwatch_alarm_{check_id}")
    assert cf.covers(pattern, module.CONTROL.records)


def test_patterns_that_miss_events_or_cannot_be_parsed_cover_nothing() -> None:
    records = cf.api_calls("kms.amazonaws.com", "DisableKey", "ScheduleKeyDeletion")
    assert not cf.covers("{ $.eventName = DisableKey }", records)
    assert not cf.covers('{ $.errorCode = "AccessDenied" ', records)
    assert not cf.covers("[ip, user, ...]", records)
    assert cf.covers("", records)
    assert cf.matches("{ $.userIdentity.invokedBy NOT EXISTS && $.readOnly IS FALSE }", records[0])


# --- CloudWatch alarms and log groups --------------------------------------------------------


def alarm(sim: SimulatorClient, name: str, **extra: Any) -> None:
    sim.client("cloudwatch").put_metric_alarm(
        AlarmName=name,
        MetricName="Errors",
        Namespace="AWS/Lambda",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        **extra,
    )


def test_alarm_actions_enabled_and_alarm_state_action(sim: SimulatorClient, scan_sim: Scan) -> None:
    topic = sim.client("sns").create_topic(Name="ops")["TopicArn"]
    alarm(sim, "good", AlarmActions=[topic])
    alarm(sim, "muted", AlarmActions=[topic], ActionsEnabled=False)
    alarm(sim, "silent", OKActions=[topic])
    outcome = scan_sim(
        check_ids=["cloudwatch_alarm_actions_enabled", "cloudwatch_alarm_action_on_alarm_state"]
    )
    enabled = {
        f.resource_id.split(":")[-1]: f.status for f in by_check(outcome, "cloudwatch_alarm_actions_enabled")
    }
    assert enabled == {"good": Status.PASS, "muted": Status.FAIL, "silent": Status.PASS}
    acting = {
        f.resource_id.split(":")[-1]: f for f in by_check(outcome, "cloudwatch_alarm_action_on_alarm_state")
    }
    assert acting["good"].status == Status.PASS
    assert (acting["silent"].status, acting["silent"].reason) == (
        Status.FAIL,
        "alarm silent has no action for the ALARM state",
    )


def test_denied_alarms_are_an_error_and_no_alarms_nothing_to_judge(
    sim: SimulatorClient, scan_sim: Scan
) -> None:
    assert one(scan_sim, "cloudwatch_alarm_actions_enabled").status == Status.NOT_APPLICABLE
    finding = one(scan_sim, "cloudwatch_alarm_actions_enabled", deny={"cloudwatch:DescribeAlarms"})
    assert finding.status == Status.ERROR
    assert "cloudwatch:DescribeAlarms" in finding.reason


def test_log_group_retention_and_encryption(sim: SimulatorClient, scan_sim: Scan) -> None:
    logs = sim.client("logs")
    logs.create_log_group(logGroupName="forever", kmsKeyId=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/abc")
    logs.create_log_group(logGroupName="month")
    logs.put_retention_policy(logGroupName="month", retentionInDays=30)
    logs.create_log_group(logGroupName="years")
    logs.put_retention_policy(logGroupName="years", retentionInDays=400)
    outcome = scan_sim(check_ids=["logs_log_group_retention_365_days", "logs_log_group_kms_encrypted"])
    retention = {
        f.resource_id.split(":")[-1]: f for f in by_check(outcome, "logs_log_group_retention_365_days")
    }
    assert {k: f.status for k, f in retention.items()} == {
        "forever": Status.PASS,
        "month": Status.FAIL,
        "years": Status.PASS,
    }
    assert retention["month"].reason == "log group month keeps events for only 30 days (under 365)"
    assert retention["forever"].resource_id == f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:forever"
    kms = {f.resource_id.split(":")[-1]: f.status for f in by_check(outcome, "logs_log_group_kms_encrypted")}
    assert kms == {"forever": Status.PASS, "month": Status.FAIL, "years": Status.FAIL}


def test_denied_log_groups_are_an_error_naming_the_action(scan_sim: Scan) -> None:
    finding = one(scan_sim, "logs_log_group_retention_365_days", deny={"logs:DescribeLogGroups"})
    assert finding.status == Status.ERROR
    assert "logs:DescribeLogGroups" in finding.reason


# --- AWS Config ------------------------------------------------------------------------------

SLR = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"


def recorder(
    sim: SimulatorClient, *, all_supported: bool = True, start: bool = True, role: str = SLR
) -> None:
    config = sim.client("config")
    group: dict[str, Any] = {"allSupported": all_supported, "includeGlobalResourceTypes": all_supported}
    if not all_supported:
        group["resourceTypes"] = ["AWS::EC2::Instance"]
    config.put_configuration_recorder(
        ConfigurationRecorder={"name": "default", "roleARN": role, "recordingGroup": group}
    )
    sim.client("s3").create_bucket(Bucket="config-history")
    config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "config-history"})
    if start:
        config.start_configuration_recorder(ConfigurationRecorderName="default")


def config_findings(scan_sim: Scan, **kwargs: Any) -> tuple[Any, Any]:
    outcome = scan_sim(check_ids=["config_recorder_all_regions_enabled"], **kwargs)
    regional, account = by_check(outcome, "config_recorder_all_regions_enabled")
    return regional, account


def test_config_recording_everything_with_a_channel_passes(sim: SimulatorClient, scan_sim: Scan) -> None:
    recorder(sim)
    regional, account = config_findings(scan_sim)
    assert (regional.status, regional.region) == (Status.PASS, REGION)
    assert regional.resource_id == f"arn:aws:config:{REGION}:{ACCOUNT}:account"
    assert (account.status, account.reason) == (
        Status.PASS,
        "global resource types (IAM) are recorded in us-east-1",
    )


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        ({}, "no configuration recorder"),
        ({"start": False}, "recorder default is not recording"),
        ({"all_supported": False}, "recorder default records only some resource types"),
    ],
)
def test_config_missing_stopped_or_partial_fails(
    sim: SimulatorClient, scan_sim: Scan, setup: dict[str, Any], reason: str
) -> None:
    if setup:
        recorder(sim, **setup)
    regional, account = config_findings(scan_sim)
    assert (regional.status, regional.reason) == (Status.FAIL, reason)
    assert account.status == Status.FAIL


def test_config_in_one_region_only_fails_the_other(sim: SimulatorClient, scan_sim: Scan) -> None:
    recorder(sim)
    outcome = scan_sim(check_ids=["config_recorder_all_regions_enabled"], regions=[REGION, "eu-west-1"])
    statuses = {f.region: f.status for f in by_check(outcome, "config_recorder_all_regions_enabled")}
    assert statuses == {REGION: Status.PASS, "eu-west-1": Status.FAIL, "global": Status.PASS}


def test_config_denied_status_is_an_error_naming_the_action(sim: SimulatorClient, scan_sim: Scan) -> None:
    recorder(sim)
    regional, _ = config_findings(scan_sim, deny={"config:DescribeConfigurationRecorderStatus"})
    assert regional.status == Status.ERROR
    assert "config:DescribeConfigurationRecorderStatus: AccessDenied" in regional.reason


@pytest.mark.parametrize(
    ("role", "status"), [(SLR, Status.PASS), (f"arn:aws:iam::{ACCOUNT}:role/config", Status.FAIL)]
)
def test_config_recorder_role(sim: SimulatorClient, scan_sim: Scan, role: str, status: Status) -> None:
    recorder(sim, role=role)
    assert one(scan_sim, "config_recorder_service_linked_role").status == status


# --- GuardDuty -------------------------------------------------------------------------------


def test_guardduty_enabled_passes_and_absent_or_suspended_fails(sim: SimulatorClient, scan_sim: Scan) -> None:
    finding = one(scan_sim, "guardduty_enabled")
    assert (finding.status, finding.reason) == (Status.FAIL, "GuardDuty has no detector in this region")
    guardduty = sim.client("guardduty")
    detector = guardduty.create_detector(Enable=False)["DetectorId"]
    finding = one(scan_sim, "guardduty_enabled")
    assert (finding.status, finding.reason) == (Status.FAIL, f"GuardDuty detector {detector} is suspended")
    guardduty.update_detector(DetectorId=detector, Enable=True)
    finding = one(scan_sim, "guardduty_enabled")
    assert (finding.status, finding.resource_id) == (
        Status.PASS,
        f"arn:aws:guardduty:{REGION}:{ACCOUNT}:account",
    )


def test_guardduty_s3_protection(sim: SimulatorClient, scan_sim: Scan) -> None:
    assert one(scan_sim, "guardduty_s3_protection_enabled").status == Status.NOT_APPLICABLE
    guardduty = sim.client("guardduty")
    detector = guardduty.create_detector(Enable=True, DataSources={"S3Logs": {"Enable": False}})["DetectorId"]
    finding = one(scan_sim, "guardduty_s3_protection_enabled")
    assert (finding.status, finding.resource_id) == (
        Status.FAIL,
        f"arn:aws:guardduty:{REGION}:{ACCOUNT}:detector/{detector}",
    )
    guardduty.update_detector(DetectorId=detector, DataSources={"S3Logs": {"Enable": True}})
    assert one(scan_sim, "guardduty_s3_protection_enabled").status == Status.PASS


def test_guardduty_denied_detector_is_an_error_naming_the_action(
    sim: SimulatorClient, scan_sim: Scan
) -> None:
    sim.client("guardduty").create_detector(Enable=True)
    finding = one(scan_sim, "guardduty_enabled", deny={"guardduty:GetDetector"})
    assert finding.status == Status.ERROR
    assert "guardduty:GetDetector: AccessDenied" in finding.reason


# --- Security Hub ----------------------------------------------------------------------------


def test_security_hub_not_subscribed_fails_and_enabled_passes(sim: SimulatorClient, scan_sim: Scan) -> None:
    finding = one(scan_sim, "securityhub_enabled")
    assert (finding.status, finding.reason) == (Status.FAIL, "Security Hub is not enabled in this region")
    sim.client("securityhub").enable_security_hub()
    finding = one(scan_sim, "securityhub_enabled")
    assert finding.status == Status.PASS
    assert f"arn:aws:securityhub:{REGION}:{ACCOUNT}:hub/default" in finding.reason


def test_security_hub_denied_is_an_error_naming_the_action(scan_sim: Scan) -> None:
    finding = one(scan_sim, "securityhub_enabled", deny={"securityhub:DescribeHub"})
    assert finding.status == Status.ERROR
    assert "securityhub:DescribeHub" in finding.reason


def test_security_hub_standards() -> None:
    # moto gap: no GetEnabledStandards, so the standards are judged on a hand-built inventory.
    def hub(standards: Any) -> Inventory:
        inventory = Inventory(account_id=ACCOUNT, regions=(REGION,))
        inventory.put(
            "securityhub",
            REGION,
            SecurityHubData(f"arn:aws:securityhub:{REGION}:{ACCOUNT}:hub/default", standards),
        )
        return inventory

    fsbp = Standard(
        f"arn:aws:securityhub:{REGION}::standards/aws-foundational-security-best-practices/v/1.0.0",
        "s",
        "READY",
    )
    [ready] = run_on(hub((fsbp,)), "securityhub_standard_enabled")
    assert (ready.status, ready.reason) == (
        Status.PASS,
        "Security Hub runs standards/aws-foundational-security-best-practices/v/1.0.0",
    )
    [none] = run_on(hub(()), "securityhub_standard_enabled")
    assert (none.status, none.reason) == (Status.FAIL, "Security Hub has no standard enabled")
    [unknown] = run_on(
        hub(Unknown("securityhub:GetEnabledStandards: AccessDenied")), "securityhub_standard_enabled"
    )
    assert unknown.status == Status.ERROR
    disabled = Inventory(account_id=ACCOUNT, regions=(REGION,))
    disabled.put("securityhub", REGION, SecurityHubData(None, ()))
    assert run_on(disabled, "securityhub_standard_enabled")[0].status == Status.NOT_APPLICABLE
