"""A loopback server shaped like a Slack incoming webhook: it checks Block Kit as Slack does.

It answers 200 "ok" to a valid payload; otherwise Slack's own text codes: 400 invalid_payload
(not JSON), no_text (neither text nor blocks), invalid_blocks (a block over Slack's limits),
404 no_service (unknown webhook path). `respond_next()` scripts the next answers (429, 500, 410...).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

WEBHOOK_PATH = "/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"


@dataclass
class ScriptedReply:
    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)


def block_kit_problem(payload: Any) -> str | None:
    """Slack's error code for a payload it would refuse, or None."""
    if not isinstance(payload, dict):
        return "invalid_payload"
    blocks = payload.get("blocks", [])
    if not payload.get("text") and not blocks:
        return "no_text"
    if not isinstance(blocks, list) or len(blocks) > 50:
        return "invalid_blocks"
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            text = block["text"]
            if text.get("type") != "plain_text" or not 1 <= len(text.get("text", "")) <= 150:
                return "invalid_blocks"
        elif kind == "section":
            fields = block.get("fields")
            text = block.get("text")
            if text is None and not fields:
                return "invalid_blocks"
            if text is not None and not 1 <= len(text.get("text", "")) <= 3000:
                return "invalid_blocks"
            if fields is not None and (
                len(fields) > 10 or any(not 1 <= len(f.get("text", "")) <= 2000 for f in fields)
            ):
                return "invalid_blocks"
        elif kind == "context":
            if not 1 <= len(block.get("elements", [])) <= 10:
                return "invalid_blocks"
        elif kind not in ("divider", "actions"):
            return "invalid_blocks"
    return None


class SlackWebhookServer:
    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.requests = 0
        self._script: list[ScriptedReply] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return None

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with outer._lock:
                    outer.requests += 1
                    scripted = outer._script.pop(0) if outer._script else None
                if scripted is not None:
                    self._reply(scripted.status, scripted.body, scripted.headers)
                    return
                if self.path != WEBHOOK_PATH:
                    self._reply(404, "no_service")
                    return
                try:
                    payload = json.loads(raw)
                except ValueError:
                    self._reply(400, "invalid_payload")
                    return
                problem = block_kit_problem(payload)
                if problem:
                    self._reply(400, problem)
                    return
                with outer._lock:
                    outer.received.append(payload)
                self._reply(200, "ok")

            def _reply(self, status: int, text: str, headers: dict[str, str] | None = None) -> None:
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{WEBHOOK_PATH}"

    def respond_next(self, status: int, body: str, headers: dict[str, str] | None = None) -> None:
        with self._lock:
            self._script.append(ScriptedReply(status, body, headers or {}))

    def start(self) -> SlackWebhookServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
