"""The onboarding wizard through the console, against the simulated account: the account id, the
ExternalId CloudWarden generates, the template and module to deploy, the quick-create link, then
the connection test with the per-source permission report (a denied read named by its action)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from sqlalchemy import select

from cloudwarden.accounts import flows
from cloudwarden.aws.probe import ProbeResult
from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.onboarding import deploy_onboarding_stack
from cloudwarden.store import models
from cloudwarden.store.tenancy import DEFAULT_WORKSPACE_ID, AuditEntry
from tests.api.conftest import MEMBER_PASSWORD, Service, member_headers, start_service
from tests.web.conftest import sign_in

WS = f"/w/{DEFAULT_WORKSPACE_ID}"
PRINCIPAL = "arn:aws:iam::111111111111:root"
TEMPLATE_URL = "https://cw-templates.s3.eu-west-1.amazonaws.com/cloudwarden-onboarding.yaml"


@pytest.fixture
def web_sim(
    sim: SimulatorClient, sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Service]:
    monkeypatch.delenv("CLOUDWARDEN_AWS_ENDPOINT_URL", raising=False)
    yield from start_service(
        sqlite_url,
        tmp_path,
        base_url="https://testserver",
        simulator_url=sim.endpoint,
        principal_arn=PRINCIPAL,
        template_url=TEMPLATE_URL,
    )


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def start(web: Service, token: str, aws_account_id: str = "123456789012") -> tuple[str, str]:
    """Step 1: the account id; the page of the account it registered, and its ExternalId."""
    created = web.client.post(
        f"{WS}/accounts/new",
        data={
            "csrf_token": token,
            "aws_account_id": aws_account_id,
            "name": "shop-prod",
            "region": "us-east-1",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    page = web.client.get(created.headers["location"])
    external_id = re.search(r'<code id="external-id">([^<]+)</code>', page.text)
    assert external_id is not None
    return created.headers["location"], external_id.group(1)


def test_the_wizard_connects_the_simulated_account_and_reports_every_source(
    web_sim: Service, sim: SimulatorClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = sign_in(web_sim.client)
    empty = web_sim.client.get(f"{WS}/accounts")
    assert "No AWS account is connected yet" in empty.text and "Connect an AWS account" in empty.text
    refused = web_sim.client.post(
        f"{WS}/accounts/new", data={"csrf_token": token, "aws_account_id": "12345", "name": "x"}
    )
    assert refused.status_code == 400 and "An AWS account id is 12 digits" in refused.text
    assert 'value="12345"' in refused.text  # what was typed is kept

    location, external_id = start(web_sim, token)
    with web_sim.factory() as db:
        account = db.scalars(select(models.Account)).one()
        assert account.external_id == external_id and account.role_arn.endswith(":role/CloudWardenReadOnly")
    page = web_sim.client.get(location).text

    # Step 2: what the customer deploys, with this account's ExternalId.
    cloudformation = web_sim.client.get(f"{location}/template?format=cloudformation")
    assert cloudformation.headers["content-disposition"].startswith("attachment;")
    assert "sts:ExternalId" in cloudformation.text and PRINCIPAL in cloudformation.text
    stack = yaml.safe_load(cloudformation.text)
    assert {"ExternalId", "EnableActions"} <= set(stack["Parameters"])
    read_role = stack["Resources"]["CloudWardenReadOnly"]["Properties"]
    trust = read_role["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Condition"]["StringEquals"]["sts:ExternalId"] == {"Ref": "ExternalId"}
    assert trust["Principal"] == {"AWS": PRINCIPAL}
    terraform = web_sim.client.get(f"{location}/template?format=terraform")
    assert "external_id" in terraform.text and PRINCIPAL in terraform.text
    quick = re.findall(r'href="(https://us-east-1\.console\.aws\.amazon\.com/cloudformation/[^"]+)"', page)
    assert len(quick) == 2  # read-only, and with EnableActions=true
    for link, actions in zip(quick, ("false", "true"), strict=True):
        parts = urlsplit(unescape(link))
        assert parse_qs(parts.query) == {"region": ["us-east-1"]}
        route, query = parts.fragment.split("?", 1)
        fragment = parse_qs(query)
        assert route == "/stacks/quickcreate" and fragment["stackName"] == ["CloudWardenOnboarding"]
        assert fragment["templateURL"] == [TEMPLATE_URL] and fragment["param_ExternalId"] == [external_id]
        assert fragment["param_EnableActions"] == [actions]
    assert f"ExternalId={external_id}" in unescape(page)  # the CLI command too

    deploy_onboarding_stack(sim, principal_arn=PRINCIPAL, external_id=external_id)
    # One read denied, as a customer's own policy would: the simulated account enforces IAM only
    # in a process of its own (tests/aws/test_least_privilege_enforced.py proves there that the
    # probe names each denied action); here the real probe's answer for CloudTrail is turned into
    # the one it gives for a denial, to see the page report it.
    real_probe = flows.evidence_registry.probe

    def probe_with_cloudtrail_denied(session: Any) -> list[ProbeResult]:
        return [
            ProbeResult(r.source, r.action, False, f"denied: {r.action}") if r.source == "cloudtrail" else r
            for r in real_probe(session)
        ]

    monkeypatch.setattr(flows.evidence_registry, "probe", probe_with_cloudtrail_denied)
    tested = web_sim.client.post(f"{location}/test", data={"csrf_token": token})
    assert tested.status_code == 200, tested.text
    report = text_of(tested.text)
    assert "Connected as" in report and "sources usable" in report
    denied = re.findall(
        r'<tr class="source-denied">\s*<th scope="row">([^<]+)</th>.*?<code>([^<]+)</code>', tested.text, re.S
    )
    assert [action for _, action in denied] == ["cloudtrail:LookupEvents"], denied
    assert len(re.findall(r'<tr class="source-ok">', tested.text)) >= 5
    listing = text_of(web_sim.client.get(f"{WS}/accounts").text)
    assert "shop-prod 123456789012 connected" in listing
    assert "arn:aws:iam::123456789012:role/CloudWardenReadOnly" in listing and "UTC" in listing
    with web_sim.factory() as db:
        assert db.scalars(select(models.Account)).one().status == "connected"
        actions = [e.action for e in db.scalars(select(AuditEntry).order_by(AuditEntry.seq))]
    assert "account.register" in actions


def test_a_role_that_is_not_deployed_is_reported_and_the_account_stays_disconnected(
    web_sim: Service, sim: SimulatorClient
) -> None:
    token = sign_in(web_sim.client)
    location, _ = start(web_sim, token)
    tested = web_sim.client.post(f"{location}/test", data={"csrf_token": token})
    assert tested.status_code == 409
    assert "alert-error" in tested.text and "Connected as" not in tested.text


def test_a_viewer_sees_the_accounts_but_cannot_connect_or_change_one(web_sim: Service) -> None:
    token = sign_in(web_sim.client)
    location, _ = start(web_sim, token)
    member_headers(web_sim, "viewer")
    web_sim.client.cookies.clear()
    viewer = sign_in(web_sim.client, "viewer@example.com", MEMBER_PASSWORD)
    listing = web_sim.client.get(f"{WS}/accounts")
    assert "shop-prod" in listing.text and "Connect an AWS account" not in listing.text
    page = web_sim.client.get(location)
    assert page.status_code == 200 and "Test the connection</button>" not in page.text
    assert web_sim.client.get(f"{WS}/accounts/new").status_code == 403
    for action in ("test", "disconnect", "remove", "actions-role"):
        assert web_sim.client.post(f"{location}/{action}", data={"csrf_token": viewer}).status_code == 403
    new = {"csrf_token": viewer, "aws_account_id": "210987654321"}
    assert web_sim.client.post(f"{WS}/accounts/new", data=new).status_code == 403
    assert web_sim.client.get(f"/w/{'0' * 36}/accounts").status_code == 404
