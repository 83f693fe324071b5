"""In a real browser: an admin connects the simulated AWS account with the onboarding wizard, from
the account id to the permission report."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.onboarding import deploy_onboarding_stack
from tests.api.conftest import OWNER_EMAIL, OWNER_PASSWORD
from tests.web.browser.live import live_console
from tests.web.browser.support import browser_page, sign_in

PRINCIPAL = "arn:aws:iam::111111111111:root"


def test_an_admin_onboards_the_simulated_account_in_the_wizard(
    sim: SimulatorClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLOUDWARDEN_AWS_ENDPOINT_URL", raising=False)
    with (
        live_console(tmp_path, simulator_url=sim.endpoint, principal_arn=PRINCIPAL) as live,
        browser_page() as watched,
    ):
        page = watched.page
        page.goto(f"{live.url}/sign-in")
        sign_in(page, email=OWNER_EMAIL, password=OWNER_PASSWORD)
        page.get_by_role("link", name="Accounts").click()
        page.get_by_role("link", name="Connect an AWS account").click()
        assert watched.accessibility() == []
        page.get_by_label("AWS account id").fill("123456789012")
        page.get_by_label("Name").fill("shop-prod")
        page.get_by_role("button", name="Next: deploy the stack").click()

        external_id = page.locator("#external-id").inner_text()
        assert len(external_id) >= 16
        expect(page.get_by_role("link", name="Download the CloudFormation template")).to_be_visible()
        with page.expect_download() as download:
            page.get_by_role("link", name="Download the CloudFormation template").click()
        assert "sts:ExternalId" in Path(download.value.path()).read_text()
        deploy_onboarding_stack(sim, principal_arn=PRINCIPAL, external_id=external_id)  # as the customer

        page.get_by_role("button", name="Test the connection").click()
        expect(page.locator("#connection-result")).to_contain_text("Connected as")
        expect(page.locator("tr.source-denied")).to_have_count(0)
        assert page.locator("tr.source-ok").count() >= 10
        expect(page.get_by_role("heading", level=1)).to_contain_text("connected")
        assert watched.accessibility() == []
        watched.shot("onboarding-report")
