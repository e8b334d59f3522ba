"""Coalesced writes: many items, few jobs, each caller answered after the COMMIT that carried its item."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from appliance.config import Config
from appliance.db import Database
from appliance.db.batch import Coalescer, Job
from tests import support
from tests.support import open_database


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return support.test_config(tmp_path / "data")


def prepare(items: list[int]) -> Job:
    """Insert each item; a negative one fails alone (a nested savepoint per item)."""

    def job(conn: sqlite3.Connection) -> list[object]:
        outcomes: list[object] = []
        for item in items:
            conn.execute("SAVEPOINT item")
            try:
                if item < 0:
                    raise ValueError(f"bad item {item}")
                conn.execute("INSERT INTO numbers (n) VALUES (?)", (item,))
                outcomes.append(item * 10)
            except ValueError as exc:
                conn.execute("ROLLBACK TO item")
                outcomes.append(exc)
            conn.execute("RELEASE item")
        return outcomes

    return job


async def with_table(db: Database) -> None:
    await db.write(lambda conn: conn.execute("CREATE TABLE numbers (n INTEGER)"))


def committed(config: Config) -> list[int]:
    conn = sqlite3.connect(config.database_path)
    try:
        return [n for (n,) in conn.execute("SELECT n FROM numbers ORDER BY n")]
    finally:
        conn.close()


def test_items_queued_during_a_write_go_together_into_the_next(config: Config) -> None:
    async def main() -> tuple[list[object], int]:
        async with open_database(config) as db:
            await with_table(db)
            batch: Coalescer[int, int] = Coalescer(db, prepare)
            results = await asyncio.gather(*(batch.add(n) for n in range(1, 51)), return_exceptions=True)
            return list(results), batch.jobs

    results, jobs = asyncio.run(main())

    assert results == [n * 10 for n in range(1, 51)]
    assert jobs == 2  # the first item alone, then the 49 queued while it committed
    assert committed(config) == list(range(1, 51))


def test_a_failed_item_fails_only_its_caller(config: Config) -> None:
    async def main() -> list[object]:
        async with open_database(config) as db:
            await with_table(db)
            batch: Coalescer[int, int] = Coalescer(db, prepare)
            return list(await asyncio.gather(*(batch.add(n) for n in (1, -2, 3)), return_exceptions=True))

    one, two, three = asyncio.run(main())

    assert (one, three) == (10, 30)
    assert isinstance(two, ValueError)
    assert committed(config) == [1, 3]


def test_callers_are_answered_after_the_commit(config: Config) -> None:
    seen: list[tuple[int, list[int]]] = []

    async def main() -> None:
        async with open_database(config) as db:
            await with_table(db)
            batch: Coalescer[int, int] = Coalescer(db, prepare)

            async def add_and_look(n: int) -> None:
                await batch.add(n)
                seen.append((n, committed(config)))  # another connection sees it: it is committed

            await asyncio.gather(*(add_and_look(n) for n in range(1, 6)))
            await batch.idle()
            assert batch.pending == 0

    asyncio.run(main())

    assert len(seen) == 5
    assert all(n in visible for n, visible in seen)


def test_a_failing_job_fails_every_caller_in_it(config: Config) -> None:
    def broken(items: list[int]) -> Job:
        def job(conn: sqlite3.Connection) -> list[object]:
            raise sqlite3.OperationalError("disk on fire")

        return job

    async def main() -> list[object]:
        async with open_database(config) as db:
            batch: Coalescer[int, int] = Coalescer(db, broken)
            results = await asyncio.gather(*(batch.add(n) for n in range(3)), return_exceptions=True)
            await batch.idle()
            return list(results)

    results = asyncio.run(main())

    assert [type(r) for r in results] == [sqlite3.OperationalError] * 3
