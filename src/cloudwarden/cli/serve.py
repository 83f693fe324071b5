"""`cloudwarden serve`: the API (cloudwarden.api) under uvicorn, on the store of the settings.

The store is opened and migrated first, so a database that cannot be used is the CLI's one-line
error (exit 2 or 4) rather than a traceback from a worker; the port is bound next, so a port in
use is one line too. SIGTERM or Ctrl-C stop it gracefully (requests in flight finish) with exit 0.
"""

from __future__ import annotations

import errno
import signal
import socket
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cloudwarden.cli import output
from cloudwarden.config import check_host, get_settings
from cloudwarden.errors import CloudWardenError, UsageError

if TYPE_CHECKING:
    import uvicorn

GRACEFUL_SHUTDOWN_SECONDS = 10


class _Stopped(Exception):
    """SIGTERM, after uvicorn has shut down (it raises the signal again once it is done)."""


def _host_option(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return check_host(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def serve(
    host: Annotated[
        str | None,
        typer.Option(
            callback=_host_option,
            help="Address to listen on (default: CLOUDWARDEN_API_HOST, 127.0.0.1; 0.0.0.0 for every interface)",
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="Port to listen on (default: CLOUDWARDEN_API_PORT, 8000)"),
    ] = None,
    reload: Annotated[
        bool,
        typer.Option("--reload/--no-reload", help="Restart when the source changes (development only)"),
    ] = False,
    workers: Annotated[
        int,
        typer.Option(min=1, max=64, help="Server processes sharing the port (more than 1 needs a broker)"),
    ] = 1,
) -> None:
    """Serve the API (/api/v1, /healthz, /readyz) until stopped; migrates the database first."""
    import uvicorn

    from cloudwarden import runtime
    from cloudwarden.api.app import API_PREFIX, OPENAPI_URL, create_app

    settings = get_settings()
    host = settings.api_host if host is None else host
    port = settings.api_port if port is None else port
    factory = runtime.open_store(settings)  # a store error is one line, before anything listens
    if workers > 1 and not settings.broker_url:
        raise UsageError(
            "--workers above 1 needs CLOUDWARDEN_BROKER_URL: without a broker each server process "
            "would run its own tasks and its own schedule",
            hint="set CLOUDWARDEN_BROKER_URL=redis://... and run `cloudwarden worker` and `cloudwarden beat`",
        )
    listener = _bind(host, port)
    if workers > 1:
        config = _config(
            "cloudwarden.api.app:app_from_environment",
            log_level=settings.log_level,
            factory=True,
            workers=workers,
        )
    elif reload:
        config = _config(
            "cloudwarden.api.app:app_from_environment",
            log_level=settings.log_level,
            factory=True,
            reload=True,
            reload_dirs=[str(Path(__file__).resolve().parents[1])],
        )
    else:
        config = _config(create_app(settings, session_factory=factory), log_level=settings.log_level)
    server = uvicorn.Server(config)
    base = f"http://{f'[{host}]' if ':' in host else host}:{port}"
    output.console.print(f"CloudWarden API at {base}{API_PREFIX} (OpenAPI: {OPENAPI_URL})", soft_wrap=True)
    output.console.print(
        f"  console: {base}/ (sign in with the owner `admin bootstrap` created)", soft_wrap=True
    )
    output.console.print(
        f"  probes: {base}/healthz, {base}/readyz; SIGTERM or Ctrl-C stops it", soft_wrap=True
    )
    previous = signal.signal(signal.SIGTERM, _stop)
    stopped = False
    try:
        if reload:
            from uvicorn.supervisors import ChangeReload

            ChangeReload(config, target=server.run, sockets=[listener]).run()
        elif workers > 1:
            from uvicorn.supervisors import Multiprocess

            Multiprocess(config, sockets=[listener]).run()
            # The supervisor handles SIGTERM itself and returns once its workers have stopped.
            stopped = True
        else:
            server.run(sockets=[listener])
    except (_Stopped, KeyboardInterrupt):
        stopped = True
    except SystemExit:  # uvicorn's way of saying that the app did not start
        stopped = False
    finally:
        signal.signal(signal.SIGTERM, previous)
        listener.close()
        factory.kw["bind"].dispose()
    if not (reload or stopped or server.started):
        raise CloudWardenError("the API server did not start: see the messages above")


def _config(app: Any, *, log_level: str, **extra: Any) -> uvicorn.Config:
    import uvicorn

    return uvicorn.Config(
        app,
        proxy_headers=False,  # X-Forwarded-* would let any client choose its address and scheme
        server_header=False,
        ws="none",
        lifespan="on",
        log_level=log_level.lower(),
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        **extra,
    )


def _stop(_signal: int, _frame: FrameType | None) -> None:
    raise _Stopped


def _bind(host: str, port: int) -> socket.socket:
    """The listening socket, or a UsageError saying why not (port in use, address not here)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise UsageError(
            f"cannot listen on {host}: {exc.strerror}", hint="use --host with an address of this machine"
        ) from None
    listener = socket.socket(family, kind, proto)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind(address)
    except OSError as exc:
        listener.close()
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(
                f"port {port} on {host} is in use by another process",
                hint="stop it, or choose another port with --port or CLOUDWARDEN_API_PORT",
            ) from None
        if exc.errno == errno.EACCES:
            raise UsageError(
                f"not allowed to listen on port {port} on {host}", hint="use a port above 1023"
            ) from None
        raise UsageError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            hint="use --host with an address of this machine",
        ) from None
    listener.set_inheritable(True)  # the --reload worker process serves on it
    return listener
