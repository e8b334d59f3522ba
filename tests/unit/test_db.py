"""Storage: migrations, the group-commit writer, and the read-only readers, on real SQLite files."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import AsyncExitStack, closing
from pathlib import Path
from typing import Any, TypeVar

import pytest

from appliance.config import Config
from appliance.db import Database, migrations, open_connection
from appliance.db.migrations import Migration, MigrationError
from tests.support import open_database
from tests.support import test_config as config_on

T = TypeVar("T")
FOUNDATION_TABLES = {"users", "api_tokens", "login_sessions", "sites", "memberships", "invitations"}


@pytest.fixture
def conn(config: Config) -> Iterator[sqlite3.Connection]:
    """A read-write connection on a fresh database file, closed after the test."""
    with closing(open_connection(config.database_path, config.database)) as connection:
        yield connection


def tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def extra(sql: str) -> list[Migration]:
    """The shipped migrations plus one more, as a later release would ship it."""
    shipped = migrations.available()
    number = len(shipped) + 1
    return [*shipped, Migration(number, f"{number:04d}_extra.sql", sql)]


def run(scenario: Callable[[], Coroutine[Any, Any, T]]) -> T:
    return asyncio.run(scenario())


# Migrations


def test_shipped_migrations_are_numbered_from_one() -> None:
    shipped = migrations.available()

    assert [m.number for m in shipped] == list(range(1, len(shipped) + 1))
    assert shipped[0].name == "0001_foundation.sql"


def test_migrating_an_empty_database(conn: sqlite3.Connection, config: Config) -> None:
    applied = migrations.migrate(conn, config.data_path)

    assert applied == migrations.available()
    assert migrations.current_version(conn) == len(applied)
    assert tables(conn) >= FOUNDATION_TABLES
    assert migrations.pending(conn) == []
    assert migrations.migrate(conn, config.data_path) == []  # a second start does nothing
    # An empty database has nothing worth a backup.
    assert not (config.data_path / "backups").exists()


def test_foundation_creates_exactly_its_tables(conn: sqlite3.Connection) -> None:
    migrations.migrate(conn, known=migrations.available()[:1])

    assert migrations.current_version(conn) == 1
    assert tables(conn) == FOUNDATION_TABLES


def test_upgrading_an_existing_database_backs_it_up_first(conn: sqlite3.Connection, config: Config) -> None:
    migrations.migrate(conn, config.data_path)
    old = migrations.current_version(conn)
    conn.execute("INSERT INTO users (email, password_hash, created_at) VALUES ('a@example.com', 'x', 1)")

    applied = migrations.migrate(
        conn, config.data_path, extra("CREATE TABLE extra (id INTEGER PRIMARY KEY, note TEXT);")
    )

    assert [m.number for m in applied] == [old + 1]
    assert migrations.current_version(conn) == old + 1
    assert "extra" in tables(conn)
    [backup] = (config.data_path / "backups").iterdir()
    assert backup.name.startswith(f"almanac-v{old}-") and backup.suffix == ".db"
    with closing(sqlite3.connect(backup)) as copy:
        assert migrations.current_version(copy) == old
        assert "extra" not in tables(copy)
        assert copy.execute("SELECT email FROM users").fetchall() == [("a@example.com",)]
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_failing_migration_leaves_the_database_unchanged(conn: sqlite3.Connection, config: Config) -> None:
    migrations.migrate(conn, config.data_path)
    old = migrations.current_version(conn)
    conn.execute("INSERT INTO users (email, password_hash, created_at) VALUES ('a@example.com', 'x', 1)")
    before = tables(conn)

    with pytest.raises(MigrationError) as caught:
        migrations.migrate(
            conn,
            config.data_path,
            extra(
                "CREATE TABLE extra (id INTEGER PRIMARY KEY);\n"
                "DELETE FROM users;\n"
                "INSERT INTO no_such_table VALUES (1);"
            ),
        )

    assert str(caught.value) == "migration failed, database left unchanged: no such table: no_such_table"
    assert not conn.in_transaction
    assert migrations.current_version(conn) == old
    assert tables(conn) == before
    assert [tuple(r) for r in conn.execute("SELECT email FROM users")] == [("a@example.com",)]


def test_a_database_newer_than_the_code_is_refused(conn: sqlite3.Connection) -> None:
    newer = len(migrations.available()) + 1
    conn.execute(f"PRAGMA user_version = {newer}")

    with pytest.raises(MigrationError) as caught:
        migrations.migrate(conn)

    assert str(caught.value) == (
        f"the database is at version {newer}, newer than this Almanac knows "
        f"({len(migrations.available())}); upgrade Almanac"
    )


# The group-commit writer


def hold(db: Database) -> tuple[threading.Event, asyncio.Future[Any]]:
    """Occupy the writer with a job that waits: whatever is queued meanwhile forms the next batch."""
    started, release = threading.Event(), threading.Event()

    def wait(conn: sqlite3.Connection) -> None:
        started.set()
        release.wait(10)

    held = db.writer.submit(wait)
    assert started.wait(10)
    return release, held


def insert_note(text: str) -> Callable[[sqlite3.Connection], int]:
    def write(conn: sqlite3.Connection) -> int:
        rowid = conn.execute("INSERT INTO notes (text) VALUES (?)", (text,)).lastrowid
        assert rowid is not None
        return rowid

    return write


async def notes_table(db: Database) -> None:
    await db.write(lambda conn: conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)"))


def notes(config: Config) -> list[str]:
    with closing(sqlite3.connect(config.database_path)) as conn:
        return [r[0] for r in conn.execute("SELECT text FROM notes ORDER BY id")]


def test_concurrent_writes_share_transactions(config: Config) -> None:
    async def scenario() -> tuple[list[int], int, int]:
        async with open_database(config) as db:
            await notes_table(db)
            before = db.writer.commits
            results = await asyncio.gather(*(db.write(insert_note(f"n{i}")) for i in range(200)))
            return results, db.writer.commits - before, db.writer.jobs

    results, commits, _ = run(scenario)

    assert results == list(range(1, 201))
    assert commits < 200
    assert notes(config) == [f"n{i}" for i in range(200)]


def test_queued_writes_commit_in_batches_of_max_batch(tmp_path: Path) -> None:
    config = config_on(tmp_path / "data", database={"max_batch": 10})

    async def scenario() -> tuple[list[int], int, int]:
        async with open_database(config) as db:
            await notes_table(db)
            commits, jobs = db.writer.commits, db.writer.jobs
            release, held = hold(db)
            writes = [asyncio.ensure_future(db.write(insert_note(f"n{i}"))) for i in range(95)]
            await asyncio.sleep(0)  # each task runs up to its submit: all 95 are queued
            release.set()
            await held
            results = await asyncio.gather(*writes)
            return results, db.writer.commits - commits, db.writer.jobs - jobs

    results, commits, jobs = run(scenario)

    assert results == list(range(1, 96))
    assert (commits, jobs) == (1 + 10, 1 + 95)  # the held job alone, then 9 batches of 10 and one of 5


def test_a_failing_write_fails_alone(config: Config) -> None:
    def insert_then_fail(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO notes (text) VALUES ('partial')")
        raise ValueError("no good")

    async def scenario() -> tuple[list[Any], int]:
        async with open_database(config) as db:
            await notes_table(db)
            release, held = hold(db)
            commits = db.writer.commits
            writes = [
                asyncio.ensure_future(db.write(fn))
                for fn in (insert_note("before"), insert_then_fail, insert_note("after"))
            ]
            await asyncio.sleep(0)
            release.set()
            await held
            outcomes = await asyncio.gather(*writes, return_exceptions=True)
            return outcomes, db.writer.commits - commits

    outcomes, commits = run(scenario)

    assert outcomes[0] == 1
    assert isinstance(outcomes[1], ValueError) and str(outcomes[1]) == "no good"
    assert outcomes[2] == 2  # the failed job's row was rolled back, so its rowid is free again
    assert commits == 2  # the held job, then all three in one transaction
    assert notes(config) == ["before", "after"]


def test_foreign_keys_are_enforced_by_the_writer(config: Config) -> None:
    def orphan_membership(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO memberships (site_id, user_id, role, created_at) VALUES (42, 42, 'owner', 0)"
        )

    async def scenario() -> None:
        async with open_database(config) as db:
            await db.write(orphan_membership)

    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY constraint failed"):
        run(scenario)


def test_close_drains_queued_writes(config: Config) -> None:
    async def scenario() -> list[Any]:
        db = Database(config.database_path, config.database)
        await db.open()
        await notes_table(db)
        release, held = hold(db)
        writes = [asyncio.ensure_future(db.write(insert_note(f"n{i}"))) for i in range(50)]
        await asyncio.sleep(0)
        closing_task = asyncio.ensure_future(db.close())
        await asyncio.sleep(0.05)  # close() is now waiting for the writer to drain
        assert not closing_task.done()
        release.set()
        await closing_task
        await held
        return list(await asyncio.gather(*writes))

    assert run(scenario) == list(range(1, 51))
    assert notes(config) == [f"n{i}" for i in range(50)]
    # close() checkpointed the WAL into the main file.
    assert not config.database_path.with_name("almanac.db-wal").exists()


def test_writing_to_a_closed_database_fails(config: Config) -> None:
    async def scenario() -> None:
        async with open_database(config) as db:
            pass
        await db.write(lambda conn: None)

    with pytest.raises(RuntimeError, match="the database is not open"):
        run(scenario)


def test_every_connection_has_wal_and_foreign_keys(config: Config) -> None:
    query = "SELECT * FROM pragma_journal_mode, pragma_foreign_keys, pragma_synchronous, pragma_busy_timeout"

    async def scenario() -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
        async with open_database(config) as db:
            writer = await db.write(lambda conn: tuple(conn.execute(query).fetchone()))
            async with AsyncExitStack() as stack:
                readers = [
                    await stack.enter_async_context(db.reader()) for _ in range(config.database.readers)
                ]
                assert len({id(r) for r in readers}) == config.database.readers
                seen = []
                for reader in readers:
                    [row] = await reader.execute_fetchall(query)
                    seen.append(tuple(row))
            return writer, seen

    writer, readers = run(scenario)

    # synchronous 2 is FULL, the default.
    assert writer == ("wal", 1, 2, 5000)
    assert readers == [("wal", 1, 2, 5000)] * config.database.readers


def test_readers_are_read_only(config: Config) -> None:
    async def scenario() -> None:
        async with open_database(config) as db, db.reader() as reader:
            await reader.execute(
                "INSERT INTO users (email, password_hash, created_at) VALUES ('x@y.z', 'x', 1)"
            )

    with pytest.raises(sqlite3.OperationalError, match="attempt to write a readonly database"):
        run(scenario)
