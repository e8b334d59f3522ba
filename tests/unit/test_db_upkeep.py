"""Database upkeep on real SQLite files: WAL checkpoints, planner statistics, each connection's PRAGMAs."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from appliance.config import Config
from appliance.db import Database, upkeep
from appliance.db.connection import WAL_SIZE_LIMIT, cache_kib
from tests.support import open_database
from tests.support import test_config as config_on

MIB = 1024 * 1024


def wal_size(config: Config) -> int:
    path = config.database_path.with_name("almanac.db-wal")
    return path.stat().st_size if path.exists() else 0


async def blobs_table(db: Database) -> None:
    await db.write(lambda conn: conn.execute("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB)"))


async def write_blobs(db: Database, count: int) -> None:
    """`count` writes of 64 KiB each, one commit apiece: about `count` * 64 KiB of WAL."""
    for _ in range(count):
        await db.write(lambda conn: conn.execute("INSERT INTO blobs (data) VALUES (?)", (os.urandom(65536),)))


def test_the_checkpoint_job_shrinks_a_wal_that_a_long_read_let_grow(config: Config) -> None:
    async def scenario() -> tuple[int, upkeep.Checkpoint, int, upkeep.Checkpoint, int]:
        async with open_database(config) as db:
            await blobs_table(db)
            async with db.reader() as reader:
                # A long read keeps its snapshot: no checkpoint may copy past it, so the WAL grows.
                await reader.execute("BEGIN")
                await reader.execute_fetchall("SELECT count(*) FROM blobs")
                await write_blobs(db, 60)
                grown = wal_size(config)
                started = time.monotonic()
                held = await upkeep.checkpoint_wal(db, limit=MIB)
                assert time.monotonic() - started < 1.0  # PASSIVE: it does not wait for the reader
                size_while_held = wal_size(config)
                await reader.execute("COMMIT")
            done = await upkeep.checkpoint_wal(db, limit=MIB)
            return grown, held, size_while_held, done, wal_size(config)

    grown, held, size_while_held, done, size_after = asyncio.run(scenario())

    assert grown > 3 * MIB
    assert held.copied_pages < held.wal_pages and not held.truncated
    assert size_while_held == grown
    assert done == upkeep.Checkpoint(
        busy=False, wal_pages=done.wal_pages, copied_pages=done.wal_pages, truncated=True
    )
    assert size_after == 0


def test_the_checkpoint_job_leaves_a_small_wal_alone(config: Config) -> None:
    async def scenario() -> tuple[upkeep.Checkpoint, int]:
        async with open_database(config) as db:
            await blobs_table(db)
            await write_blobs(db, 4)
            return await upkeep.checkpoint_wal(db), wal_size(config)

    done, size = asyncio.run(scenario())

    assert (done.busy, done.copied_pages == done.wal_pages, done.truncated) == (False, True, False)
    assert 0 < size < WAL_SIZE_LIMIT  # copied, and kept for reuse


def test_upkeep_runs_outside_a_transaction_and_a_failure_reaches_only_its_caller(config: Config) -> None:
    def fails(conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN")
        raise ValueError("no good")

    async def scenario() -> tuple[bool, Any, int]:
        async with open_database(config) as db:
            await blobs_table(db)
            in_transaction = await db.upkeep(lambda conn: conn.in_transaction)
            failed = await asyncio.gather(db.upkeep(fails), return_exceptions=True)
            await write_blobs(db, 1)  # the writer goes on, not left inside the failed job's BEGIN
            return in_transaction, failed[0], await db.upkeep(lambda conn: conn.in_transaction)

    in_transaction, failed, after = asyncio.run(scenario())

    assert in_transaction is False and after is False
    assert isinstance(failed, ValueError)


def statistics(config: Config) -> set[str]:
    with sqlite3.connect(config.database_path) as conn:
        return {r[0] for r in conn.execute("SELECT idx FROM sqlite_stat1 WHERE tbl = 'blobs'")}


def test_opening_and_the_hourly_job_give_the_planner_statistics(config: Config) -> None:
    async def fill() -> set[str]:
        async with open_database(config) as db:
            await blobs_table(db)
            await db.write(lambda conn: conn.execute("CREATE INDEX blobs_data ON blobs (data)"))
            await write_blobs(db, 3)
            before = await db.fetchall("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
            assert before == [] or statistics(config) == set()  # nothing analysed yet
            await upkeep.optimize_planner(db)
            return statistics(config)

    async def reopen() -> None:
        async with open_database(config):
            pass

    assert asyncio.run(fill()) == {"blobs_data"}
    with sqlite3.connect(config.database_path) as conn:
        conn.execute("DELETE FROM sqlite_stat1")
    asyncio.run(reopen())
    assert statistics(config) == {"blobs_data"}  # analysed again on open, after migrations


def test_each_connection_has_its_share_of_the_page_cache(tmp_path: Path) -> None:
    config = config_on(tmp_path / "data", database={"cache_size_mib": 96, "readers": 4})
    query = "SELECT * FROM pragma_cache_size, pragma_journal_size_limit, pragma_temp_store"

    async def scenario() -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
        async with open_database(config) as db:
            writer = await db.write(lambda conn: tuple(conn.execute(query).fetchone()))
            readers = []
            async with AsyncExitStack() as stack:
                for _ in range(config.database.readers):  # all of them at once: each one once
                    reader = await stack.enter_async_context(db.reader())
                    [row] = await reader.execute_fetchall(query)
                    readers.append(tuple(row))
            return writer, readers

    writer, readers = asyncio.run(scenario())

    # Negative cache sizes are KiB: 48 MiB for the writer, 12 MiB for each of the 4 readers.
    assert writer == (-48 * 1024, WAL_SIZE_LIMIT, 2)
    assert [r[0] for r in readers] == [-12 * 1024] * 4
    assert cache_kib(config.database, reader=False) + 4 * cache_kib(config.database, reader=True) == 96 * 1024
