"""Contract: the simulated IAM credential report, account summary and IAM dates behave as in AWS.

Through boto3 against the session's simulator: the report starts with the "<root_account>" line
(the simulated root state, set by the `root_credentials` injector), GetAccountSummary agrees with
it, and `backdate_iam` makes users, keys and roles as old as an audit needs them to be.
"""

from __future__ import annotations

import csv
import functools
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cloudwarden.simulator import patches
from cloudwarden.simulator.client import SimulatorClient, SimulatorError
from cloudwarden.simulator.patches import credential_report

ACCOUNT = "123456789012"
COLUMNS = list(credential_report.REPORT_COLUMNS)
MODULE = "cloudwarden.simulator.patches.credential_report"


@functools.cache
def _client(endpoint: str, service: str) -> Any:
    return SimulatorClient(endpoint).client(service)


def _iam(sim: SimulatorClient) -> Any:
    return _client(sim.endpoint, "iam")


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _ago(days: float) -> datetime:
    return _now() - timedelta(days=days)


def _fmt(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _report(sim: SimulatorClient) -> tuple[list[str], list[dict[str, str]], datetime]:
    iam = _iam(sim)
    iam.generate_credential_report()
    assert iam.generate_credential_report()["State"] == "COMPLETE"
    answer = iam.get_credential_report()
    text = answer["Content"].decode()
    header = text.splitlines()[0].split(",")
    return header, list(csv.DictReader(io.StringIO(text))), answer["GeneratedTime"]


def _root_credentials(sim: SimulatorClient, **payload: Any) -> Any:
    return sim.inject("root_credentials", account_id=ACCOUNT, payload=payload)


def _backdate(sim: SimulatorClient, **payload: Any) -> Any:
    return sim.inject("backdate_iam", account_id=ACCOUNT, payload=payload)


def _summary(sim: SimulatorClient) -> dict[str, int]:
    return dict(_iam(sim).get_account_summary()["SummaryMap"])


def test_registered_in_patch_modules() -> None:
    """The server applies only what PATCH_MODULES lists (the tests here apply it themselves)."""
    assert MODULE in patches.PATCH_MODULES


def test_report_starts_with_an_untouched_root(sim: SimulatorClient) -> None:
    _iam(sim).create_user(UserName="alice")
    header, rows, generated = _report(sim)
    assert header == COLUMNS
    assert [row["user"] for row in rows] == ["<root_account>", "alice"]
    root = rows[0]
    assert root["arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert root["password_enabled"] == "not_supported"
    assert root["password_last_used"] == "no_information"
    assert root["password_last_changed"] == root["password_next_rotation"] == "not_supported"
    assert root["mfa_active"] == "false"
    for n in (1, 2):
        assert root[f"access_key_{n}_active"] == "false"
        for column in ("last_rotated", "last_used_date", "last_used_region", "last_used_service"):
            assert root[f"access_key_{n}_{column}"] == "N/A"
    assert root["cert_1_active"] == root["cert_2_active"] == "false"
    # Not moto's constant from 2015: when the report was generated.
    assert abs(generated - _now()) < timedelta(minutes=1)
    summary = _summary(sim)
    assert summary["AccountMFAEnabled"] == 0 and summary["AccountAccessKeysPresent"] == 0


def test_root_with_an_old_active_key_and_no_mfa(sim: SimulatorClient) -> None:
    created, rotated, old, used, login = _ago(1000), _ago(400), _ago(500), _ago(3), _ago(1)
    answer = _root_credentials(
        sim,
        account_created=created.isoformat(),
        access_keys=[
            {"last_rotated": rotated.isoformat(), "last_used": used.isoformat(), "last_used_service": "ec2"},
            {"active": False, "last_rotated": old.isoformat()},
        ],
        password_last_used=login.isoformat(),
    )
    assert answer["root"]["access_key_1_active"] == "true"
    _, rows, _ = _report(sim)
    root = rows[0]
    assert root["user"] == "<root_account>"
    assert root["user_creation_time"] == _fmt(created)
    assert root["password_last_used"] == _fmt(login)
    assert root["mfa_active"] == "false"
    assert root["access_key_1_active"] == "true"
    assert root["access_key_1_last_rotated"] == _fmt(rotated)
    assert root["access_key_1_last_used_date"] == _fmt(used)
    assert root["access_key_1_last_used_region"] == "us-east-1"
    assert root["access_key_1_last_used_service"] == "ec2"
    assert root["access_key_2_active"] == "false"
    assert root["access_key_2_last_rotated"] == _fmt(old)
    assert root["access_key_2_last_used_date"] == "N/A"
    summary = _summary(sim)
    assert summary["AccountAccessKeysPresent"] == 1 and summary["AccountMFAEnabled"] == 0
    assert _iam(sim).list_virtual_mfa_devices()["VirtualMFADevices"] == []


def test_root_virtual_mfa_shows_in_summary_and_virtual_devices(sim: SimulatorClient) -> None:
    enabled = _ago(30)
    _root_credentials(sim, mfa_active=True, mfa_virtual=True, mfa_enabled_at=enabled.isoformat())
    _, rows, _ = _report(sim)
    assert rows[0]["mfa_active"] == "true"
    summary = _summary(sim)
    assert summary["AccountMFAEnabled"] == 1 and summary["AccountAccessKeysPresent"] == 0
    assert summary["MFADevicesInUse"] == 1
    devices = _iam(sim).list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    assert [d["SerialNumber"] for d in devices] == [f"arn:aws:iam::{ACCOUNT}:mfa/root-account-mfa-device"]
    assert devices[0]["User"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert devices[0]["EnableDate"] == enabled
    assert _iam(sim).list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"] == []


def test_root_hardware_mfa_is_not_a_virtual_device(sim: SimulatorClient) -> None:
    _root_credentials(sim, mfa_active=True)
    assert _summary(sim)["AccountMFAEnabled"] == 1
    assert _iam(sim).list_virtual_mfa_devices()["VirtualMFADevices"] == []


def test_injection_replaces_the_root_state_and_reset_forgets_it(sim: SimulatorClient) -> None:
    _root_credentials(sim, mfa_active=True, access_keys=[{"last_rotated": _ago(10).isoformat()}])
    _root_credentials(sim, password_last_used=_ago(2).isoformat())
    summary = _summary(sim)
    assert summary["AccountMFAEnabled"] == 0 and summary["AccountAccessKeysPresent"] == 0
    _root_credentials(sim, mfa_active=True)
    credential_report.reset()  # what the server's reset does once the module is registered
    assert _summary(sim)["AccountMFAEnabled"] == 0
    assert credential_report.root_state(ACCOUNT) == credential_report.RootState()


BAD_ROOT_PAYLOADS: list[tuple[dict[str, Any], str]] = [
    ({"mfa": True}, "mfa"),
    ({"access_keys": [{"last_rotated": "2024-01-01T00:00:00Z"}] * 3}, "access_keys"),
    (
        {"access_keys": [{"last_rotated": "2024-01-02T00:00:00Z", "last_used": "2024-01-01T00:00:00Z"}]},
        "last_used is before last_rotated",
    ),
    ({"mfa_virtual": True}, "mfa_virtual needs mfa_active"),
    ({"password_last_used": "2999-01-01T00:00:00Z"}, "in the future"),
    (
        {"account_created": "2024-01-01T00:00:00Z", "password_last_used": "2023-01-01T00:00:00Z"},
        "before account_created",
    ),
]


def test_bad_root_payloads_are_refused(sim: SimulatorClient) -> None:
    for payload, problem in BAD_ROOT_PAYLOADS:
        with pytest.raises(SimulatorError, match="400") as caught:
            _root_credentials(sim, **payload)
        assert problem in str(caught.value)
    assert credential_report.root_state(ACCOUNT) == credential_report.RootState()


def test_backdated_user_key_and_password_in_every_api(sim: SimulatorClient) -> None:
    iam = _iam(sim)
    iam.create_user(UserName="stale")
    iam.create_login_profile(UserName="stale", Password="Passw0rd!Passw0rd")
    stale = iam.create_access_key(UserName="stale")["AccessKey"]["AccessKeyId"]
    used = iam.create_access_key(UserName="stale")["AccessKey"]["AccessKeyId"]
    created, key_created, login, key_used = _ago(300), _ago(200), _ago(50), _ago(5)
    answer = _backdate(
        sim,
        users=[
            {
                "user_name": "stale",
                "created": created.isoformat(),
                "password_last_used": login.isoformat(),
                "access_keys": [
                    {"access_key_id": stale, "created": key_created.isoformat(), "last_used": None},
                    {
                        "access_key_id": used,
                        "created": key_created.isoformat(),
                        "last_used": key_used.isoformat(),
                        "last_used_service": "dynamodb",
                        "last_used_region": "eu-west-1",
                    },
                ],
            }
        ],
    )
    assert answer["users"][0]["access_key_1_last_rotated"] == _fmt(key_created)

    assert iam.get_user(UserName="stale")["User"]["CreateDate"] == created
    assert iam.get_user(UserName="stale")["User"]["PasswordLastUsed"] == login
    keys = {k["AccessKeyId"]: k for k in iam.list_access_keys(UserName="stale")["AccessKeyMetadata"]}
    assert keys[stale]["CreateDate"] == keys[used]["CreateDate"] == key_created
    never = iam.get_access_key_last_used(AccessKeyId=stale)["AccessKeyLastUsed"]
    assert "LastUsedDate" not in never and never["ServiceName"] == "N/A" and never["Region"] == "N/A"
    recent = iam.get_access_key_last_used(AccessKeyId=used)["AccessKeyLastUsed"]
    assert recent == {"LastUsedDate": key_used, "ServiceName": "dynamodb", "Region": "eu-west-1"}

    _, rows, _ = _report(sim)
    row = next(r for r in rows if r["user"] == "stale")
    assert row["user_creation_time"] == _fmt(created)
    assert row["password_enabled"] == "true"
    assert row["password_last_used"] == _fmt(login)
    # A password nobody dated was set when the user was made.
    assert row["password_last_changed"] == _fmt(created)
    assert row["access_key_1_last_rotated"] == _fmt(key_created)
    assert row["access_key_1_last_used_date"] == "N/A"
    assert row["access_key_1_last_used_region"] == row["access_key_1_last_used_service"] == "N/A"
    assert row["access_key_2_last_used_date"] == _fmt(key_used)
    assert row["access_key_2_last_used_region"] == "eu-west-1"
    assert row["access_key_2_last_used_service"] == "dynamodb"
    # The account is at least as old as its oldest user.
    assert rows[0]["user_creation_time"] == _fmt(created)


def test_password_columns_follow_aws(sim: SimulatorClient) -> None:
    iam = _iam(sim)
    iam.create_user(UserName="robot")
    iam.create_user(UserName="human")
    iam.create_login_profile(UserName="human", Password="Passw0rd!Passw0rd")
    iam.update_account_password_policy(MinimumPasswordLength=14, MaxPasswordAge=90)
    changed = _ago(100)
    _backdate(
        sim,
        users=[
            {
                "user_name": "human",
                "created": _ago(200).isoformat(),
                "password_last_changed": changed.isoformat(),
            }
        ],
    )
    _, rows, _ = _report(sim)
    robot = next(r for r in rows if r["user"] == "robot")
    assert [robot[c] for c in COLUMNS[3:7]] == ["false", "N/A", "N/A", "N/A"]
    human = next(r for r in rows if r["user"] == "human")
    assert human["password_enabled"] == "true"
    assert human["password_last_used"] == "no_information"
    assert human["password_last_changed"] == _fmt(changed)
    assert human["password_next_rotation"] == _fmt(changed + timedelta(days=90))


def test_backdated_role(sim: SimulatorClient) -> None:
    iam = _iam(sim)
    iam.create_role(RoleName="old-role", AssumeRolePolicyDocument="{}")
    created, used = _ago(400), _ago(100)
    _backdate(
        sim,
        roles=[{"role_name": "old-role", "created": created.isoformat(), "last_used": used.isoformat()}],
    )
    role = iam.get_role(RoleName="old-role")["Role"]
    assert role["CreateDate"] == created
    assert role["RoleLastUsed"] == {"LastUsedDate": used, "Region": "us-east-1"}


def test_a_bad_backdate_changes_nothing(sim: SimulatorClient) -> None:
    iam = _iam(sim)
    iam.create_user(UserName="first")
    before = iam.get_user(UserName="first")["User"]["CreateDate"]
    key = iam.create_access_key(UserName="first")["AccessKey"]["AccessKeyId"]
    cases: list[tuple[dict[str, Any], str]] = [
        (
            {"users": [{"user_name": "first", "created": _ago(10).isoformat()}, {"user_name": "ghost"}]},
            "ghost",
        ),
        (
            {"users": [{"user_name": "first", "access_keys": [{"access_key_id": "AKIANOTAKEYOFTHEUSER"}]}]},
            "AKIANOT",
        ),
        (
            {
                "users": [
                    {
                        "user_name": "first",
                        "created": _ago(10).isoformat(),
                        "access_keys": [{"access_key_id": key, "created": _ago(20).isoformat()}],
                    }
                ]
            },
            "is before",
        ),
        ({"users": [{"user_name": "first", "password_last_used": _ago(1).isoformat()}]}, "no password"),
        ({"users": [{"user_name": "first", "created": "2999-01-01T00:00:00Z"}]}, "in the future"),
        ({}, "nothing to backdate"),
        ({"users": [{"user_name": "first", "color": "red"}]}, "color"),
    ]
    for payload, problem in cases:
        with pytest.raises(SimulatorError, match="400") as caught:
            _backdate(sim, **payload)
        assert problem in str(caught.value)
    assert iam.get_user(UserName="first")["User"]["CreateDate"] == before


def test_authorization_details_name_customer_managed_policies(sim: SimulatorClient) -> None:
    iam = _iam(sim)
    document = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}'
    created = iam.create_policy(PolicyName="star-star", PolicyDocument=document)["Policy"]
    details = iam.get_account_authorization_details(Filter=["LocalManagedPolicy"])["Policies"]
    assert [(p["PolicyName"], p["PolicyId"], p["Arn"]) for p in details] == [
        ("star-star", created["PolicyId"], created["Arn"])
    ]
    assert iam.list_policies(Scope="Local")["Policies"][0]["PolicyName"] == "star-star"
