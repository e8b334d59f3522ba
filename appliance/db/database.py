"""The database handle the server owns: one group-commit writer and a pool of readers.

Writes are plain functions `fn(conn) -> T` that run on the writer thread. The writer takes
everything queued, runs each function inside its own SAVEPOINT of one transaction, commits
once, then wakes every caller: what a caller was told is committed is on disk (group commit).
A function that raises rolls back only its own savepoint; its caller gets the exception.
Upkeep (WAL checkpoints, planner statistics) also runs on the writer thread, between group
commits and outside any transaction, so it never races a write of ours.

Reads go through read-only aiosqlite connections. The writer is a thread of its own rather
than an aiosqlite connection because a batch must run many statements as one unit without
a thread hop per statement.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from appliance.config import DatabaseConfig
from appliance.db import migrations, upkeep
from appliance.db.connection import open_connection, pragmas

T = TypeVar("T")
log = logging.getLogger("almanac.db")

WriteFn = Callable[[sqlite3.Connection], Any]


@dataclass(slots=True)
class _Job:
    fn: WriteFn
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop
    bare: bool = False  # upkeep: runs alone, outside a transaction


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.cancelled():
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


class Writer:
    """The one writer: a thread that drains a queue of jobs into group commits."""

    def __init__(self, conn: sqlite3.Connection, max_batch: int) -> None:
        self._conn = conn
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="almanac-writer", daemon=True)
        self.commits = 0
        self.jobs = 0

    def start(self) -> None:
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def submit(self, fn: WriteFn, *, bare: bool = False) -> asyncio.Future[Any]:
        """Queue `fn(conn)`: in the next group commit, or with `bare` alone after it, outside
        any transaction (for statements that cannot run in one, such as a WAL checkpoint)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        if not self._thread.is_alive():
            future.set_exception(RuntimeError("the database writer is stopped"))
            return future
        self._queue.put(_Job(fn, future, loop, bare))
        return future

    def stop(self) -> None:
        """Drain what is queued, commit it, and end the thread."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                stopping = True
                batch: list[_Job] = []
            else:
                batch = [first]
            # After the stop sentinel keep draining: nothing queued before the stop is lost.
            while stopping or len(batch) < self._max_batch:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stopping = True
                else:
                    batch.append(job)
                if len(batch) >= self._max_batch:
                    self._commit(batch)
                    batch = []
            if batch:
                self._commit(batch)

    def _commit(self, batch: list[_Job]) -> None:
        writes = [job for job in batch if not job.bare]
        if writes:
            self._group_commit(writes)
        for job in batch:
            if job.bare:
                self._run_bare(job)

    def _run_bare(self, job: _Job) -> None:
        try:
            ok, value = True, job.fn(self._conn)
        except BaseException as exc:  # the caller gets it; the writer goes on
            ok, value = False, exc
        if self._conn.in_transaction:  # a bare job must not leave one open for the next batch
            self._conn.execute("ROLLBACK")
        job.loop.call_soon_threadsafe(_settle, job.future, ok, value)

    def _group_commit(self, batch: list[_Job]) -> None:
        conn = self._conn
        outcomes: list[tuple[bool, Any]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for job in batch:
                conn.execute("SAVEPOINT job")
                try:
                    result = job.fn(conn)
                except BaseException as exc:  # the caller gets it; the batch goes on
                    conn.execute("ROLLBACK TO job")
                    conn.execute("RELEASE job")
                    outcomes.append((False, exc))
                else:
                    conn.execute("RELEASE job")
                    outcomes.append((True, result))
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            log.exception("group commit failed; %d writes rolled back", len(batch))
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            outcomes = [(False, exc)] * len(batch)
        self.commits += 1
        self.jobs += len(batch)
        for job, (ok, value) in zip(batch, outcomes, strict=True):
            job.loop.call_soon_threadsafe(_settle, job.future, ok, value)


class Database:
    """Owns the writer and the readers of one SQLite file. Open with `await db.open()`."""

    def __init__(self, path: Path, config: DatabaseConfig) -> None:
        self.path = path
        self.config = config
        self._writer: Writer | None = None
        self._readers: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self._all_readers: list[aiosqlite.Connection] = []

    async def open(self, *, data_dir: Path | None = None) -> list[migrations.Migration]:
        """Migrate, refresh the planner's statistics, start the writer, open the readers. Returns the
        migrations applied."""
        conn = await asyncio.to_thread(open_connection, self.path, self.config)
        try:
            applied = await asyncio.to_thread(migrations.migrate, conn, data_dir)
            await asyncio.to_thread(upkeep.optimize, conn)
        except BaseException:
            conn.close()
            raise
        self._writer = Writer(conn, self.config.max_batch)
        self._writer.start()
        uri = f"{self.path.resolve().as_uri()}?mode=ro"
        for _ in range(self.config.readers):
            reader = await aiosqlite.connect(uri, uri=True, isolation_level=None)
            reader.row_factory = sqlite3.Row
            for statement in pragmas(self.config, reader=True):
                await reader.execute(statement)
            self._all_readers.append(reader)
            self._readers.put_nowait(reader)
        return applied

    async def close(self) -> None:
        """Drain queued writes, checkpoint the WAL into the main file, close everything."""
        for reader in self._all_readers:
            await reader.close()
        self._all_readers.clear()
        writer, self._writer = self._writer, None
        if writer is not None:
            await asyncio.to_thread(writer.stop)
            await asyncio.to_thread(self._checkpoint_and_close, writer._conn)

    @staticmethod
    def _checkpoint_and_close(conn: sqlite3.Connection) -> None:
        try:
            with contextlib.suppress(sqlite3.Error):  # statistics are a nicety; the checkpoint is not
                conn.execute("PRAGMA optimize")  # as SQLite advises before closing a connection
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()

    @property
    def writer(self) -> Writer:
        if self._writer is None:
            raise RuntimeError("the database is not open")
        return self._writer

    async def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(conn)` in the next group commit and return its result once committed."""
        result: T = await self.writer.submit(fn)
        return result

    async def upkeep(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(conn)` on the writer's connection between group commits, outside a transaction."""
        result: T = await self.writer.submit(fn, bare=True)
        return result

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[aiosqlite.Connection]:
        conn = await self._readers.get()
        try:
            yield conn
        finally:
            self._readers.put_nowait(conn)

    async def fetchall(self, sql: str, params: Iterable[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        async with self.reader() as conn:
            rows = await conn.execute_fetchall(sql, params)
        return list(rows)

    async def fetchone(self, sql: str, params: Iterable[Any] | dict[str, Any] = ()) -> sqlite3.Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def healthy(self) -> bool:
        try:
            row = await self.fetchone("SELECT 1")
        except sqlite3.Error:
            return False
        return row is not None and self._writer is not None and self._writer.alive
