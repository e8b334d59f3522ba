"""The rows of each export type, read in keyset pages: one short read per page, never all at once.

Each page resumes after the key of the last row of the one before (`(ts, id)` for hits,
`(started_at, id)` for sessions, the visitor key for visitors, `(ts, session_id)` per goal
for conversions), so a page costs what it returns, not what came before it, and no reader is
held between pages. Rows are tuples in the order of the type's `columns`.

Times are ISO 8601 UTC with milliseconds; a visitor is its opaque key (16 hex digits, a keyed
hash: no IP address or client id is stored, so none can be exported); sessions are numbered.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec

from appliance.db import Database
from appliance.goals import conversions, goals

PAGE_SIZE = 500
_MIN_KEY = -(2**63)

Row = tuple[Any, ...]
Page = list[Row]


def iso_ms(ms: int | None) -> str | None:
    """Epoch milliseconds as ISO 8601 UTC with milliseconds: 2024-01-15T10:30:00.123Z."""
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def visitor_ref(key: int) -> str:
    """A stored visitor key (signed 64-bit) as the opaque id exports show: 16 hex digits."""
    return format(key & 0xFFFF_FFFF_FFFF_FFFF, "016x")


def _properties(props: str | None) -> Any:
    return msgspec.json.decode(props) if props else None


PAGEVIEW_COLUMNS = (
    "event_id", "timestamp", "path", "title", "referrer", "source",
    "utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term",
    "country", "region", "city", "browser", "browser_version", "os", "os_version", "device",
    "screen_width", "screen_height", "language", "time_on_page", "scroll_depth", "session_id", "visitor",
)  # fmt: skip
_PAGEVIEWS = (
    "SELECT id, ts, path, title, referrer_host, source, utm_source, utm_medium, utm_campaign, utm_content, "
    "utm_term, country, region, city, browser, browser_version, os, os_version, device, screen_width, "
    "screen_height, language, time_on_page, scroll_depth, session_id, visitor_key FROM events "
    "WHERE site_id = :site AND kind = 0 AND ts < :hi AND (ts, id) > (:ts, :id) ORDER BY ts, id LIMIT :n"
)

EVENT_COLUMNS = (
    "event_id", "timestamp", "name", "path", "properties", "country", "region", "city",
    "browser", "os", "device", "session_id", "visitor",
)  # fmt: skip
_EVENTS = (
    "SELECT id, ts, name, path, props, country, region, city, browser, os, device, session_id, visitor_key "
    "FROM events WHERE site_id = :site AND kind = 1 AND ts < :hi AND (ts, id) > (:ts, :id) "
    "ORDER BY ts, id LIMIT :n"
)

SESSION_COLUMNS = (
    "session_id", "visitor", "started_at", "last_seen_at", "ended_at", "duration", "pageviews", "events",
    "bounce", "entry_path", "exit_path", "source", "referrer",
    "utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term", "country", "device",
)  # fmt: skip
_SESSIONS = (
    "SELECT id, visitor_key, started_at, last_seen_at, ended_at, duration, pageviews, events, entry_path, "
    "exit_path, source, referrer_host, utm_source, utm_medium, utm_campaign, utm_content, utm_term, country, "
    "device FROM sessions WHERE site_id = :site AND started_at < :hi AND (started_at, id) > (:ts, :id) "
    "ORDER BY started_at, id LIMIT :n"
)

VISITOR_COLUMNS = ("visitor", "first_seen", "last_seen", "sessions", "pageviews", "events", "total_duration")
# Grouped, so each page scans the period's sessions again: the price of keeping no state between pages.
_VISITORS = (
    "SELECT visitor_key, min(started_at), max(last_seen_at), count(*), sum(pageviews), sum(events), "
    "sum(duration) FROM sessions WHERE site_id = :site AND started_at >= :lo AND started_at < :hi "
    "AND (:after IS NULL OR visitor_key > :after) GROUP BY visitor_key ORDER BY visitor_key LIMIT :n"
)

GOAL_COLUMNS = ("goal_id", "goal", "timestamp", "session_id", "visitor", "path", "event", "value")


@dataclass(frozen=True, slots=True)
class Table:
    columns: tuple[str, ...]
    pages: Callable[[Database, int, int, int, int], AsyncIterator[Page]]


async def _keyset(
    db: Database,
    sql: str,
    site_id: int,
    lo: int,
    hi: int,
    limit: int,
    shape: Callable[[sqlite3.Row], Row],
    time_index: int = 1,
) -> AsyncIterator[Page]:
    """Pages of a query ordered by (time, id), resuming after the last row's (time, id).

    The id is the row's first column and the time its column `time_index`."""
    key = (lo, _MIN_KEY)  # (ts, id) > (lo, min) is ts >= lo
    left = limit
    while left > 0:
        size = min(PAGE_SIZE, left)
        rows = await db.fetchall(sql, {"site": site_id, "hi": hi, "ts": key[0], "id": key[1], "n": size})
        if not rows:
            return
        left -= len(rows)
        key = (rows[-1][time_index], rows[-1][0])
        yield [shape(r) for r in rows]
        if len(rows) < size:
            return


def _pageview(r: sqlite3.Row) -> Row:
    return (r[0], iso_ms(r[1]), *tuple(r)[2:24], r[24], visitor_ref(r[25]))


def _event(r: sqlite3.Row) -> Row:
    return (r[0], iso_ms(r[1]), r[2], r[3], _properties(r[4]), *tuple(r)[5:11], r[11], visitor_ref(r[12]))


def _session(r: sqlite3.Row) -> Row:
    return (
        r[0],
        visitor_ref(r[1]),
        iso_ms(r[2]),
        iso_ms(r[3]),
        iso_ms(r[4]),
        r[5],
        r[6],
        r[7],
        r[6] == 1,
        *tuple(r)[8:],
    )


async def pageviews(db: Database, site_id: int, lo: int, hi: int, limit: int) -> AsyncIterator[Page]:
    async for page in _keyset(db, _PAGEVIEWS, site_id, lo, hi, limit, _pageview):
        yield page


async def events(db: Database, site_id: int, lo: int, hi: int, limit: int) -> AsyncIterator[Page]:
    async for page in _keyset(db, _EVENTS, site_id, lo, hi, limit, _event):
        yield page


async def sessions(db: Database, site_id: int, lo: int, hi: int, limit: int) -> AsyncIterator[Page]:
    async for page in _keyset(db, _SESSIONS, site_id, lo, hi, limit, _session, time_index=2):
        yield page


async def visitors(db: Database, site_id: int, lo: int, hi: int, limit: int) -> AsyncIterator[Page]:
    after: int | None = None
    left = limit
    while left > 0:
        size = min(PAGE_SIZE, left)
        rows = await db.fetchall(_VISITORS, {"site": site_id, "lo": lo, "hi": hi, "after": after, "n": size})
        if not rows:
            return
        left -= len(rows)
        after = rows[-1][0]
        yield [(visitor_ref(r[0]), iso_ms(r[1]), iso_ms(r[2]), r[3], r[4], r[5], r[6]) for r in rows]
        if len(rows) < size:
            return


async def goal_conversions(db: Database, site_id: int, lo: int, hi: int, limit: int) -> AsyncIterator[Page]:
    """Conversions goal by goal (oldest goal first), each goal's in time order."""
    left = limit
    for goal in await goals.goals_for(db, site_id):
        after: tuple[int, int] | None = None
        while left > 0:
            size = min(PAGE_SIZE, left)
            found = await conversions.conversions_after(db, goal, lo, hi, after=after, limit=size)
            if not found:
                break
            left -= len(found)
            after = (found[-1].ts, found[-1].session_id)
            yield [
                (
                    goal.id,
                    goal.name,
                    iso_ms(c.ts),
                    c.session_id,
                    visitor_ref(c.visitor_key),
                    c.path,
                    c.event,
                    c.value,
                )
                for c in found
            ]
            if len(found) < size:
                break


TABLES: dict[str, Table] = {
    "pageviews": Table(PAGEVIEW_COLUMNS, pageviews),
    "visitors": Table(VISITOR_COLUMNS, visitors),
    "events": Table(EVENT_COLUMNS, events),
    "goals": Table(GOAL_COLUMNS, goal_conversions),
    "sessions": Table(SESSION_COLUMNS, sessions),
}
