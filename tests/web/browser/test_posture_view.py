"""In a real browser: a responder presses "Scan now", the service's own task audits the simulated
account (seeded with its everyday misconfigurations), and the posture page shows the scores per
framework, their trend and the failing findings, filtered."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from cloudwarden.config import Settings
from cloudwarden.simulator import posture_seed
from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.onboarding import deploy_onboarding_stack
from cloudwarden.store.tenancy import DEFAULT_WORKSPACE_ID
from tests.api.conftest import OWNER_EMAIL, OWNER_PASSWORD
from tests.conftest import add_connected_account
from tests.web.browser.live import live_console
from tests.web.browser.support import browser_page, sign_in

WS = f"/w/{DEFAULT_WORKSPACE_ID}"


def test_a_scan_started_in_the_console_shows_scores_trend_and_findings(
    sim: SimulatorClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLOUDWARDEN_AWS_ENDPOINT_URL", raising=False)
    posture_seed.seed_misconfigurations(sim, region=sim.region)
    with live_console(tmp_path, simulator_url=sim.endpoint) as live:
        with live.factory.begin() as db:
            account = add_connected_account(db, "123456789012", name="shop-prod")
            account.role_arn = deploy_onboarding_stack(
                sim, principal_arn=Settings().principal_arn, external_id=account.external_id
            ).read_role_arn
        with browser_page() as watched:
            page = watched.page
            page.goto(f"{live.url}{WS}/posture")
            sign_in(page, email=OWNER_EMAIL, password=OWNER_PASSWORD)
            expect(page.get_by_text("Not scanned yet")).to_be_visible()
            for heading in ("Trend over the last 1 scan", "Trend over the last 2 scans"):  # a trend of two
                page.get_by_role("button", name="Scan now").click()
                expect(page.locator(".alert-ok")).to_contain_text("queued")
                for _ in range(60):  # the scan runs as the service's own task: reload until it is in
                    if page.get_by_role("heading", name=heading).count():
                        break
                    page.wait_for_timeout(1000)
                    page.reload()
                expect(page.get_by_role("heading", name=heading)).to_be_visible()
            expect(page.get_by_role("rowheader", name="CIS AWS Foundations").first).to_be_visible()
            expect(page.locator("svg").first).to_be_visible()
            assert watched.accessibility() == []
            watched.shot("posture")

            page.get_by_role("link", name="Findings").first.click()
            page.get_by_label("Severity").select_option("critical")
            page.get_by_role("button", name="Filter").click()
            expect(page.get_by_text("iam_root_access_key_absent").first).to_be_visible()
            assert watched.accessibility() == []
            watched.shot("posture-findings")
