"""In a real browser, the whole on-call loop: the alarm fires in the simulated account, the responder
signs in with their TOTP code, reads the incident, approves the fix with its 90-second consent,
and watches the page report the recovery; then the same page on a 375-px phone screen.

The incident page's screenshot is the one the README shows (build/test-artifacts/screenshots/).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import expect

from cloudwarden import runtime
from cloudwarden.config import Settings
from cloudwarden.demo import run_demo
from cloudwarden.identity import config as identity_config
from cloudwarden.identity import twofactor
from cloudwarden.identity.bootstrap import bootstrap_owner
from cloudwarden.simulator.server import SimulatorServer
from tests.api.conftest import FAST_PASSWORDS
from tests.web.browser.live import live_console
from tests.web.browser.support import browser_page, require_chromium, sign_in

EMAIL, PASSWORD = "responder@example.com", "ember violet harbour ninety"
WS = runtime.LOCAL_WORKSPACE_ID


def _responder_with_totp(settings: Settings) -> pyotp.TOTP:
    """The workspace's owner, enrolled in 2FA as they would be from the console."""
    factory = runtime.open_store(settings)
    identity = identity_config.from_settings(settings, passwords=FAST_PASSWORDS)
    with factory.begin() as db:
        user, _ = bootstrap_owner(
            db, config=identity, email=EMAIL, password=PASSWORD, display_name="Rita Responder", actor="test"
        )
        totp = pyotp.TOTP(twofactor.start(db, config=identity, user=user).secret)
        twofactor.confirm(db, config=identity, user=user, code=totp.now(), session_id=None)
    factory.kw["bind"].dispose()
    return totp


def test_a_responder_approves_the_fix_in_the_console_and_sees_the_recovery(
    simulator_server: SimulatorServer, tmp_path: Path
) -> None:
    require_chromium()
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'cw.db'}")
    totp = _responder_with_totp(settings)
    seen: dict[str, str] = {}

    def approve_in_the_console(url: str, incident_id: str) -> None:
        with browser_page() as watched:
            page = watched.page
            page.goto(f"{url}/w/{WS}/incidents/{incident_id}")
            expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
            # The code after the one enrolment used: each TOTP step works once.
            sign_in(page, email=EMAIL, password=PASSWORD, code=totp.at(datetime.now(UTC), counter_offset=1))
            expect(page.get_by_role("heading", name="Root causes, most likely first")).to_be_visible()
            expect(page.locator("#cause-1")).to_contain_text("Memory leak")
            expect(page.locator("svg.chart path.line").first).to_be_visible()
            expect(page.locator(".timeline .event-delivery").first).to_contain_text("whatsapp")

            assert watched.accessibility() == [], "the incident page fails WCAG 2 AA checks"
            page.get_by_role("button", name="Approve…").click()
            countdown = page.locator(".countdown")
            expect(countdown).to_have_text(re.compile(r"\d+ s left"))
            seen["countdown"] = countdown.inner_text()
            page.get_by_role("button", name="Execute now").click()
            # No reload: the remediation panel follows the action until the alarm is back to OK.
            expect(page.locator("#remediation .badge.recovered")).to_be_visible(timeout=60_000)
            expect(page.locator(".timeline .event-recovery")).to_contain_text("Recovered")
            seen["screenshot"] = str(watched.shot("incident-page", full_page=False))  # the README's
            watched.shot("incident-page-full")

            # The same person on their phone at night: a 375-px screen, nothing scrolls sideways.
            page.set_viewport_size({"width": 375, "height": 812})
            page.reload()
            expect(page.locator("#remediation .badge.recovered")).to_be_visible()
            assert watched.overflows() == [], "the incident page scrolls sideways on a phone"
            watched.shot("incident-page-phone")
            page.get_by_role("link", name="← Incidents").click()
            expect(page.locator("#incident-rows tr")).to_have_count(1)
            assert watched.accessibility() == [], "the incident list fails WCAG 2 AA checks"
            assert watched.overflows() == [], "the incident list scrolls sideways on a phone"
            watched.shot("incidents-phone")

    run = run_demo(
        "memory_leak",
        settings=settings,
        server=simulator_server,
        deliver=True,
        approver=approve_in_the_console,
    )
    assert run.remediation is not None
    assert run.remediation["consent"] == {"via": "console", "approver": EMAIL, "used": True}
    assert run.remediation["executed"] and run.remediation["recovered"] is True
    assert seen["countdown"].endswith(" s left") and 0 < int(seen["countdown"].split()[0]) <= 90
    assert Path(seen["screenshot"]).stat().st_size > 10_000


@pytest.mark.parametrize("inline", ["<script>document.title = 'x'</script>", '<p style="color: red">x</p>'])
def test_the_csp_listener_catches_what_the_policy_blocks(tmp_path: Path, inline: str) -> None:
    """The guard the other browser tests rely on: an inline script or style is reported."""
    with (
        live_console(tmp_path) as live,
        pytest.raises(AssertionError, match="Content-Security-Policy"),
        browser_page() as watched,
    ):
        watched.page.goto(f"{live.url}/sign-in")
        watched.page.evaluate("html => document.body.insertAdjacentHTML('beforeend', html)", inline)
        if inline.startswith("<script"):  # inserted markup does not run; a created element does
            watched.page.evaluate(
                "() => { const s = document.createElement('script'); s.textContent = '1'; document.body.append(s); }"
            )
        watched.page.wait_for_timeout(300)
