"""In a real browser: the incidents list shows a new incident without a reload, and works without
JavaScript (the read pages are plain HTML)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy.orm import Session, sessionmaker

from cloudwarden.store import service as store
from cloudwarden.store.tenancy import DEFAULT_WORKSPACE_ID
from cloudwarden.store.types import utcnow
from tests.api.conftest import OWNER_EMAIL, OWNER_PASSWORD
from tests.web.browser.live import live_console
from tests.web.browser.support import browser_page, sign_in

WS = DEFAULT_WORKSPACE_ID


def _account(factory: sessionmaker[Session]) -> None:
    with factory.begin() as db:
        store.create_account(
            db=db,
            workspace_id=WS,
            name="prod",
            role_arn="arn:aws:iam::123456789012:role/CloudWardenReadOnly",
            regions=["eu-west-1"],
        )


def _alarm(factory: sessionmaker[Session], name: str) -> None:
    with factory.begin() as db:
        account = store.list_accounts(db=db, workspace_id=WS)[0]
        store.record_incident(
            db=db,
            workspace_id=WS,
            account_id=account.id,
            alarm_name=name,
            alarm_arn=f"arn:aws:cloudwatch:eu-west-1:123456789012:alarm:{name}",
            region="eu-west-1",
            opened_at=utcnow(),
            notification={},
            dedup_key=f"live:{name}",
        )


def test_a_new_incident_appears_in_the_list_without_a_reload(tmp_path: Path) -> None:
    with live_console(tmp_path, seed=_account) as live, browser_page() as watched:
        page = watched.page
        page.goto(f"{live.url}/sign-in")
        sign_in(page, email=OWNER_EMAIL, password=OWNER_PASSWORD)
        expect(page.get_by_role("heading", name="Incidents")).to_be_visible()
        expect(page.locator("#incident-rows")).to_contain_text("No incidents")
        assert watched.accessibility() == []
        page.evaluate("window.__marker = 'same page'")  # gone if the page reloads
        _alarm(live.factory, "checkout-5xx")
        expect(page.locator("#incident-rows")).to_contain_text("checkout-5xx", timeout=15_000)
        assert page.evaluate("window.__marker") == "same page"
        row = page.get_by_role("link", name="checkout-5xx")
        row.focus()
        page.keyboard.press("Enter")  # keyboard navigation opens the incident
        expect(page.get_by_role("heading", name="checkout-5xx")).to_be_visible()
        expect(page.get_by_text("Not diagnosed yet")).to_be_visible()


def test_the_read_pages_work_without_javascript(tmp_path: Path) -> None:
    def seed(factory: sessionmaker[Session]) -> None:
        _account(factory)
        _alarm(factory, "orders-latency")

    with live_console(tmp_path, seed=seed) as live, browser_page(javascript=False) as watched:
        page = watched.page
        page.goto(f"{live.url}/w/{WS}/incidents")
        sign_in(page, email=OWNER_EMAIL, password=OWNER_PASSWORD)
        page.get_by_label("State").select_option("open")
        page.get_by_role("button", name="Filter").click()
        expect(page).to_have_url(f"{live.url}/w/{WS}/incidents?state=open&account_id=")
        page.get_by_role("link", name="orders-latency").click()
        expect(page.get_by_role("heading", name="orders-latency")).to_be_visible()
        page.get_by_text(OWNER_EMAIL).click()  # the account menu is a <details>: no script needed
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
