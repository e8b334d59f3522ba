"""Opening SQLite connections with the PRAGMAs every connection must carry."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from appliance.config import DatabaseConfig

# After a checkpoint, the next write cuts the WAL file back to this size (SQLite reuses the file
# rather than shrinking it, so one burst would otherwise keep its high-water mark on disk).
WAL_SIZE_LIMIT = 64 * 1024 * 1024


def cache_kib(config: DatabaseConfig, *, reader: bool) -> int:
    """The page cache of one connection, in KiB.

    `cache_size_mib` bounds the caches of all connections together: the writer, which touches
    every index that a batch of writes updates, gets half; the readers share the other half.
    """
    total = int(config.cache_size_mib) * 1024
    writer = total // 2
    return (total - writer) // config.readers if reader else writer


def pragmas(config: DatabaseConfig, *, reader: bool = False) -> list[str]:
    """What every connection sets; the writer also bounds the WAL file it leaves behind."""
    statements = [
        f"PRAGMA busy_timeout = {int(config.busy_timeout_ms)}",
        "PRAGMA foreign_keys = ON",
        f"PRAGMA synchronous = {config.synchronous}",
        f"PRAGMA cache_size = {-cache_kib(config, reader=reader)}",
        "PRAGMA temp_store = MEMORY",
    ]
    if not reader:
        statements.append(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")
    return statements


def open_connection(path: Path, config: DatabaseConfig, *, readonly: bool = False) -> sqlite3.Connection:
    """A connection in autocommit mode (we BEGIN explicitly), rows as sqlite3.Row.

    The writable one also switches the file to WAL, which persists in the file.
    """
    if readonly:
        conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
        )
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode = WAL")
    conn.row_factory = sqlite3.Row
    for statement in pragmas(config, reader=readonly):
        conn.execute(statement)
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection, *, immediate: bool = True) -> Iterator[sqlite3.Connection]:
    """BEGIN ... COMMIT, or ROLLBACK on any exception. For the CLI and migrations."""
    conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
