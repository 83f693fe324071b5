"""A stand-in for Meta's WhatsApp Cloud API on loopback: the Graph send endpoint and its webhooks.

    standin = WhatsAppStandIn(app_secret="s", access_token="t", phone_number_id="1065", webhook_url=url).start()
    config = WhatsAppConfig(api_base_url=standin.base_url, phone_number_id="1065", ...)
    standin.user_sends_text("447700900123")       # opens that number's 24-hour window
    ...                                           # send; then standin.sent, standin.webhook_results
    standin.stop()

`POST {base_url}/{phone_number_id}/messages` answers like Graph: 401 code 190 without the right
Bearer token; 400 code 100 for a body Meta would refuse (messaging_product, to, type, text length,
reply-button limits); 400 code 131047 for free-form text to a number outside its 24-hour window;
otherwise 200 with a wamid. Each accepted message is recorded in `.sent`, and when `webhook_url`
is set, `sent` then `delivered` (and `read` with read_receipts=True) status notifications are
POSTed to it, signed with X-Hub-Signature-256 over the exact bytes, in Meta's envelope. Webhooks go
out one at a time, in order, from a background thread; `wait_for_webhooks()` waits for them.
The JSON of a notification escapes non-ASCII and '/', so a receiver that verifies a re-encoding of
the parsed body instead of the raw bytes fails here as it would in production.

Knobs: `fail_next(count, status=, code=, retry_after=)`, `open_window` / `force_window_closed`,
`templates` (approved names and their parameter counts), a `clock`; the simulated user:
`user_sends_text`, `user_taps_button`, and `send_status` for late, duplicate or failed statuses.
Body rules live in `whatsapp_rules.py`. Unlike Meta, a refused webhook is not redelivered.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import queue
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from cloudwarden.simulator import whatsapp_rules as rules

API_VERSION = "v21.0"
WINDOW_SECONDS = 24 * 3600
_PATH = re.compile(r"^/v[0-9]+\.[0-9]+/(?P<phone_number_id>[^/]+)/messages/?$")
_DEFAULT_MESSAGES = {
    4: "(#4) Application request limit reached",
    130429: "(#130429) Rate limit hit",
    131056: "(#131056) (Business Account, Consumer Account) pair rate limit hit",
    1: "An unknown error occurred",
    2: "Service temporarily unavailable",
    131000: "Something went wrong",
}


@dataclass(frozen=True)
class SentMessage:
    wamid: str
    to: str
    type: str
    body: dict[str, Any]


@dataclass(frozen=True)
class RefusedRequest:
    status: int
    code: int
    message: str


@dataclass(frozen=True)
class WebhookDelivery:
    event: str  # "status:sent", "message:text", "message:button_reply"...
    status_code: int | None  # the receiver's answer; None when it could not be reached
    error: str | None = None


@dataclass(frozen=True)
class _Failure:
    status: int
    code: int
    message: str
    retry_after: float | None


class _Refusal(Exception):
    def __init__(
        self, status: int, code: int, message: str, *, details: str = "", subcode: int | None = None,
        retry_after: float | None = None,
    ) -> None:  # fmt: skip
        super().__init__(message)
        self.status, self.code, self.message, self.details, self.subcode = (
            status,
            code,
            message,
            details,
            subcode,
        )
        self.retry_after = retry_after


_StatusEvent = tuple[str, str, str, list[dict[str, Any]] | None]  # wamid, status, recipient, errors


class WhatsAppStandIn:
    def __init__(
        self,
        *,
        app_secret: str,
        access_token: str,
        phone_number_id: str,
        webhook_url: str | None = None,
        display_phone_number: str = "15550001234",
        waba_id: str = "102290129340398",
        templates: Mapping[str, int] | None = None,  # name -> number of body parameters; None: any
        read_receipts: bool = False,
        window_errors_by_webhook: bool = False,  # 131047 as a `failed` status instead of a 400
        clock: Callable[[], float] = time.time,
        host: str = "127.0.0.1",
    ) -> None:
        self._app_secret = app_secret
        self._access_token = access_token
        self.phone_number_id = phone_number_id
        self.webhook_url = webhook_url
        self.display_phone_number = display_phone_number
        self.waba_id = waba_id
        self._templates = dict(templates) if templates is not None else None
        self._read_receipts = read_receipts
        self._window_errors_by_webhook = window_errors_by_webhook
        self._clock = clock
        self.sent: list[SentMessage] = []
        self.refused: list[RefusedRequest] = []
        self.webhook_results: list[WebhookDelivery] = []
        self._last_inbound: dict[str, float] = {}
        self._failures: list[_Failure] = []
        self._lock = threading.Lock()
        self._outgoing: queue.Queue[tuple[str, bytes] | None] = queue.Queue()
        self._pending = 0
        self._idle = threading.Condition(self._lock)
        self._server = ThreadingHTTPServer((host, 0), self._handler_class())
        self._threads = [
            threading.Thread(target=self._serve, daemon=True, name="whatsapp-standin"),
            threading.Thread(target=self._deliver_webhooks, daemon=True, name="whatsapp-standin-webhooks"),
        ]

    # -- lifecycle -------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/{API_VERSION}"

    def start(self) -> WhatsAppStandIn:
        for thread in self._threads:
            thread.start()
        return self

    def _serve(self) -> None:
        self._server.serve_forever(poll_interval=0.05)  # shutdown() waits up to one poll

    def stop(self) -> None:
        self._outgoing.put(None)
        self._server.shutdown()
        self._server.server_close()
        self._threads[1].join(timeout=5)

    # -- knobs and the simulated user ------------------------------------------------------------

    def fail_next(
        self, count: int = 1, *, status: int = 429, code: int = 130429, message: str | None = None,
        retry_after: float | None = None,
    ) -> None:  # fmt: skip
        """Refuse the next `count` authorised sends with this status and Graph error code."""
        text = message or _DEFAULT_MESSAGES.get(code, f"(#{code}) Simulated failure")
        with self._lock:
            self._failures.extend(_Failure(status, code, text, retry_after) for _ in range(count))

    def open_window(self, number: str) -> None:
        """As if `number` had just written to the business (no webhook is sent)."""
        with self._lock:
            self._last_inbound[number.removeprefix("+")] = self._clock()

    def force_window_closed(self, number: str) -> None:
        with self._lock:
            self._last_inbound.pop(number.removeprefix("+"), None)

    def window_is_open(self, number: str) -> bool:
        with self._lock:
            last = self._last_inbound.get(number.removeprefix("+"))
            return last is not None and self._clock() - last < WINDOW_SECONDS

    def user_sends_text(self, from_number: str, text: str = "hi", *, profile_name: str = "On-call") -> str:
        """The user writes to the business: opens the window and posts the inbound message webhook."""
        self.open_window(from_number)
        message_id = _wamid()
        message = {"from": from_number, "id": message_id, "timestamp": self._now(), "text": {"body": text}}
        self._notify_message("message:text", {**message, "type": "text"}, from_number, profile_name)
        return message_id

    def user_taps_button(self, from_number: str, wamid_of_message: str, button_id: str, title: str) -> str:
        """The user taps a reply button of message `wamid_of_message` (which also opens the window)."""
        self.open_window(from_number)
        message_id = _wamid()
        message = {
            "context": {"from": self.display_phone_number, "id": wamid_of_message},
            "from": from_number,
            "id": message_id,
            "timestamp": self._now(),
            "type": "interactive",
            "interactive": {"type": "button_reply", "button_reply": {"id": button_id, "title": title}},
        }
        self._notify_message("message:button_reply", message, from_number, "On-call")
        return message_id

    def send_status(
        self, wamid: str, status: str, *, recipient_id: str, error_code: int | None = None
    ) -> None:
        """Post one status notification (say a late `read`, a duplicate, or a `failed`)."""
        errors = [_status_error(error_code)] if error_code is not None else None
        self._notify_statuses([(wamid, status, recipient_id, errors)])

    def wait_for_webhooks(self, timeout: float = 5.0) -> bool:
        """True once every queued notification has been delivered (or has failed)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    # -- the send endpoint -----------------------------------------------------------------------

    def _handle_send(
        self, path: str, authorization: str | None, raw: bytes
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        try:
            return 200, self._accept(path, authorization, raw), {}
        except _Refusal as refusal:
            with self._lock:
                self.refused.append(RefusedRequest(refusal.status, refusal.code, refusal.message))
            error: dict[str, Any] = {
                "message": refusal.message,
                "type": "OAuthException",
                "code": refusal.code,
                "fbtrace_id": secrets.token_urlsafe(12),
            }
            if refusal.details:
                error["error_data"] = {"messaging_product": "whatsapp", "details": refusal.details}
            if refusal.subcode is not None:
                error["error_subcode"] = refusal.subcode
            headers = {"Retry-After": f"{refusal.retry_after:g}"} if refusal.retry_after is not None else {}
            return refusal.status, {"error": error}, headers

    def _accept(self, path: str, authorization: str | None, raw: bytes) -> dict[str, Any]:
        match = _PATH.match(path)
        if not match:
            raise _Refusal(400, 100, "Unknown path components: " + path[:80])
        expected = f"Bearer {self._access_token}".encode()
        if not authorization or not hmac.compare_digest(authorization.encode(), expected):
            raise _Refusal(401, 190, "Invalid OAuth access token - Cannot parse access token")
        if match["phone_number_id"] != self.phone_number_id:
            raise _Refusal(
                400, 100, f"Unsupported post request. Object with ID '{match['phone_number_id'][:40]}' does not exist",
                subcode=33,
            )  # fmt: skip
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            raise _Refusal(failure.status, failure.code, failure.message, retry_after=failure.retry_after)
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise _Refusal(
                400, 100, "(#100) Invalid parameter", details="The request body is not JSON"
            ) from None
        problem = (
            rules.send_body_problem(body)
            if isinstance(body, dict)
            else "The request body must be a JSON object"
        )
        if problem:
            raise _Refusal(400, 100, "(#100) Invalid parameter", details=problem)
        to, kind = str(body["to"]).removeprefix("+"), str(body.get("type", "text"))
        if kind == "template":
            self._check_template(body["template"])
        wamid = _wamid()
        window_closed = kind != "template" and not self.window_is_open(to)
        if window_closed and not self._window_errors_by_webhook:
            raise _Refusal(400, 131047, "(#131047) Re-engagement message", details=_WINDOW_DETAILS)
        with self._lock:
            self.sent.append(SentMessage(wamid, to, kind, body))
        if window_closed:
            self._notify_statuses([(wamid, "failed", to, [_status_error(131047)])])
        else:
            events = ["sent", "delivered"] + (["read"] if self._read_receipts else [])
            self._notify_statuses([(wamid, event, to, None) for event in events])
        reply: dict[str, Any] = {"input": body["to"], "wa_id": to}
        message: dict[str, Any] = {"id": wamid}
        if kind == "template":
            message["message_status"] = "accepted"
        return {"messaging_product": "whatsapp", "contacts": [reply], "messages": [message]}

    def _check_template(self, template: dict[str, Any]) -> None:
        problem = rules.template_problem(template, self._templates) if self._templates is not None else None
        if problem is not None:
            raise _Refusal(*problem)

    # -- webhooks --------------------------------------------------------------------------------

    def _notify_message(self, event: str, message: dict[str, Any], number: str, profile_name: str) -> None:
        contacts = [{"profile": {"name": profile_name}, "wa_id": number}]
        self._enqueue(event, {"contacts": contacts, "messages": [message]})

    def _notify_statuses(self, statuses: list[_StatusEvent]) -> None:
        for wamid, status, recipient_id, errors in statuses:
            entry: dict[str, Any] = {
                "id": wamid, "status": status, "timestamp": self._now(), "recipient_id": recipient_id,
            }  # fmt: skip
            if status in ("sent", "delivered"):
                entry["conversation"] = {"id": _conversation_id(recipient_id), "origin": {"type": "service"}}
                entry["pricing"] = {"billable": True, "pricing_model": "PMP", "category": "service"}
            if errors:
                entry["errors"] = errors
            self._enqueue(f"status:{status}", {"statuses": [entry]})

    def _enqueue(self, event: str, value: dict[str, Any]) -> None:
        if not self.webhook_url:
            return
        metadata = {
            "display_phone_number": self.display_phone_number,
            "phone_number_id": self.phone_number_id,
        }
        change = {
            "value": {"messaging_product": "whatsapp", "metadata": metadata, **value},
            "field": "messages",
        }
        document = {
            "object": "whatsapp_business_account",
            "entry": [{"id": self.waba_id, "changes": [change]}],
        }
        raw = json.dumps(document, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/").encode()
        with self._lock:
            self._pending += 1
        self._outgoing.put((event, raw))

    def _deliver_webhooks(self) -> None:
        with httpx.Client(timeout=5.0) as client:
            while (item := self._outgoing.get()) is not None:
                event, raw = item
                signature = "sha256=" + hmac.new(self._app_secret.encode(), raw, hashlib.sha256).hexdigest()
                headers = {
                    "Content-Type": "application/json",
                    "X-Hub-Signature-256": signature,
                    "User-Agent": "facebookexternalua",
                }
                try:
                    response = client.post(str(self.webhook_url), content=raw, headers=headers)
                    result = WebhookDelivery(event, response.status_code)
                except httpx.HTTPError as exc:
                    result = WebhookDelivery(event, None, f"{type(exc).__name__}: {exc}")
                with self._idle:
                    self.webhook_results.append(result)
                    self._pending -= 1
                    self._idle.notify_all()

    def _now(self) -> str:
        return str(int(self._clock()))

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return None

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, body, headers = standin._handle_send(
                    self.path, self.headers.get("Authorization"), raw
                )
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler


_WINDOW_DETAILS = "Message failed to send because more than 24 hours have passed since the customer last replied to this number."


def _status_error(code: int) -> dict[str, Any]:
    title = "Re-engagement message" if code == 131047 else f"Error {code}"
    details = _WINDOW_DETAILS if code == 131047 else title
    return {"code": code, "title": title, "message": title, "error_data": {"details": details}}


def _wamid() -> str:
    return "wamid." + base64.b64encode(secrets.token_bytes(30)).decode()


def _conversation_id(number: str) -> str:
    return hashlib.sha256(number.encode()).hexdigest()[:32]
