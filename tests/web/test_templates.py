"""What every console template must hold to: nothing the CSP would block, a label for every control.

The CSP (api/security.py) allows scripts and styles from /static only; a template with an inline
script, a style attribute or an event handler would break in the browser (and the browser tests'
CSP listener would catch it there, but only on the pages they visit). This reads every template.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cloudwarden.web.render import TEMPLATES

TEMPLATE_FILES = sorted(TEMPLATES.rglob("*.html"))
FORBIDDEN = {
    "an inline script": re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE),
    "a <style> element": re.compile(r"<style[\s>]", re.IGNORECASE),
    "a style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "an event-handler attribute": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "a javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
    "an hx-on attribute (needs eval)": re.compile(r"\shx-on", re.IGNORECASE),
}
CONTROL = re.compile(r"<(input|select|textarea)\b([^>]*)>", re.IGNORECASE)


def test_there_are_templates_to_check() -> None:
    assert len(TEMPLATE_FILES) >= 10


@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_a_template_holds_nothing_the_content_security_policy_blocks(path: Path) -> None:
    text = path.read_text()
    found = [what for what, pattern in FORBIDDEN.items() if pattern.search(text)]
    assert found == [], f"{path.name} has {', '.join(found)}"


@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_every_visible_control_has_a_label(path: Path) -> None:
    text = path.read_text()
    labelled = set(re.findall(r'<label[^>]*\sfor="([^"]+)"', text))
    unlabelled = []
    for tag, attributes in CONTROL.findall(text):
        if re.search(r'type="(hidden|submit|button)"', attributes) or "aria-label=" in attributes:
            continue
        found = re.search(r'\sid="([^"]+)"', attributes)
        if found is None or found.group(1) not in labelled:
            unlabelled.append(f"<{tag}{attributes[:60]}>")
    assert unlabelled == [], f"{path.name}: controls without a <label for>: {unlabelled}"
