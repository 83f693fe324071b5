"""A local HTTP server speaking the Anthropic Messages, OpenAI chat-completions and Bedrock
InvokeModel wire formats, so the real SDKs can be exercised without a network or a key."""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Answer = Callable[[dict[str, Any]], str]  # masked diagnosis payload -> the "model's" text

_INVOKE_RE = re.compile(r"^/model/(?P<model>[^/]+)/invoke$")


@dataclass
class Captured:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Behaviour:
    answer: Answer = lambda payload: "ok"
    status: int = 200
    delay_s: float = 0.0
    input_tokens: int | None = 1234
    output_tokens: int | None = 210
    # Anthropic stop_reason / OpenAI finish_reason to report.
    stop: str | None = None
    # Replace the whole JSON body (malformed responses).
    raw_body: dict[str, Any] | None = None


@dataclass
class FakeLLM:
    base_url: str
    behaviour: Behaviour = field(default_factory=Behaviour)
    requests: list[Captured] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    @property
    def last(self) -> Captured:
        return self.requests[-1]


def masked_payload(user_text: str) -> dict[str, Any]:
    """The diagnosis JSON inside the user prompt, as the model would read it."""
    return json.loads(user_text.split("Diagnosis JSON:\n", 1)[1])


def _user_text(path: str, body: dict[str, Any]) -> str:
    messages = body["messages"]
    return next(m["content"] for m in messages if m["role"] == "user")


def _anthropic_body(fake: FakeLLM, text: str, model: str) -> dict[str, Any]:
    b = fake.behaviour
    return {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": text}],
        "stop_reason": b.stop or "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": b.input_tokens, "output_tokens": b.output_tokens},
    }


def _openai_body(fake: FakeLLM, text: str, model: str) -> dict[str, Any]:
    b = fake.behaviour
    body: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": b.stop or "stop",
            }
        ],
    }
    if b.input_tokens is not None and b.output_tokens is not None:
        body["usage"] = {
            "prompt_tokens": b.input_tokens,
            "completion_tokens": b.output_tokens,
            "total_tokens": b.input_tokens + b.output_tokens,
        }
    return body


def _handler(fake: FakeLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            fake.requests.append(
                Captured("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            b = fake.behaviour
            if b.delay_s:
                fake.release.wait(b.delay_s)
            if b.status != 200:
                return self._send(
                    b.status, {"type": "error", "error": {"type": "api_error", "message": "boom"}}
                )
            request = json.loads(body)
            path = self.path.split("?", 1)[0]
            invoke = _INVOKE_RE.match(path)
            if path == "/v1/messages" or invoke:
                model = request.get("model") or (invoke.group("model") if invoke else "")
                build = _anthropic_body
            elif path == "/v1/chat/completions":
                model, build = request["model"], _openai_body
            else:
                return self._send(404, {"error": f"no route {path}"})
            if b.raw_body is not None:
                return self._send(200, b.raw_body)
            text = b.answer(masked_payload(_user_text(path, request)))
            self._send(200, build(fake, text, model))

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            # The client may have given up already (timeout tests).
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(data)

    return Handler


@contextmanager
def fake_llm_server() -> Iterator[FakeLLM]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    server.daemon_threads = True
    server.block_on_close = False
    fake = FakeLLM(base_url=f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _handler(fake)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.release.set()  # wake a sleeping handler so shutdown is immediate
        server.shutdown()
        server.server_close()
