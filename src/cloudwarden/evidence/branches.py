"""Run independent evidence reads concurrently, with results and gaps in a fixed order.

Real AWS answers in 100 ms to over a second per call, so the reads of one investigation that do
not depend on each other (discovery of each service, metrics, CloudTrail, findings, log groups)
run on a bounded thread pool. Each read gets a branch of the CollectContext: the gaps it records
stay with it until the caller joins it, and the caller joins in the order the sequential code
ran the reads, so the bundle (resources, events, changes, gaps) is the same whatever the timing.
A read never waits on another read, only the caller does, so a pool of any size cannot deadlock;
with one worker the reads run one after the other in submission order.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Generic, TypeVar

from cloudwarden.evidence.context import CollectContext

T = TypeVar("T")


class Branch(Generic[T]):
    """One read running on the pool; `join()` waits for it and hands its gaps to the parent."""

    def __init__(self, parent: CollectContext, ctx: CollectContext, future: Future[T]) -> None:
        self._parent = parent
        self._ctx = ctx
        self._future = future
        self._joined = False

    def join(self) -> T:
        """The read's result (re-raising a bug in it); its gaps follow those already recorded."""
        result = self._future.result()
        if not self._joined:
            self._joined = True
            self._parent.absorb(self._ctx)
        return result


class BranchPool:
    def __init__(self, ctx: CollectContext, executor: ThreadPoolExecutor) -> None:
        self._ctx = ctx
        self._executor = executor

    def start(self, read: Callable[[CollectContext], T]) -> Branch[T]:
        """Start `read` with a branch of the context; AWS failures in it become its gaps."""
        branch = self._ctx.branch()
        return Branch(self._ctx, branch, self._executor.submit(read, branch))

    def read(
        self, source: str, service: str, get: Callable[[Any], T], *, region: str | None = None
    ) -> Branch[T | None]:
        """Start `get(client)` on a client of `service`, guarded: a failed call becomes a gap."""

        def guarded_read(ctx: CollectContext) -> T | None:
            return ctx.guarded(source, service, lambda: get(ctx.client(service, region=region)))

        return self.start(guarded_read)


@contextlib.contextmanager
def branch_pool(ctx: CollectContext, max_workers: int) -> Iterator[BranchPool]:
    """A pool for one investigation's reads; on an error, reads not yet started are dropped."""
    executor = ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="collect")
    try:
        yield BranchPool(ctx, executor)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
