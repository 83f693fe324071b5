"""What Meta's send endpoint refuses, as pure checks the WhatsApp stand-in (`whatsapp.py`) applies.

Each returns None for a body Meta would accept, otherwise what Meta would say is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_TO = re.compile(r"^\+?[1-9][0-9]{7,14}$")


def send_body_problem(body: dict[str, Any]) -> str | None:
    """What Meta would say is wrong with a send request's body, or None."""
    if body.get("messaging_product") != "whatsapp":
        return "The parameter messaging_product is required and must be 'whatsapp'"
    if not isinstance(body.get("to"), str) or not _TO.match(body["to"]):
        return "The parameter to must be a phone number in E.164 format"
    kind = body.get("type", "text")
    if kind not in ("text", "template", "interactive"):
        return f"Param type must be one of text, template, interactive (stand-in), not {str(kind)[:30]!r}"
    content = body.get(kind)
    if not isinstance(content, dict):
        return f"The parameter {kind} is required for type {kind}"
    if kind == "text":
        text = content.get("body")
        return (
            None
            if isinstance(text, str) and 1 <= len(text) <= 4096
            else "Text body must be 1 to 4096 characters"
        )
    if kind == "template":
        name, language = content.get("name"), content.get("language")
        if (
            not isinstance(name, str)
            or not name
            or not isinstance(language, dict)
            or not language.get("code")
        ):
            return "Template requires a name and language.code"
        return None
    return _interactive_problem(content)


def _interactive_problem(content: dict[str, Any]) -> str | None:
    if content.get("type") != "button":
        return "Interactive type must be 'button' (the only one the stand-in knows)"
    body = content.get("body")
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(text, str) or not 1 <= len(text) <= 1024:
        return "Interactive body text must be 1 to 1024 characters"
    for part in ("header", "footer"):
        extra = content.get(part)
        if extra is not None and not (isinstance(extra, dict) and len(str(extra.get("text", ""))) <= 60):
            return f"Interactive {part} text must be at most 60 characters"
    action = content.get("action")
    buttons = action.get("buttons") if isinstance(action, dict) else None
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        return "Interactive action.buttons must hold 1 to 3 buttons"
    ids, titles = [], []
    for button in buttons:
        reply = button.get("reply") if isinstance(button, dict) and button.get("type") == "reply" else None
        if not isinstance(reply, dict):
            return "Each button must be {'type': 'reply', 'reply': {...}}"
        button_id, title = reply.get("id"), reply.get("title")
        if not isinstance(button_id, str) or not 1 <= len(button_id) <= 256:
            return "Button id length invalid. Min length: 1, Max length: 256"
        if not isinstance(title, str) or not 1 <= len(title) <= 20:
            return "Button title length invalid. Min length: 1, Max length: 20"
        ids.append(button_id)
        titles.append(title)
    if len(set(ids)) != len(ids) or len(set(titles)) != len(titles):
        return "Button ids and titles must be unique"
    return None


def template_problem(template: dict[str, Any], templates: Mapping[str, int]) -> tuple[int, int, str] | None:
    """(HTTP status, Graph code, message) for a template Meta would refuse, given the approved ones
    (name -> number of body parameters); None when it would go out."""
    name = template["name"]
    if name not in templates:
        return 404, 132001, "(#132001) Template name does not exist in the translation"
    parameters = [
        parameter
        for component in template.get("components") or []
        if isinstance(component, dict) and component.get("type") == "body"
        for parameter in component.get("parameters") or []
    ]
    if len(parameters) != templates[name]:
        return 400, 132000, "(#132000) Number of parameters does not match the expected number of params"
    for parameter in parameters:
        text = str(parameter.get("text", "")) if isinstance(parameter, dict) else ""
        if not text or re.search(r"[\n\t]| {5,}", text):
            return 400, 132018, "(#132018) There's an issue with the parameters in your template"
    return None
