"""A small stdlib HTTP endpoint for harnesses (held-out runs, tests) that take SNS deliveries without the service.

Each delivery is verified, stored (through `on_alarm`) and only then acknowledged with 200; a
delivery that cannot be stored gets a 500 so SNS retries it, and a forged one a 403.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cloudwarden.alerts.intake import sns

MAX_BODY = 256 * 1024


class SnsIntakeServer:
    def __init__(
        self,
        *,
        on_alarm: Callable[[sns.SnsMessage, sns.AlarmNotification], None],
        fetch_cert: sns.CertFetcher,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.errors: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return None

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length <= 0 or length > MAX_BODY:
                    self._reply(400, "body missing or larger than 256 KiB")
                    return
                body = self.rfile.read(length)
                try:
                    message = sns.parse(body)
                    sns.verify(message, fetch_cert)
                except sns.IntakeError as exc:
                    outer.errors.append(str(exc))
                    self._reply(
                        403 if "signature" in str(exc) or "SigningCertURL" in str(exc) else 400, str(exc)
                    )
                    return
                if message.type != "Notification":
                    # Subscription confirmations are visible to the operator, never auto-followed.
                    outer.errors.append(
                        f"{message.type} for {message.topic_arn} received; confirm it explicitly"
                    )
                    self._reply(200, "noted")
                    return
                try:
                    alarm = sns.alarm_of(message)
                    on_alarm(message, alarm)
                except sns.IntakeError as exc:
                    outer.errors.append(str(exc))
                    self._reply(400, str(exc))
                    return
                except Exception as exc:  # storage failed: make SNS retry rather than lose the alarm
                    outer.errors.append(f"could not store alarm: {type(exc).__name__}: {exc}")
                    self._reply(500, "could not store the alarm; retry")
                    return
                self._reply(200, "stored")

            def _reply(self, status: int, text: str) -> None:
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name="sns-intake")

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/sns"

    def start(self) -> SnsIntakeServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
