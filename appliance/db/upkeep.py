"""Database upkeep: WAL checkpoints and the query planner's statistics.

Both run on the writer's connection, between group commits and outside any transaction
(`Database.upkeep`), so they never wait on a write of ours and never hold readers up: a PASSIVE
checkpoint copies what no reader still needs and leaves the rest for the next one.

- SQLite checkpoints by itself when a commit finds the WAL past 1000 pages, but a checkpoint
  cannot copy the pages that a long read still sees, and the WAL file keeps its high-water mark.
  `checkpoint` runs a PASSIVE checkpoint every minute and, once the WAL is fully copied into the
  database, truncates a WAL file grown past `WAL_SIZE_LIMIT`.
- The planner picks indexes by the statistics that ANALYZE leaves in `sqlite_stat1`. `optimize`
  refreshes them, sampling at most `ANALYSIS_LIMIT` rows of each index so that it stays quick
  on a large database; readers load the new statistics at their next query.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from appliance.db.connection import WAL_SIZE_LIMIT

if TYPE_CHECKING:
    from appliance.db.database import Database

ANALYSIS_LIMIT = 1000
# Before 3.46, PRAGMA optimize only looks at the tables this connection has queried, and the
# writer does not run the dashboards' queries: there, a bounded ANALYZE does the same job.
OPTIMIZE_ALL_TABLES = sqlite3.sqlite_version_info >= (3, 46, 0)


class Checkpoint(msgspec.Struct, frozen=True, kw_only=True):
    """What a checkpoint did: WAL pages before it, pages copied, and whether the file was cut."""

    busy: bool
    wal_pages: int
    copied_pages: int
    truncated: bool


def wal_path(conn: sqlite3.Connection) -> Path | None:
    """The WAL file of the connection's main database (None for an in-memory one)."""
    row = conn.execute("SELECT file FROM pragma_database_list WHERE name = 'main'").fetchone()
    return Path(f"{row[0]}-wal") if row and row[0] else None


def checkpoint(conn: sqlite3.Connection, limit: int = WAL_SIZE_LIMIT) -> Checkpoint:
    """A PASSIVE checkpoint; then, if it copied everything and the WAL file is over `limit`
    bytes, a TRUNCATE one that does not wait (all readers already read from the database)."""
    busy, wal_pages, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    path = wal_path(conn)
    size = path.stat().st_size if path is not None and path.exists() else 0
    truncated = False
    if not busy and copied == wal_pages and size > limit:
        timeout = conn.execute("PRAGMA busy_timeout").fetchone()[0]
        conn.execute("PRAGMA busy_timeout = 0")  # never keep the writer waiting for a reader
        try:
            truncated = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0
        finally:
            conn.execute(f"PRAGMA busy_timeout = {int(timeout)}")
    return Checkpoint(busy=bool(busy), wal_pages=wal_pages, copied_pages=copied, truncated=truncated)


def optimize(conn: sqlite3.Connection) -> None:
    """Refresh the planner's statistics where they are missing or stale."""
    conn.execute(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
    if OPTIMIZE_ALL_TABLES:
        conn.execute("PRAGMA optimize = 0x10002")  # every table, not only those queried here
    else:
        conn.execute("ANALYZE")


async def checkpoint_wal(db: Database, limit: int = WAL_SIZE_LIMIT) -> Checkpoint:
    """The background job: checkpoint through the writer."""
    return await db.upkeep(lambda conn: checkpoint(conn, limit))


async def optimize_planner(db: Database) -> None:
    """The background job: refresh the planner's statistics through the writer."""
    await db.upkeep(optimize)
