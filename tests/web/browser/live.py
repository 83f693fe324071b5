"""The service on loopback for a browser: a store of its own, its owner bootstrapped, embedded tasks.

    with live_console(tmp_path) as live: ...          # live.url: http://127.0.0.1:<port>
    with live_console(tmp_path, seed=fn) as live: ... # fn(factory) adds what the test reads first

owner@example.com (tests/api/conftest.py's password) owns the default workspace.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from cloudwarden import runtime
from cloudwarden.config import Settings
from cloudwarden.embedded import EmbeddedService
from cloudwarden.identity import config as identity_config
from cloudwarden.identity.bootstrap import bootstrap_owner
from tests.api.conftest import FAST_PASSWORDS, OWNER_EMAIL, OWNER_PASSWORD

Seed = Callable[[sessionmaker[Session]], None]


@dataclass(frozen=True)
class Live:
    url: str
    factory: sessionmaker[Session]


@contextmanager
def live_console(folder: Path, *, seed: Seed | None = None, **settings: object) -> Iterator[Live]:
    data = folder / "live"
    data.mkdir(exist_ok=True)
    chosen = Settings(data_dir=data, database_url=f"sqlite:///{data / 'cw.db'}", **settings)  # type: ignore[arg-type]
    factory = runtime.open_store(chosen)
    identity = identity_config.from_settings(chosen, passwords=FAST_PASSWORDS)
    with factory.begin() as db:
        bootstrap_owner(
            db,
            config=identity,
            email=OWNER_EMAIL,
            password=OWNER_PASSWORD,
            display_name="Olga Owner",
            actor="test",
        )
    if seed is not None:
        seed(factory)
    try:
        with EmbeddedService(chosen, factory=factory) as service:
            yield Live(service.url, factory)
    finally:
        factory.kw["bind"].dispose()
