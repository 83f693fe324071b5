"""The schedule: what beat sends and how often (Celery beat, or a thread inside `serve`)."""

from __future__ import annotations

import logging
import threading

from cloudwarden.config import Settings
from cloudwarden.worker.dispatch import Dispatcher

log = logging.getLogger("cloudwarden.worker.schedule")
SWEEP_SECONDS = 30.0
# How often beat looks for accounts whose last posture scan is older than the interval.
POSTURE_DUE_CHECK_SECONDS = 600.0


def entries(settings: Settings) -> list[tuple[str, float]]:
    return [
        ("sweep", SWEEP_SECONDS),
        ("poll_alarms", float(settings.poll_interval_seconds)),
        ("purge", settings.purge_interval_hours * 3600),
        ("posture_scans", POSTURE_DUE_CHECK_SECONDS),
    ]


class InProcessBeat:
    """The embedded default's beat: a daemon thread sending each entry at its interval (the sweep
    at once, so work left unfinished by a restart resumes)."""

    def __init__(self, dispatcher: Dispatcher, settings: Settings, *, first_delay: float = 0.0) -> None:
        self._dispatcher = dispatcher
        self._entries = entries(settings)
        self._first_delay = first_delay
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> InProcessBeat:
        """Start (again, after a stop: an app's lifespan may run more than once)."""
        if self._thread is not None and self._thread.is_alive():
            return self
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="cw-beat", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        import time

        next_at = {
            task: time.monotonic() + (self._first_delay if task == "sweep" else seconds)
            for task, seconds in self._entries
        }
        while not self._stopped.is_set():
            now = time.monotonic()
            for task, seconds in self._entries:
                if now >= next_at[task]:
                    next_at[task] = now + seconds
                    try:
                        self._dispatcher.send(task)
                    except Exception:  # logged; the next interval tries again
                        log.exception("could not send %s", task)
            self._stopped.wait(min(1.0, max(0.05, min(next_at.values()) - time.monotonic())))
