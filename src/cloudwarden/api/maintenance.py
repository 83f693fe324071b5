"""The retention purge the service runs on a schedule (every CLOUDWARDEN_PURGE_INTERVAL_HOURS).

A closed workspace or a removed account is closed at once by its request; this purge, run as the
database owner (the requests' role may not delete across workspaces), deletes what is past its
retention, closed workspaces and accounts with everything they own included. At the default
interval (6 h) nothing closed lives a day, well within the 7 days promised. `cloudwarden purge`
runs the same purge by hand; the worker's beat schedule will take this over.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.orm import Session, sessionmaker

from cloudwarden.store import retention
from cloudwarden.store.db import session_scope

log = logging.getLogger("cloudwarden.api.maintenance")


FIRST_RUN_AFTER_SECONDS = 60.0  # not in the middle of start-up; a restart never starves it long


class PurgeSchedule:
    """A daemon thread: purge a minute after start (sooner for a shorter interval), then every interval."""

    def __init__(
        self, factory: sessionmaker[Session], *, interval_seconds: float, ages: retention.Ages
    ) -> None:
        self._factory = factory
        self._interval = interval_seconds
        self._ages = ages
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="cw-purge", daemon=True)
        self.runs = 0

    def start(self) -> PurgeSchedule:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=30)

    def run_once(self) -> dict[str, int]:
        with session_scope(self._factory) as db:
            counts = retention.purge(db, ages=self._ages)
        self.runs += 1
        deleted = {table: n for table, n in counts.items() if n}
        if deleted:
            log.info("retention purge deleted %s", deleted)
        return counts

    def _loop(self) -> None:
        self._stopped.wait(min(FIRST_RUN_AFTER_SECONDS, self._interval))
        while not self._stopped.is_set():
            try:
                self.run_once()
            except Exception:  # logged; the next run tries again
                log.exception("retention purge failed")
            self._stopped.wait(self._interval)
