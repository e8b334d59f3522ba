"""Numbered SQL migrations in `migrations/NNNN_name.sql`, tracked by PRAGMA user_version.

All pending migrations are applied in one transaction, together with the new user_version,
so a database is either fully upgraded or left exactly as it was. An existing database
is copied to `backups/` in the data directory before it is migrated.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from appliance.clock import now_ms

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Migration:
    number: int
    name: str
    sql: str


class MigrationError(Exception):
    pass


def available() -> list[Migration]:
    """Every migration shipped with the package, in order."""
    found = []
    for entry in resources.files("appliance.db").joinpath("migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.number)
    numbers = [m.number for m in found]
    if numbers != list(range(1, len(found) + 1)):
        raise MigrationError(f"migrations are not numbered 1..n without gaps: {numbers}")
    return found


def current_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def pending(conn: sqlite3.Connection, known: list[Migration] | None = None) -> list[Migration]:
    """The migrations of `known` (default: those shipped) that the database has not had yet."""
    version = current_version(conn)
    migrations = available() if known is None else known
    if version > len(migrations):
        raise MigrationError(
            f"the database is at version {version}, newer than this Almanac knows ({len(migrations)}); "
            "upgrade Almanac"
        )
    return migrations[version:]


def backup_before_migrating(conn: sqlite3.Connection, data_dir: Path) -> Path:
    """A consistent copy of the database as it is now, named after the version it holds."""
    folder = data_dir / "backups"
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / f"almanac-v{current_version(conn)}-{now_ms()}.db"
    conn.execute("VACUUM INTO ?", (str(dest),))
    return dest


def migrate(
    conn: sqlite3.Connection, data_dir: Path | None = None, known: list[Migration] | None = None
) -> list[Migration]:
    """Apply every pending migration in one transaction; return what was applied.

    `known` replaces the shipped list, for tests of upgrades and failed upgrades.
    """
    todo = pending(conn, known)
    if not todo:
        return []
    if data_dir is not None and current_version(conn) > 0:
        backup_before_migrating(conn, data_dir)
    script = "\n;\n".join(m.sql for m in todo)
    # executescript() would commit on its own first; we hold BEGIN/COMMIT ourselves so the
    # schema changes and user_version land together or not at all.
    try:
        conn.executescript(
            f"BEGIN IMMEDIATE;\n{script}\n;\nPRAGMA user_version = {todo[-1].number};\nCOMMIT;"
        )
    except sqlite3.Error as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise MigrationError(f"migration failed, database left unchanged: {exc}") from exc
    return todo
