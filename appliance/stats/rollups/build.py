"""Building rollups: a local day at a time, in an order that keeps answers right under writes.

The refresher (and `almanac rebuild-rollups`) runs:

1. `claim` (writer job): every `rollup_dirty` row is taken away and the local days that overlap
   its slot (a UTC quarter hour) are marked pending (`rollup_days.built_at` NULL, `claim` + 1);
   so are the days built in a time zone the site no longer has, in its new zone. From here on
   queries read raw rows for them, and a crash leaves them pending for the next run instead of
   forgotten.
2. per pending day: the visitors of the day without an ordinal get one (reader, then a short
   writer job); the day's rows are computed on one reader snapshot; a writer job replaces the
   day's rollup rows and marks it built, unless the day was claimed again meanwhile (a second
   builder saw newer writes) or the site's zone changed.

A write after step 1 marks its slot dirty again, so the day is not used until it is built
again: rollups may lag the raw rows, never disagree with them.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from pyroaring import BitMap

from appliance.clock import now_ms
from appliance.db import Database, open_connection, transaction
from appliance.stats.rollups.dims import EVENT_DIMS, SESSION_DIMS, TOTAL
from appliance.stats.rollups.plan import DAY_MS, SLOT_MS, day_bounds, local_days
from appliance.stats.rollups.tally import parse_ordinals

T = TypeVar("T")
log = logging.getLogger("almanac.rollups")
MAX_ORDINAL = 2**32 - 1  # roaring bitmaps hold 32-bit integers


def _event_select(name: str) -> str:
    dim = EVENT_DIMS[name]
    context = ", ".join(f"e.{c}" for c in dim.context)
    columns = [f"e.{c}" if c in dim.context else "NULL" for c in ("country", "region")]
    where = "1" if name == TOTAL else f"{dim.value} IS NOT NULL AND {dim.kinds}"
    group = "" if name == TOTAL else f"GROUP BY {', '.join(filter(None, (context, dim.value)))}"
    value = "NULL" if name == TOTAL else dim.value
    return (
        f"SELECT '{name}' AS dim, {value} AS value, {columns[0]} AS country, {columns[1]} AS region, "
        "count(*) FILTER (WHERE e.kind = 0) AS pageviews, count(*) FILTER (WHERE e.kind = 1) AS events, "
        "coalesce(sum(e.time_on_page) FILTER (WHERE e.kind = 0), 0) AS time_total, "
        "count(e.time_on_page) FILTER (WHERE e.kind = 0) AS time_count, "
        "count(DISTINCT e.ordinal) AS visitors, group_concat(DISTINCT e.ordinal) AS ordinals "
        f"FROM day_events e WHERE {where} {group}"
    )


def _session_select(name: str) -> str:
    value = SESSION_DIMS[name]
    where = "1" if name == TOTAL else f"{value} IS NOT NULL"
    group = "" if name == TOTAL else f"GROUP BY {value}"
    return (
        f"SELECT '{name}' AS dim, {'NULL' if name == TOTAL else value} AS value, count(*) AS sessions, "
        "count(*) FILTER (WHERE s.pageviews = 1) AS bounces, coalesce(sum(s.duration), 0) AS duration, "
        "count(DISTINCT s.ordinal) AS visitors, group_concat(DISTINCT s.ordinal) AS ordinals "
        f"FROM day_sessions s WHERE {where} {group}"
    )


# The day's rows are read once (MATERIALIZED), then grouped once per dimension.
DAY_EVENTS = (
    "WITH day_events AS MATERIALIZED (SELECT e.kind, e.path, e.country, e.region, e.city, e.browser, "
    "e.os, e.device, e.screen_width, e.screen_height, e.language, e.name, e.time_on_page, "
    "o.ordinal AS ordinal FROM events e "
    "LEFT JOIN visitor_ordinals o ON o.site_id = e.site_id AND o.visitor_key = e.visitor_key "
    "WHERE e.site_id = :site AND e.ts >= :start AND e.ts < :end)\n"
    + "\nUNION ALL\n".join(_event_select(name) for name in EVENT_DIMS)
)
DAY_SESSIONS = (
    "WITH day_sessions AS MATERIALIZED (SELECT s.pageviews, s.duration, s.entry_path, s.exit_path, "
    "s.source, s.referrer_host, s.utm_source, s.utm_medium, s.utm_campaign, s.utm_content, s.utm_term, "
    "o.ordinal AS ordinal FROM sessions s "
    "LEFT JOIN visitor_ordinals o ON o.site_id = s.site_id AND o.visitor_key = s.visitor_key "
    "WHERE s.site_id = :site AND s.started_at >= :start AND s.started_at < :end)\n"
    + "\nUNION ALL\n".join(_session_select(name) for name in SESSION_DIMS)
)
MISSING_KEYS = """
SELECT visitor_key FROM (
    SELECT e.visitor_key FROM events e WHERE e.site_id = :site AND e.ts >= :start AND e.ts < :end
    UNION
    SELECT s.visitor_key FROM sessions s
    WHERE s.site_id = :site AND s.started_at >= :start AND s.started_at < :end
) AS k
WHERE NOT EXISTS (SELECT 1 FROM visitor_ordinals o WHERE o.site_id = :site AND o.visitor_key = k.visitor_key)
"""
# Custom events per property value (what the custom events list shows, from `json_each`).
DAY_PROPERTIES = """
SELECT e.name AS name, p.key AS key, p.type AS type, p.atom AS atom, count(*) AS count
FROM events e CROSS JOIN json_each(e.props) AS p
WHERE e.site_id = :site AND e.ts >= :start AND e.ts < :end AND e.kind = 1 AND e.props IS NOT NULL
GROUP BY e.name, p.key, p.type, p.atom
"""
INSERT_EVENTS = (
    "INSERT INTO rollup_events (site_id, day, dim, value, country, region, atom, pageviews, events, "
    "time_total, time_count, visitors, visitor_set) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
PROPERTIES = "prop"
EMPTY = BitMap().serialize()
INSERT_SESSIONS = (
    "INSERT INTO rollup_sessions (site_id, day, dim, value, sessions, bounces, duration, visitors, "
    "visitor_set) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# How long a local day must go without new dirt before the refresher builds it (see `claim`).
SETTLE_MS = 120_000
PENDING = (
    "INSERT INTO rollup_days (site_id, day, timezone, built_at) VALUES (?, ?, ?, NULL) "
    "ON CONFLICT (site_id, day) DO UPDATE SET timezone = excluded.timezone, built_at = NULL, "
    "claim = rollup_days.claim + 1"
)
_EVENT_DIM_LIST = ", ".join(f"'{d}'" for d in (*EVENT_DIMS, PROPERTIES))
_SESSION_DIM_LIST = ", ".join(f"'{d}'" for d in SESSION_DIMS)


@dataclass(frozen=True, slots=True)
class Pending:
    site_id: int
    day: int
    timezone: str
    claim: int = 0  # rollup_days.claim when it was read: stored only if still the same


@dataclass(frozen=True, slots=True)
class DayRows:
    events: list[tuple[object, ...]]
    sessions: list[tuple[object, ...]]


class Access(Protocol):
    """How the builder reads (on a snapshot) and writes (as one short transaction)."""

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T: ...
    async def write(self, fn: Callable[[sqlite3.Connection], T]) -> T: ...


# -- reads ------------------------------------------------------------------------------------


def missing_keys(conn: sqlite3.Connection, site_id: int, start: int, end: int) -> list[int]:
    """The visitor keys of [start, end) (events and sessions) that have no ordinal yet."""
    params = {"site": site_id, "start": start, "end": end}
    return [row[0] for row in conn.execute(MISSING_KEYS, params)]


def compute_day(conn: sqlite3.Connection, site_id: int, day: int, start: int, end: int) -> DayRows:
    """The rollup rows of local day `day` = [start, end). Visitors without an ordinal (who came
    after their ordinals were assigned, so after the claim: the day is dirty again) are left out."""
    params = {"site": site_id, "start": start, "end": end}
    events: list[tuple[object, ...]] = []
    for r in conn.execute(DAY_EVENTS, params):
        if r["dim"] == TOTAL and r["pageviews"] + r["events"] == 0:
            continue
        bitmap = parse_ordinals(r["ordinals"])
        events.append(
            (
                site_id,
                day,
                r["dim"],
                r["value"],
                r["country"],
                r["region"],
                None,
                r["pageviews"],
                r["events"],
                r["time_total"],
                r["time_count"],
                r["visitors"],
                bitmap.serialize(),
            )
        )
    for r in conn.execute(DAY_PROPERTIES, params):
        events.append(
            (
                site_id,
                day,
                PROPERTIES,
                r["name"],
                r["key"],
                r["type"],
                r["atom"],
                0,
                r["count"],
                0,
                0,
                0,
                EMPTY,
            )
        )
    sessions: list[tuple[object, ...]] = []
    for r in conn.execute(DAY_SESSIONS, params):
        if r["dim"] == TOTAL and r["sessions"] == 0:
            continue
        bitmap = parse_ordinals(r["ordinals"])
        sessions.append(
            (
                site_id,
                day,
                r["dim"],
                r["value"],
                r["sessions"],
                r["bounces"],
                r["duration"],
                r["visitors"],
                bitmap.serialize(),
            )
        )
    return DayRows(events=events, sessions=sessions)


def data_days(conn: sqlite3.Connection, site_id: int) -> list[int]:
    """The UTC days on which the site has events or sessions started."""
    sql = (
        "SELECT DISTINCT ts / 86400000 FROM events WHERE site_id = ? "
        "UNION SELECT DISTINCT started_at / 86400000 FROM sessions WHERE site_id = ?"
    )
    return [row[0] for row in conn.execute(sql, (site_id, site_id))]


# -- writer jobs ------------------------------------------------------------------------------


def _mark_pending(
    conn: sqlite3.Connection, site_id: int, timezone: str, spans: Iterable[tuple[int, int]]
) -> None:
    """Every local day of `timezone` that overlaps one of the UTC spans [start, end) is pending."""
    days: set[int] = set()
    for start, end in spans:
        days.update(local_days(timezone, start, end))
    conn.executemany(PENDING, [(site_id, day, timezone) for day in sorted(days)])


def claim(conn: sqlite3.Connection, settle_ms: int = 0) -> list[Pending]:
    """Writer job: turn dirt and days of a former time zone into pending days; return them all.

    With `settle_ms`, a local day that has dirt in a slot ending less than `settle_ms` ago is left
    dirty: it is still being written (today, on a site with traffic), so its rollup would be
    spoiled by the next hit and never read. Raw rows answer for it until it has been quiet.
    """
    stale = conn.execute(
        "SELECT r.site_id, r.day, r.timezone AS old, s.timezone AS new FROM rollup_days r "
        "JOIN sites s ON s.id = r.site_id WHERE r.timezone <> s.timezone"
    ).fetchall()
    conn.executemany("DELETE FROM rollup_days WHERE site_id = ? AND day = ?", [(r[0], r[1]) for r in stale])
    for site_id, day, old, new in stale:
        start, end = day_bounds(old, day)
        _mark_pending(conn, site_id, new, [(start, end)])
    dirty = conn.execute(
        "SELECT d.site_id, d.slot, s.timezone FROM rollup_dirty d JOIN sites s ON s.id = d.site_id"
    ).fetchall()
    if settle_ms:
        dirty = _settled(dirty, now_ms() - settle_ms)
    conn.executemany("DELETE FROM rollup_dirty WHERE site_id = ? AND slot = ?", [(r[0], r[1]) for r in dirty])
    for site_id, slot, timezone in dirty:
        _mark_pending(conn, site_id, timezone, [(slot * SLOT_MS, (slot + 1) * SLOT_MS)])
    return [
        Pending(site_id, day, timezone, claimed)
        for site_id, day, timezone, claimed in conn.execute(
            "SELECT site_id, day, timezone, claim FROM rollup_days WHERE built_at IS NULL ORDER BY site_id, day"
        )
    ]


def _settled(dirty: list[Any], quiet_since: int) -> list[Any]:
    """The dirty slots of local days none of whose dirty slots ends after `quiet_since`."""
    busy: set[tuple[int, int]] = set()
    for site_id, slot, timezone in dirty:
        if (slot + 1) * SLOT_MS > quiet_since:
            busy.update((site_id, d) for d in local_days(timezone, slot * SLOT_MS, (slot + 1) * SLOT_MS))
    return [
        row
        for row in dirty
        if not any((row[0], d) in busy for d in local_days(row[2], row[1] * SLOT_MS, (row[1] + 1) * SLOT_MS))
    ]


def mark_all(site_id: int, utc_days: list[int]) -> Callable[[sqlite3.Connection], None]:
    """Writer job: every day with data and every day built before becomes pending (a rebuild)."""

    def job(conn: sqlite3.Connection) -> None:
        row = conn.execute("SELECT timezone FROM sites WHERE id = ?", (site_id,)).fetchone()
        if row is None:
            return
        timezone = row[0]
        conn.execute(
            "UPDATE rollup_days SET built_at = NULL, claim = claim + 1 WHERE site_id = ?", (site_id,)
        )
        _mark_pending(conn, site_id, timezone, [(d * DAY_MS, (d + 1) * DAY_MS) for d in utc_days])

    return job


def assign_ordinals(site_id: int, keys: list[int]) -> Callable[[sqlite3.Connection], int]:
    """Writer job: give each key without one the next ordinals of the site; how many were given."""

    def job(conn: sqlite3.Connection) -> int:
        base = conn.execute(
            "SELECT coalesce(max(ordinal), -1) + 1 FROM visitor_ordinals WHERE site_id = ?", (site_id,)
        ).fetchone()[0]
        if base + len(keys) > MAX_ORDINAL:
            raise OverflowError(f"site {site_id} has more visitors than 32-bit ordinals can number")
        before = conn.total_changes
        conn.executemany(
            "INSERT OR IGNORE INTO visitor_ordinals (site_id, visitor_key, ordinal) VALUES (?, ?, ?)",
            [(site_id, key, base + i) for i, key in enumerate(keys)],
        )
        return conn.total_changes - before

    return job


def store_day(pending: Pending, rows: DayRows) -> Callable[[sqlite3.Connection], bool]:
    """Writer job: replace the day's rollup rows and mark it built, if it is still pending under
    the same claim, in its time zone, and that is still the site's zone (else another builder or
    the next run builds it)."""
    site_id, day, timezone = pending.site_id, pending.day, pending.timezone

    def job(conn: sqlite3.Connection) -> bool:
        found = conn.execute(
            "SELECT 1 FROM rollup_days r JOIN sites s ON s.id = r.site_id WHERE r.site_id = ? AND r.day = ? "
            "AND r.timezone = ? AND s.timezone = ? AND r.built_at IS NULL AND r.claim = ?",
            (site_id, day, timezone, timezone, pending.claim),
        ).fetchone()
        if found is None:
            return False
        conn.execute(
            f"DELETE FROM rollup_events WHERE site_id = ? AND dim IN ({_EVENT_DIM_LIST}) AND day = ?",
            (site_id, day),
        )
        conn.execute(
            f"DELETE FROM rollup_sessions WHERE site_id = ? AND dim IN ({_SESSION_DIM_LIST}) AND day = ?",
            (site_id, day),
        )
        conn.executemany(INSERT_EVENTS, rows.events)
        conn.executemany(INSERT_SESSIONS, rows.sessions)
        conn.execute(
            "UPDATE rollup_days SET built_at = ? WHERE site_id = ? AND day = ?", (now_ms(), site_id, day)
        )
        return True

    return job


# -- runs -------------------------------------------------------------------------------------


def has_work(conn: sqlite3.Connection) -> bool:
    """Whether anything is dirty, pending or built in a former zone (a read, to spare the writer)."""
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM rollup_dirty) OR EXISTS (SELECT 1 FROM rollup_days WHERE built_at IS NULL) "
        "OR EXISTS (SELECT 1 FROM rollup_days r JOIN sites s ON s.id = r.site_id WHERE r.timezone <> s.timezone)"
    ).fetchone()
    return bool(row[0])


async def build_pending(access: Access, settle_ms: int = 0) -> list[Pending]:
    """Claim dirt (of days quiet for `settle_ms`) and stale zones, then build every pending day;
    the days built."""
    built: list[Pending] = []
    if not await access.read(has_work):
        return built
    for pending in await access.write(functools.partial(claim, settle_ms=settle_ms)):
        if await build_day(access, pending):
            built.append(pending)
    return built


async def build_day(access: Access, pending: Pending) -> bool:
    site_id, day = pending.site_id, pending.day
    start, end = day_bounds(pending.timezone, day)
    keys = await access.read(lambda conn: missing_keys(conn, site_id, start, end))
    if keys:
        await access.write(assign_ordinals(site_id, keys))
    rows = await access.read(lambda conn: compute_day(conn, site_id, day, start, end))
    stored: bool = await access.write(store_day(pending, rows))
    return stored


class ServerAccess:
    """Reads on a read-only connection of the refresher's own (in a thread), writes through the
    server's group-commit writer, so ingest waits at most one short job."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._conn: sqlite3.Connection | None = None

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._conn is None:
            self._conn = await asyncio.to_thread(
                open_connection, self._db.path, self._db.config, readonly=True
            )
        return await asyncio.to_thread(_in_snapshot, self._conn, fn)

    async def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return await self._db.write(fn)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class LocalAccess:
    """One read-write connection of its own (the command line): reads and writes in turn."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return _in_snapshot(self._conn, fn)

    async def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        with transaction(self._conn):
            return fn(self._conn)


def _in_snapshot(conn: sqlite3.Connection, fn: Callable[[sqlite3.Connection], T]) -> T:
    conn.execute("BEGIN")
    try:
        return fn(conn)
    finally:
        conn.execute("COMMIT")


async def refresh(db: Database) -> list[Pending]:
    """The background job: build what changed since the last run."""
    access = ServerAccess(db)
    try:
        started = time.monotonic()
        built = await build_pending(access, SETTLE_MS)
        if built:
            log.debug("rolled up %d days in %.2f s", len(built), time.monotonic() - started)
        return built
    finally:
        access.close()


def sites_to_rebuild(conn: sqlite3.Connection, site_id: int | None) -> list[int]:
    """Every site's id, or `site_id` alone when it exists (else none)."""
    if site_id is None:
        return [row[0] for row in conn.execute("SELECT id FROM sites ORDER BY id")]
    return [row[0] for row in conn.execute("SELECT id FROM sites WHERE id = ?", (site_id,))]


async def rebuild(conn: sqlite3.Connection, site_ids: list[int]) -> list[Pending]:
    """Rebuild every local day of the sites that has data or was built before (the CLI)."""
    access = LocalAccess(conn)
    for site_id in site_ids:
        utc_days = await access.read(functools.partial(data_days, site_id=site_id))
        await access.write(mark_all(site_id, utc_days))
    return await build_pending(access)
