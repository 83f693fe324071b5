"""Driving Debian's Chromium with Playwright: CSP violations fail the test, screenshots are kept.

    with browser_page(width=375) as watched:
        watched.page.goto(url)
        watched.shot("incidents-phone")        # build/test-artifacts/screenshots/incidents-phone.png

Each `browser_page` starts its own Playwright (so it works in any thread) and never a downloaded
browser: `/usr/bin/chromium` (`make chromium` installs it). Every Content-Security-Policy
violation the pages report, by the `securitypolicyviolation` event or in the console, fails the
test when the block ends.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
REPOSITORY = Path(__file__).resolve().parents[3]
ARTIFACTS = Path(os.environ.get("CLOUDWARDEN_TEST_ARTIFACTS", REPOSITORY / "build" / "test-artifacts"))
SCREENSHOTS = ARTIFACTS / "screenshots"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"  # see vendor/README.md
# Reports each violation to the test through a binding; init scripts are not subject to the page's CSP.
_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cloudwardenCsp(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
});
"""

_AXE_RUN = """
async () => {
  const result = await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21aa"] } });
  return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")})`);
}
"""
# Outermost offenders only: an element inside one already listed is not listed again.
_OVERFLOWING = """
() => {
  const limit = document.documentElement.clientWidth + 1, out = [], seen = new Set();
  for (const el of document.querySelectorAll("body *")) {
    if ([...seen].some((s) => s.contains(el))) continue;
    const box = el.getBoundingClientRect();
    if (box.right > limit && !el.closest(".table-wrap")) {
      seen.add(el);
      out.push(`${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}.${el.className} (${Math.round(box.right)}px)`);
    }
  }
  return out;
}
"""


def require_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip(
            f"Debian's Chromium is not installed at {CHROMIUM}: `make chromium` installs it (apt, as root)"
        )


@dataclass
class Watched:
    page: Page
    javascript: bool = True
    violations: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.violations.append(f"console: {message.text}")

    def on_violation(self, _source: Any, report: str) -> None:
        self.violations.append(report)

    def shot(self, name: str, *, full_page: bool = True) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def accessibility(self) -> list[str]:
        """axe-core's WCAG 2 A and AA violations on the page as it is now (none: it passes)."""
        assert self.javascript, "axe-core runs in the page: not with JavaScript off"
        found: list[str] = self.page.evaluate(_AXE_RUN)
        return found

    def overflows(self) -> list[str]:
        """The elements that stick out past the screen's right edge (none: nothing scrolls sideways)."""
        found: list[str] = self.page.evaluate(_OVERFLOWING)
        return found


@contextmanager
def browser_page(
    *, width: int = 1280, height: int = 900, check_csp: bool = True, javascript: bool = True
) -> Iterator[Watched]:
    require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            context = browser.new_context(
                viewport={"width": width, "height": height}, locale="en-GB", java_script_enabled=javascript
            )
            page = context.new_page()
            page.set_default_timeout(20_000)
            watched = Watched(page, javascript=javascript)
            context.expose_binding("__cloudwardenCsp", watched.on_violation)
            context.add_init_script(_LISTENER)
            context.add_init_script(path=str(AXE))
            page.on("console", watched.on_console)
            yield watched
        finally:
            browser.close()
    if check_csp:
        assert watched.violations == [], "Content-Security-Policy violations:\n" + "\n".join(
            watched.violations
        )


def sign_in(page: Page, *, email: str, password: str, code: str | None = None) -> None:
    """Fill the sign-in form the page is on (and the code page, for 2FA), as a person would."""
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    refused = page.locator(".alert-error")
    if refused.count():
        raise AssertionError(f"sign-in refused: {refused.first.inner_text()}")
    if code is not None:
        page.get_by_label("Code").fill(code)
        page.get_by_role("button", name="Verify").click()
