"""Sending a task: to Celery when a broker is configured, else to threads of this process.

    dispatcher.send("investigate_incident", workspace_id=ws, incident_id=incident.id)
    dispatcher.send("deliver_message", countdown=30, workspace_id=ws, message_id=m.id)

Both run the same task bodies (tasks.TASKS). Send only after the transaction that stored what the
task will read has committed. A send that fails (the broker is down) loses nothing: the sweep
(tasks.sweep, on the beat schedule and at start) re-sends whatever the store says is unfinished.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

log = logging.getLogger("cloudwarden.worker.dispatch")


class Dispatcher(Protocol):
    def send(self, task: str, *, countdown: float = 0, **kwargs: str) -> None: ...

    def send_many(self, tasks: Sequence[tuple[str, dict[str, str]]]) -> None:
        """Queue several tasks at once (one broker connection for all of them)."""

    def open(self) -> None: ...

    def close(self) -> None: ...


class CeleryDispatcher:
    """Publishes to the broker; a worker process (`cloudwarden worker`) runs the task."""

    def __init__(self, celery: Any) -> None:
        self.celery = celery

    def send(self, task: str, *, countdown: float = 0, **kwargs: str) -> None:
        self._send([(task, kwargs)], countdown=countdown)

    def send_many(self, tasks: Sequence[tuple[str, dict[str, str]]]) -> None:
        self._send(tasks)

    def _send(self, tasks: Sequence[tuple[str, dict[str, str]]], *, countdown: float = 0) -> None:
        from cloudwarden.worker.tasks import TASKS

        for task, _ in tasks:
            if task not in TASKS:
                raise KeyError(f"no task {task!r}")
        try:
            with self.celery.producer_or_acquire() as producer:  # one connection for the lot
                # Several tasks: one round trip (kombu's publish batch: a Redis pipeline; a
                # transport without batches publishes each message at once, as before).
                batch = producer.batch() if len(tasks) > 1 else contextlib.nullcontext()
                with batch:
                    for task, kwargs in tasks:
                        self.celery.send_task(
                            f"cloudwarden.{task}",
                            kwargs=kwargs,
                            countdown=countdown or None,
                            ignore_result=True,
                            producer=producer,
                        )
        except Exception:  # the broker is down (or a batch failed part-way): the sweep re-sends
            log.warning("could not queue %s; the sweep will re-send them", tasks, exc_info=True)

    def open(self) -> None:
        return None

    def close(self) -> None:
        return None


class InProcessDispatcher:
    """The embedded default: a small thread pool in this process runs the tasks."""

    def __init__(self, workers: int = 4) -> None:
        self._workers = workers
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cw-task")
        self._timers: set[threading.Timer] = set()
        self._lock = threading.Lock()
        self._closed = False

    def open(self) -> None:
        """Ready to run tasks again after a close (an app's lifespan may run more than once)."""
        with self._lock:
            if self._closed:
                self._executor = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="cw-task")
                self._closed = False

    def send(self, task: str, *, countdown: float = 0, **kwargs: str) -> None:
        from cloudwarden.worker.tasks import TASKS

        body = TASKS[task]
        if countdown > 0:
            timer = threading.Timer(countdown, self._submit, args=(task, body, kwargs))
            timer.daemon = True
            with self._lock:
                if self._closed:
                    return
                self._timers.add(timer)
            timer.start()
            return
        self._submit(task, body, kwargs)

    def send_many(self, tasks: Sequence[tuple[str, dict[str, str]]]) -> None:
        from cloudwarden.worker.tasks import TASKS

        for task, kwargs in tasks:
            self._submit(task, TASKS[task], kwargs)

    def _submit(self, task: str, body: Any, kwargs: dict[str, str]) -> None:
        with self._lock:
            self._timers = {t for t in self._timers if t.is_alive()}
            if self._closed:
                return
            self._executor.submit(_run, task, body, kwargs)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            timers, self._timers = self._timers, set()
        for timer in timers:
            timer.cancel()
        self._executor.shutdown(wait=True, cancel_futures=True)


def _run(task: str, body: Any, kwargs: dict[str, str]) -> None:
    try:
        body(**kwargs)
    except Exception:  # logged; the sweep runs unfinished work again
        log.exception("task %s %s failed", task, kwargs)
