"""Opening SQLite connections with the PRAGMAs every connection must carry."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from appliance.config import DatabaseConfig


def pragmas(config: DatabaseConfig) -> list[str]:
    return [
        f"PRAGMA busy_timeout = {int(config.busy_timeout_ms)}",
        "PRAGMA foreign_keys = ON",
        f"PRAGMA synchronous = {config.synchronous}",
        f"PRAGMA cache_size = {-1024 * int(config.cache_size_mib)}",
        "PRAGMA temp_store = MEMORY",
    ]


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
    for statement in pragmas(config):
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
