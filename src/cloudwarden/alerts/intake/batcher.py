"""Group commit for the alert intake: the alerts of many requests stored in one transaction.

    batcher = IntakeBatcher(open_session=ctx.workspace_session, on_stored=dispatch)
    received = await batcher.submit(workspace_id, delivery)   # committed when this returns

Request handlers verify a delivery on their own, then hand it to the batcher and wait. One writer
thread takes whatever has queued up meanwhile (up to `max_batch`), stores each workspace's share
with `flows.receive_batch` in one transaction, commits, and only then answers each waiting
request, with its own outcome (stored, duplicate, or why it was refused). A batch whose
transaction fails answers every request in it with the error, so the sender retries; nothing is
acknowledged that was not committed. The work an alert causes (an investigation, a resolution)
is queued by `on_stored` after the commit and before the answers.

Under light load a batch is one alert and nothing waits for company; under heavy load the
writer's round trips and commits are shared by every alert that arrived while it was busy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from sqlalchemy.orm import Session

from cloudwarden.alerts import flows
from cloudwarden.alerts.service import Received

log = logging.getLogger(__name__)
MAX_BATCH = 256
Outcome = Received | BaseException


@dataclass
class _Pending:
    workspace_id: str
    delivery: flows.Delivery
    future: asyncio.Future[Received]
    loop: asyncio.AbstractEventLoop


class IntakeBatcher:
    def __init__(
        self,
        *,
        open_session: Callable[[str], AbstractContextManager[Session]],
        on_stored: Callable[[str, list[Received]], None],
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._open_session = open_session
        self._on_stored = on_stored
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stopped = False

    async def submit(self, workspace_id: str, delivery: flows.Delivery) -> Received:
        """Store the delivery; returns once it is committed (or raises why it was not stored)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Received] = loop.create_future()
        self._start()
        self._queue.put(_Pending(workspace_id, delivery, future, loop))
        return await future

    def stop(self, timeout: float = 30.0) -> None:
        """Store what is queued, then end the writer thread."""
        with self._lock:
            self._stopped = True
            thread = self._thread
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout)

    def _start(self) -> None:
        with self._lock:
            if self._stopped:
                raise RuntimeError("the intake is shutting down")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="cw-intake", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            batch = [] if first is None else [first]
            stop = first is None
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    continue
                batch.append(item)
            if batch:
                self._store(batch)
            if stop and self._queue.empty():
                return

    def _store(self, batch: list[_Pending]) -> None:
        by_workspace: dict[str, list[_Pending]] = {}
        for pending in batch:
            by_workspace.setdefault(pending.workspace_id, []).append(pending)
        for workspace_id, pendings in by_workspace.items():
            try:
                with self._open_session(workspace_id) as db:  # commits when the block ends
                    outcomes: list[Outcome] = list(
                        flows.receive_batch(
                            db=db, workspace_id=workspace_id, items=[p.delivery for p in pendings]
                        )
                    )
            except Exception as exc:  # nothing of this batch was stored: every sender retries
                log.warning("storing %d alerts of %s failed: %s", len(pendings), workspace_id, exc)
                outcomes = [exc] * len(pendings)
            stored = [o for o in outcomes if isinstance(o, Received) and not o.duplicate]
            if stored:
                try:
                    self._on_stored(workspace_id, stored)
                except Exception:  # the sweep queues it again from the store
                    log.warning("queueing the work of %d alerts failed", len(stored), exc_info=True)
            for pending, outcome in zip(pendings, outcomes, strict=True):
                _answer(pending, outcome)


def _answer(pending: _Pending, outcome: Outcome) -> None:
    def settle() -> None:
        if pending.future.done():  # the request was cancelled (the client went away)
            return
        if isinstance(outcome, BaseException):
            pending.future.set_exception(outcome)
        else:
            pending.future.set_result(outcome)

    with contextlib.suppress(RuntimeError):  # the request's event loop has closed
        pending.loop.call_soon_threadsafe(settle)
