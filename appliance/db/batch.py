"""Coalesced writes: many small inserts as one writer job, still answered only after COMMIT.

The writer runs each job in a SAVEPOINT of its own, which costs two statements per job and
a Python call per row. For a stream of small validated inserts (tracking events) that is
most of the work, so `Coalescer` queues the items on the event loop and, while one job of
them is in flight, gathers the next ones; when it returns, everything gathered becomes one
job, built by `prepare` at that moment. Each caller is woken after the COMMIT of the job
that carried its item, with that item's own outcome: a failed item fails only its caller
when `prepare`'s job reports outcomes per item.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from appliance.db.database import Database

I = TypeVar("I")  # noqa: E741
R = TypeVar("R")

# What a job returns for each item, in order: its result, or the exception that failed it.
Outcomes = Sequence[object]
Job = Callable[[sqlite3.Connection], Outcomes]


class Coalescer(Generic[I, R]):
    """Queue items; one writer job at a time carries everything queued since the last one."""

    def __init__(self, db: Database, prepare: Callable[[list[I]], Job]) -> None:
        self._db = db
        self._prepare = prepare
        self._items: list[I] = []
        self._futures: list[asyncio.Future[R]] = []
        self._in_flight = False
        self._idle = asyncio.Event()
        self._idle.set()
        self.jobs = 0

    async def add(self, item: I) -> R:
        """Queue `item`; return its outcome once the job that carries it has committed."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._items.append(item)
        self._futures.append(future)
        if not self._in_flight:
            self._idle.clear()  # while a job is in flight it is clear already
            self._submit()
        return await future

    @property
    def pending(self) -> int:
        return len(self._items)

    async def idle(self) -> None:
        """Wait until every queued item has been written (or has failed)."""
        await self._idle.wait()

    def _submit(self) -> None:
        items, futures = self._items, self._futures
        self._items, self._futures = [], []
        self._in_flight = True
        try:
            job = self._prepare(items)
        except Exception as exc:  # a bug in prepare fails these callers, never the loop
            self._settle(futures, exc)
            return
        self.jobs += 1
        self._db.writer.submit(job).add_done_callback(lambda done: self._settle(futures, done))

    def _settle(self, futures: list[asyncio.Future[R]], done: asyncio.Future[Outcomes] | Exception) -> None:
        self._in_flight = False
        if isinstance(done, Exception):
            outcomes: Outcomes = [done] * len(futures)
        elif done.cancelled():
            outcomes = [asyncio.CancelledError()] * len(futures)
        elif (error := done.exception()) is not None:
            outcomes = [error] * len(futures)
        else:
            outcomes = done.result()
            if len(outcomes) != len(futures):  # a bug in the job: fail its callers, never hang them
                outcomes = [RuntimeError(f"{len(outcomes)} outcomes for {len(futures)} items")] * len(futures)
        for future, outcome in zip(futures, outcomes, strict=True):
            if future.done():
                continue
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)  # type: ignore[arg-type]
        if self._items:
            self._submit()
        else:
            self._idle.set()
