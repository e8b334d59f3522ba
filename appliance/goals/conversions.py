"""Conversions, computed when asked from the raw events and sessions (nothing is materialised).

What counts, for a period [start, end) in UTC milliseconds:

- A **pageview or event goal** converts a session at the session's first matching hit made at
  or after the goal's creation. The conversion is dated at that hit and belongs to the period
  that holds that date; a later matching hit of the same session never converts again, in this
  period or any other. So conversions add up across adjacent periods.
- A **duration or pages_per_session goal** converts a session that started at or after the
  goal's creation and whose totals (duration in seconds from the first hit to the last hit or
  heartbeat, or its pageviews) reach the threshold. The conversion is dated at the session's
  start. An open session can still convert as it goes on.
- **Value**: the goal's fixed value, or the converting hit's custom property `value_property`
  when it is a number or a numeric string ("12.50"); otherwise the conversion has no value.
- **Conversion rate**: converting sessions per 100 sessions that started in the period.

Why at query time: a goal can be created or changed at any moment and must then be judged on
the raw events since its creation, which is what the query does, exactly and on one read
snapshot, with no write-path work and nothing to keep in step under concurrent ingestion.
It stays cheap through two partial indexes, (site_id, path, ts, session_id) of pageviews and
(site_id, name, ts, session_id) of custom events: the matching paths or names are found by a
walk over the index's distinct values (a regex runs once per distinct value, not per hit), then
each one's hits in the period by an index seek. Measured on 1M events over 30 days: 0.1-0.4 s
for a goal that 78,000 sessions met, most of it sorting the hits by session.
Known edge: a hit that server-side tracking backdates to before its session's first hit is
not seen by the look-back that keeps a session from converting twice across two periods.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite

from appliance.db import Database
from appliance.errors import NotFound
from appliance.goals import matching
from appliance.goals.models import GOAL_COLUMNS, Conversion, Goal, GoalStats, GoalSummary
from appliance.goals.values import numeric

_KIND = {"pageview": 0, "event": 1}  # written into the SQL: a partial index needs a literal kind
_COLUMN = {"pageview": "path", "event": "name"}
_SESSION_TOTAL = {"duration": "duration", "pages_per_session": "pageviews"}

# The converting hit's property, as SQL gives it: numbers and strings; true/false/objects not.
_RAW_PROPERTY = (
    "CASE WHEN json_valid(e.props) THEN (SELECT CASE WHEN type IN ('integer', 'real', 'text') THEN value END "
    "FROM json_each(e.props) WHERE key = :prop LIMIT 1) END"
)

# The site's distinct paths (or event names) that match, found without reading every hit: a walk
# over the distinct values of the (site_id, {col}, ts, session_id) index, one seek per value,
# from `:start_at` while `{go_on}` holds; each value is tested once, however many hits carry it.
_WALK = """
walk({col}) AS (
    SELECT min({col}) FROM events WHERE site_id = :site AND kind = {kind} AND {col} >= :start_at
    UNION ALL
    SELECT (SELECT min({col}) FROM events WHERE site_id = :site AND kind = {kind} AND {col} > walk.{col})
    FROM walk WHERE walk.{col} IS NOT NULL AND {go_on}
),
matching({col}) AS MATERIALIZED (SELECT {col} FROM walk WHERE {col} IS NOT NULL AND {match}),
"""
_EQUALS = "matching({col}) AS (SELECT :match),\n"

# `converting`: one row per converting session (id of the converting hit, session_id, ts);
# `conversions` adds what a listing shows (visitor_key, path, event, raw property value).
_HIT_CONVERSIONS = """
hits AS (
    SELECT id, session_id, ts, row_number() OVER (PARTITION BY session_id ORDER BY ts, id) AS nth
    FROM events
    WHERE site_id = :site AND kind = {kind} AND {col} IN (SELECT {col} FROM matching) AND ts >= :lo AND ts < :hi
),
firsts AS MATERIALIZED (SELECT id, session_id, ts FROM hits WHERE nth = 1),
-- Sessions that began before the period may have converted before it: look back over their hits.
earlier AS (
    SELECT DISTINCT session_id FROM events
    WHERE site_id = :site AND kind = {kind} AND {col} IN (SELECT {col} FROM matching) AND ts < :lo
      AND ts >= max(:created, (SELECT min(started_at) FROM sessions
                               WHERE id IN (SELECT session_id FROM firsts) AND started_at < :lo))
      AND session_id IN (SELECT session_id FROM firsts)
),
converting AS (SELECT id, session_id, ts FROM firsts WHERE session_id NOT IN (SELECT session_id FROM earlier)),
conversions AS (
    SELECT c.session_id, e.visitor_key, c.ts, e.path, e.name AS event, {raw} AS raw
    FROM converting c JOIN events e ON e.id = c.id
)
"""

_SESSION_CONVERSIONS = """
conversions AS (
    SELECT id AS session_id, visitor_key, started_at AS ts, entry_path AS path, NULL AS event, NULL AS raw
    FROM sessions
    WHERE site_id = :site AND started_at >= :lo AND started_at < :hi AND {total} >= :threshold
),
converting AS (SELECT session_id FROM conversions)
"""

_SESSIONS_IN_PERIOD = "SELECT count(*) FROM sessions WHERE site_id = ? AND started_at >= ? AND started_at < ?"


def _matching(goal: Goal, column: str, kind: int) -> tuple[str, dict[str, Any]]:
    """The CTEs that define `matching`, the values of `column` that meet the goal, and their parameters."""
    assert goal.match_type is not None and goal.match_value is not None
    if goal.match_type == "equals":
        return _EQUALS.format(col=column), {}
    match = matching.predicate(goal.match_type, column)
    if goal.match_type == "starts_with":  # the values with the prefix are together in the index
        go_on = matching.predicate(goal.match_type, f"walk.{column}")
        walk = _WALK.format(col=column, kind=kind, go_on=go_on, match=match)
        return walk, {"start_at": goal.match_value}
    return _WALK.format(col=column, kind=kind, go_on="1", match=match), {"start_at": ""}


def _query(goal: Goal, start_ms: int, end_ms: int) -> tuple[str, dict[str, Any]]:
    """The WITH clause that defines `converting` and `conversions` for the goal and period, and its
    parameters."""
    params: dict[str, Any] = {
        "site": goal.site_id,
        "lo": max(start_ms, goal.created_at),  # nothing before the goal existed counts
        "hi": end_ms,
        "created": goal.created_at,
    }
    if goal.per_hit:
        column, kind = _COLUMN[goal.type], _KIND[goal.type]
        values, more = _matching(goal, column, kind)
        params |= more | {"match": goal.match_value, "prop": goal.value_property}
        clause = values + _HIT_CONVERSIONS.format(
            col=column, kind=kind, raw=_RAW_PROPERTY if goal.value_property else "NULL"
        )
    else:
        params["threshold"] = goal.threshold
        clause = _SESSION_CONVERSIONS.format(total=_SESSION_TOTAL[goal.type])
    return "WITH RECURSIVE " + clause, params


def _value(goal: Goal, raw: object) -> float | None:
    if goal.value_property:
        return numeric(raw)
    return goal.value


def _conversion(goal: Goal, row: sqlite3.Row) -> Conversion:
    return Conversion(
        goal_id=goal.id,
        ts=row["ts"],
        session_id=row["session_id"],
        visitor_key=row["visitor_key"],
        path=row["path"],
        event=row["event"],
        value=_value(goal, row["raw"]),
    )


@asynccontextmanager
async def snapshot(db: Database) -> AsyncIterator[aiosqlite.Connection]:
    """A reader inside one read transaction, with the RE2 function that regex goals call.

    Every query of one answer sees the same committed state, whatever ingestion does meanwhile.
    """
    async with db.reader() as conn:
        await conn.create_function(matching.SQL_FUNCTION, 2, matching.sql_search, deterministic=True)
        await conn.execute("BEGIN")
        try:
            yield conn
        finally:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")


async def _rows(conn: aiosqlite.Connection, sql: str, params: Any) -> Sequence[sqlite3.Row]:
    return list(await conn.execute_fetchall(sql, params))


async def _stats(
    conn: aiosqlite.Connection, goal: Goal, start_ms: int, end_ms: int, sessions: int
) -> GoalStats:
    clause, params = _query(goal, start_ms, end_ms)
    if goal.value_property:
        rows = await _rows(conn, clause + "SELECT raw FROM conversions", params)
        values = [v for v in (numeric(row[0]) for row in rows) if v is not None]
        return GoalStats(
            conversions=len(rows), sessions=sessions, total_value=sum(values), valued=len(values)
        )
    rows = await _rows(conn, clause + "SELECT count(*) FROM converting", params)
    count = int(rows[0][0])
    fixed = goal.value
    return GoalStats(
        conversions=count,
        sessions=sessions,
        total_value=fixed * count if fixed is not None else 0.0,
        valued=count if fixed is not None else 0,
    )


async def _sessions(conn: aiosqlite.Connection, site_id: int, start_ms: int, end_ms: int) -> int:
    rows = await _rows(conn, _SESSIONS_IN_PERIOD, (site_id, start_ms, end_ms))
    return int(rows[0][0])


async def _goal(conn: aiosqlite.Connection, site_id: int, goal_id: int) -> Goal:
    rows = await _rows(
        conn, f"SELECT {GOAL_COLUMNS} FROM goals WHERE site_id = ? AND id = ?", (site_id, goal_id)
    )
    if not rows:
        raise NotFound("Goal not found.")
    return Goal.from_row(rows[0])


async def goal_stats(db: Database, site_id: int, goal_id: int, start_ms: int, end_ms: int) -> GoalStats:
    """The goal's conversions, value and conversion rate in [start_ms, end_ms); NotFound if no such goal."""
    async with snapshot(db) as conn:
        goal = await _goal(conn, site_id, goal_id)
        sessions = await _sessions(conn, site_id, start_ms, end_ms)
        return await _stats(conn, goal, start_ms, end_ms, sessions)


async def site_goal_stats(db: Database, site_id: int, start_ms: int, end_ms: int) -> list[GoalSummary]:
    """Every goal of the site with its stats in [start_ms, end_ms), most conversions first."""
    async with snapshot(db) as conn:
        rows = await _rows(
            conn, f"SELECT {GOAL_COLUMNS} FROM goals WHERE site_id = ? ORDER BY id", (site_id,)
        )
        # Without goals there is no rate to compute: the overview asks on every call, and counting
        # the period's sessions reads millions of index entries on a large site.
        sessions = await _sessions(conn, site_id, start_ms, end_ms) if rows else 0
        summaries = []
        for row in rows:
            goal = Goal.from_row(row)
            summaries.append(
                GoalSummary(goal=goal, stats=await _stats(conn, goal, start_ms, end_ms, sessions))
            )
    summaries.sort(key=lambda s: (-s.stats.conversions, s.goal.name, s.goal.id))
    return summaries


async def total_conversions(db: Database, site_id: int, start_ms: int, end_ms: int) -> int:
    """All conversions of all the site's goals in [start_ms, end_ms): the overview's `goals` number.

    A session that meets two goals counts twice, once per goal; never twice for one goal.
    """
    return sum(s.stats.conversions for s in await site_goal_stats(db, site_id, start_ms, end_ms))


async def conversions(
    db: Database, site_id: int, goal_id: int, start_ms: int, end_ms: int, *, limit: int
) -> list[Conversion]:
    """The goal's conversions in [start_ms, end_ms), newest first, at most `limit`; NotFound if no such goal."""
    async with snapshot(db) as conn:
        goal = await _goal(conn, site_id, goal_id)
        clause, params = _query(goal, start_ms, end_ms)
        sql = clause + "SELECT * FROM conversions ORDER BY ts DESC, session_id DESC LIMIT :limit"
        rows = await _rows(conn, sql, params | {"limit": limit})
    return [_conversion(goal, row) for row in rows]


async def conversions_after(
    db: Database, goal: Goal, start_ms: int, end_ms: int, *, after: tuple[int, int] | None, limit: int
) -> list[Conversion]:
    """A page of the goal's conversions in [start_ms, end_ms), oldest first, following the
    (ts, session_id) key `after`: for exports, which read page by page."""
    clause, params = _query(goal, start_ms, end_ms)
    after_ts, after_session = after if after is not None else (-(2**63), -(2**63))
    sql = (
        clause + "SELECT * FROM conversions WHERE (ts, session_id) > (:after_ts, :after_session) "
        "ORDER BY ts, session_id LIMIT :limit"
    )
    async with snapshot(db) as conn:
        rows = await _rows(
            conn, sql, params | {"after_ts": after_ts, "after_session": after_session, "limit": limit}
        )
    return [_conversion(goal, row) for row in rows]
