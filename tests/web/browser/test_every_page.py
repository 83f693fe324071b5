"""Every console page in a real browser, on a laptop and on a 375-px phone: nothing the CSP
blocks, nothing sticking out sideways, no WCAG 2 A/AA violation axe-core finds, a screenshot each.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session, sessionmaker

from cloudwarden.store import service as store
from cloudwarden.store.tenancy import DEFAULT_WORKSPACE_ID
from cloudwarden.store.types import utcnow
from tests.api.conftest import OWNER_EMAIL, OWNER_PASSWORD
from tests.web.browser.live import live_console
from tests.web.browser.support import browser_page, sign_in

WS = f"/w/{DEFAULT_WORKSPACE_ID}"
# path -> the heading a person sees first
PAGES = {
    f"{WS}/incidents": "Incidents",
    f"{WS}/posture": "Posture",
    f"{WS}/posture/findings": "Findings",
    f"{WS}/posture/suppressions": "Suppressions",
    f"{WS}/accounts": "AWS accounts",
    f"{WS}/channels": "Channels",
    f"{WS}/members": "Members",
    f"{WS}/tokens": "API tokens",
    f"{WS}/audit": "Audit log",
    "/me/security": "Security",
}


def _seed(factory: sessionmaker[Session]) -> None:
    with factory.begin() as db:
        account = store.create_account(
            db=db,
            workspace_id=DEFAULT_WORKSPACE_ID,
            name="prod",
            role_arn="arn:aws:iam::123456789012:role/CloudWardenReadOnly",
            regions=["eu-west-1"],
        )
        store.record_incident(
            db=db,
            workspace_id=DEFAULT_WORKSPACE_ID,
            account_id=account.id,
            alarm_name="checkout-5xx",
            alarm_arn="arn:aws:cloudwatch:eu-west-1:123456789012:alarm:checkout-5xx",
            region="eu-west-1",
            opened_at=utcnow(),
            notification={},
            dedup_key="every-page",
        )


@pytest.mark.parametrize(("device", "width", "height"), [("laptop", 1280, 900), ("phone", 375, 812)])
def test_every_page_passes_the_browser_checks(tmp_path: Path, device: str, width: int, height: int) -> None:
    with live_console(tmp_path, seed=_seed) as live, browser_page(width=width, height=height) as watched:
        page = watched.page
        page.goto(f"{live.url}/sign-in")
        sign_in(page, email=OWNER_EMAIL, password=OWNER_PASSWORD)
        problems: dict[str, list[str]] = {}
        for path, heading in PAGES.items():
            response = page.goto(f"{live.url}{path}")
            assert response is not None and response.status == 200, f"{path}: {response and response.status}"
            expect(page.get_by_role("heading", level=1)).to_contain_text(heading, ignore_case=True)
            found = [f"axe {v}" for v in watched.accessibility()] + [
                f"sideways {o}" for o in watched.overflows()
            ]
            if found:
                problems[path] = found
            watched.shot(f"{device}{path.replace('/', '-')}")
        assert problems == {}
