"""Run moto on loopback with CloudWarden's patches and an injection endpoint.

Requests under ``/_cloudwarden/`` are the simulator's own API (injection of what has no AWS
write API, alarm evaluation, reset) and, under ``/_cloudwarden/github/``, a stand-in for
GitHub's compare API (`simulator/github.py`); everything else is moto.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import threading
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

if TYPE_CHECKING:
    from cloudwarden.simulator.patches.latency import LatencyProfile

# One AMI instead of ~1,300 that each bring a snapshot that looks account-owned.
_ONE_AMI = [
    {
        "ami_id": "ami-0c55b159cbfafe1f0",
        "name": "al2023-ami-2023.6.20241121.0-kernel-6.1-x86_64",
        "description": "Amazon Linux 2023 AMI",
        "owner_id": "137112412989",
        "public": True,
        "virtualization_type": "hvm",
        "architecture": "x86_64",
        "state": "available",
        "platform": None,
        "image_type": "machine",
        "hypervisor": "xen",
        "root_device_name": "/dev/xvda",
        "root_device_type": "ebs",
        "sriov": "simple",
    }
]


class _SkipTopicPolicyWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "AWS::SNS::TopicPolicy" not in record.getMessage()


_configured = False
_configure_lock = threading.Lock()


def configure_moto_environment() -> None:
    """Set moto's environment before moto is first imported. Safe to call twice."""
    global _configured
    with _configure_lock:
        if _configured:
            return
        ami_file = Path(tempfile.gettempdir()) / "cloudwarden-sim-amis.json"
        ami_file.write_text(json.dumps(_ONE_AMI))
        os.environ.setdefault("MOTO_AMIS_PATH", str(ami_file))
        os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        os.environ.setdefault("MOTO_ALLOW_NONEXISTENT_REGION", "false")
        _configured = True


class SimulatorServer:
    """moto on 127.0.0.1 with CloudWarden's patches; `endpoint` is what clients point at."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        tick_seconds: float = 5.0,
        *,
        enforce_iam: bool = False,
        latency: LatencyProfile | None = None,
    ) -> None:
        """`enforce_iam`: authorize assumed-role sessions against their policies (patches/iam_enforcement.py).

        `latency`: answer with realistic per-API latency and rate limits (patches/latency.py);
        without one, what CLOUDWARDEN_SIM_LATENCY asks for (off unless set).

        moto's backends and its request handling are process-wide, so enforcement and latency are
        too: on from `start()` to `stop()` for every server in the process. Run an enforcing server
        in a process of its own (`cloudwarden sim up --enforce-iam`, as the tests do).
        """
        from cloudwarden.simulator.patches import latency as latency_patch

        self.enforce_iam = enforce_iam
        self.latency = latency if latency is not None else latency_patch.from_environment()
        self.host = host
        self.port = port
        self.tick_seconds = tick_seconds
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._ticker: threading.Thread | None = None
        self._stop = threading.Event()
        self._injectors: dict[str, Any] = {}

    @property
    def endpoint(self) -> str:
        if self._server is None:
            raise RuntimeError("simulator not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> SimulatorServer:
        configure_moto_environment()
        # moto warns about the CloudFormation type it skips that onboarding.py makes up for.
        moto_logger = logging.getLogger("moto")
        if not any(isinstance(f, _SkipTopicPolicyWarning) for f in moto_logger.filters):
            moto_logger.addFilter(_SkipTopicPolicyWarning())
        warnings.filterwarnings("ignore", message="Tried to parse AWS::", category=UserWarning)
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        from cloudwarden.simulator import patches

        self._injectors = patches.apply_all()
        if self.enforce_iam:
            from cloudwarden.simulator.patches import iam_enforcement

            iam_enforcement.enable()
        if self.latency is not None:
            from cloudwarden.simulator.patches import latency

            latency.enable(self.latency)

        class QuietHandler(MotoRequestHandler):
            def log_request(self, *args: Any, **kwargs: Any) -> None:
                return None

        moto_app = DomainDispatcherApplication(create_backend_app)
        self._server = make_server(
            self.host, self.port, self._wsgi(moto_app), threaded=True, request_handler=QuietHandler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name="sim-server")
        self._thread.start()
        self._configure_moto()
        if self.tick_seconds > 0:
            self._ticker = threading.Thread(target=self._tick_loop, daemon=True, name="sim-ticker")
            self._ticker.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self.enforce_iam:
            from cloudwarden.simulator.patches import iam_enforcement

            iam_enforcement.disable()
        if self.latency is not None:
            from cloudwarden.simulator.patches import latency

            latency.disable()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        from cloudwarden.simulator import patches

        _post_json(f"{self.endpoint}/moto-api/reset", {})
        patches.reset_all()
        self._configure_moto()

    def tick(self, *, advance_seconds: float = 0.0) -> None:
        """Let time pass: deployments settle, alarms evaluate (`advance_seconds` ahead of the clock:
        the account lives that much later, as if the minutes had passed)."""
        from cloudwarden.simulator import patches

        patches.tick_all(datetime.now(UTC) + timedelta(seconds=advance_seconds) if advance_seconds else None)

    def _configure_moto(self) -> None:
        # Lambda functions are created and invoked without Docker.
        _post_json(f"{self.endpoint}/moto-api/config", {"lambda": {"use_docker": False}})

    def _tick_loop(self) -> None:
        while not self._stop.wait(self.tick_seconds):
            try:
                self.tick()
            except Exception:  # a failed tick must not kill the simulator; say why
                logging.getLogger(__name__).exception("simulator tick failed")

    def _wsgi(self, moto_app: Any) -> Any:
        from werkzeug.wrappers import Request, Response

        from cloudwarden.simulator import github as sim_github
        from cloudwarden.simulator import patches

        def app(environ: dict[str, Any], start_response: Any) -> Any:
            path = environ.get("PATH_INFO", "")
            if _SNS_CERT_PATH.match(path):
                # The simulator stands in for https://sns.<region>.amazonaws.com/<cert>.pem.
                pem = _sns_certificate(path.lstrip("/"), environ.get("HTTP_HOST", ""))
                response = Response(pem or b"", status=200 if pem else 404, mimetype="application/x-pem-file")
                return response(environ, start_response)
            if path.startswith(sim_github.PREFIX + "/"):  # GitHub's compare API, for GitHub evidence
                status, body = sim_github.handle(
                    environ.get("REQUEST_METHOD", ""), path, environ.get("HTTP_AUTHORIZATION")
                )
                return Response(json.dumps(body), status=status, mimetype="application/json")(
                    environ, start_response
                )
            if not path.startswith("/_cloudwarden/"):
                return moto_app(environ, start_response)
            request = Request(environ)
            status, body = self._handle(path.removeprefix("/_cloudwarden/"), request.get_data(), patches)
            response = Response(json.dumps(body, default=str), status=status, mimetype="application/json")
            return response(environ, start_response)

        return app

    def _handle(self, route: str, data: bytes, patches: Any) -> tuple[int, dict[str, Any]]:
        if route == "tick":
            ahead = json.loads(data or b"{}").get("advance_seconds", 0)
            if not isinstance(ahead, int | float) or not 0 <= ahead <= 3600:
                return 400, {"error": "advance_seconds must be a number of seconds from 0 to 3600"}
            self.tick(advance_seconds=float(ahead))
            return 200, {"ok": True}
        if route == "reset-extensions":
            patches.reset_all()
            return 200, {"ok": True}
        if route.startswith("inject/"):
            kind = route.removeprefix("inject/")
            handler = self._injectors.get(kind)
            if handler is None:
                return 404, {"error": f"unknown injection kind {kind!r}", "known": sorted(self._injectors)}
            try:
                request = patches.InjectRequest.model_validate_json(data)
                return 200, handler(request)
            except ValidationError as exc:
                return 400, {"error": f"invalid injection for {kind!r}: {exc}"}
            except (KeyError, ValueError) as exc:
                return 400, {"error": f"invalid injection for {kind!r}: {exc}"}
        return 404, {"error": f"unknown simulator route {route!r}"}


_SNS_CERT_PATH = re.compile(r"^/SimpleNotificationService-[0-9a-f]+\.pem$")


def _sns_certificate(key_name: str, host: str) -> bytes | None:
    """moto keeps the certificates it signs SNS deliveries with in the default account's backend."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    match = re.match(r"^sns\.([a-z0-9-]+)\.amazonaws\.com", host)
    regions = [match.group(1)] if match else list(sns_backends[DEFAULT_ACCOUNT_ID].keys())
    for region in regions:
        pem = sns_backends[DEFAULT_ACCOUNT_ID][region]._message_public_keys.get(key_name)
        if pem is not None:
            return bytes(pem)
    return None


def _post_json(url: str, body: dict[str, Any]) -> dict[str, Any]:
    import urllib.request

    request = urllib.request.Request(  # noqa: S310 - loopback simulator endpoint
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        raw = response.read()
    return json.loads(raw) if raw else {}
