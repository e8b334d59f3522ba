"""One reader held in one read transaction: every query of an answer sees the same data."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite

from appliance.db import Database


class Snapshot:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def fetchall(self, sql: str, params: dict[str, Any]) -> list[sqlite3.Row]:
        return list(await self._conn.execute_fetchall(sql, params))


@asynccontextmanager
async def snapshot(db: Database) -> AsyncIterator[Snapshot]:
    """A reader in BEGIN ... COMMIT (read only: COMMIT just ends the snapshot)."""
    async with db.reader() as conn:
        await conn.execute("BEGIN")
        try:
            yield Snapshot(conn)
        finally:
            await conn.execute("COMMIT")
