"""The whole service in this process, on loopback: the API with its task threads and beat.

    with EmbeddedService(settings, factory=factory) as service:
        service.url                         # http://127.0.0.1:<port>
        service.context.observers.append(...)

The demo runs CloudWarden this way (the alarm reaches the service's intake through SNS, the
investigation runs as a task, deliveries go out from the outbox), and so can tests.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from cloudwarden.config import Settings
from cloudwarden.worker.context import Context

START_TIMEOUT_SECONDS = 15


class EmbeddedService:
    def __init__(self, settings: Settings, *, factory: sessionmaker[Session]) -> None:
        from cloudwarden.api.app import create_app

        self.app = create_app(settings.model_copy(update={"broker_url": None}), session_factory=factory)
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def context(self) -> Context:
        context: Context = self.app.state.work.context
        return context

    def start(self) -> EmbeddedService:
        import uvicorn

        config = uvicorn.Config(self.app, lifespan="on", log_level="warning", ws="none", server_header=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name="cw-embedded", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the embedded CloudWarden service did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=15)
        self._socket.close()

    def __enter__(self) -> EmbeddedService:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
