"""Totals of a period: pageviews, visitors, sessions, bounce rate, durations, events; comparisons.

Definitions (docs/STATS.md, "Metrics"):
- pageviews / events: counted pageviews / custom events (kind 0 / 1) in the period;
- visitors: distinct visitors among the counted events;
- sessions: counted sessions, i.e. those that *started* in the period;
- bounce rate: % of counted sessions with exactly one pageview;
- average session duration: mean seconds from a counted session's first hit to its last hit or
  heartbeat;
- average time on page: mean engaged seconds of the counted pageviews that reported any (heartbeats).
"""

from __future__ import annotations

import asyncio

import msgspec

from appliance.db import Database
from appliance.stats import goal_hooks, rollups
from appliance.stats.query import Period, Query
from appliance.stats.selection import Selection, select

EVENT_TOTALS = """
SELECT count(*) FILTER (WHERE e.kind = 0) AS pageviews,
       count(*) FILTER (WHERE e.kind = 1) AS events,
       count(DISTINCT e.visitor_key) AS visitors,
       coalesce(sum(e.time_on_page) FILTER (WHERE e.kind = 0), 0) AS time_total,
       count(e.time_on_page) FILTER (WHERE e.kind = 0) AS time_count
FROM {events}
WHERE e.site_id = :site AND e.ts >= :start AND e.ts < :end AND {event_match}
"""

FAR_FUTURE = 2**62

SESSION_TOTALS = """
SELECT count(*) AS sessions,
       count(*) FILTER (WHERE s.pageviews = 1) AS bounces,
       coalesce(sum(s.duration), 0) AS duration,
       count(DISTINCT s.visitor_key) AS visitors
FROM sessions s
WHERE s.site_id = :site AND s.started_at >= :start AND s.started_at < :end AND {session_match}
"""


def percent(part: int, whole: int) -> float:
    """part as a percentage of whole, to one decimal; 0 when whole is 0."""
    return round(part * 100 / whole, 1) if whole else 0.0


def average(total: int, count: int) -> int:
    """The mean, rounded to a whole number; 0 of nothing."""
    return round(total / count) if count else 0


def change(current: int, previous: int) -> float:
    """Relative change in %, to one decimal: 100 from nothing to something, 0 from nothing to nothing."""
    if previous == 0:
        return 100.0 if current else 0.0
    return round((current - previous) * 100 / previous, 1)


class EventTotals(msgspec.Struct, frozen=True, kw_only=True):
    pageviews: int
    events: int
    visitors: int
    avg_time_on_page: int


class SessionTotals(msgspec.Struct, frozen=True, kw_only=True):
    sessions: int
    bounce_rate: float
    avg_session_duration: int
    visitors: int  # of the counted sessions: the base of session breakdowns' percentages


class Aggregate(msgspec.Struct, frozen=True, kw_only=True):
    pageviews: int
    visitors: int
    sessions: int
    bounce_rate: float
    avg_session_duration: int
    avg_time_on_page: int
    events: int


class Comparison(msgspec.Struct, frozen=True, kw_only=True):
    """Changes from the previous period: relative % for counts, percentage points for bounce rate."""

    pageviews_change: float
    visitors_change: float
    bounce_rate_change: float


class Overview(msgspec.Struct, frozen=True, kw_only=True):
    current: Aggregate
    previous: Aggregate
    comparison: Comparison
    goals: int


async def selection(
    db: Database, query: Query, span: Period | None = None, *, since: int | None = None
) -> Selection:
    """The query's selection, goal filters included: over `span` (by default the query's period),
    or over every instant from `since` on."""
    if since is not None:
        return select(query, since, FAR_FUTURE, await goal_hooks.goal_conditions(db, query))
    span = span or query.period
    return select(query, span.start, span.end, await goal_hooks.goal_conditions(db, query))


async def event_totals(db: Database, sel: Selection) -> EventTotals:
    row = await db.fetchone(EVENT_TOTALS.format(events=sel.events, event_match=sel.event_match), sel.params)
    assert row is not None
    return EventTotals(
        pageviews=row["pageviews"],
        events=row["events"],
        visitors=row["visitors"],
        avg_time_on_page=average(row["time_total"], row["time_count"]),
    )


async def session_totals(db: Database, sel: Selection) -> SessionTotals:
    row = await db.fetchone(SESSION_TOTALS.format(session_match=sel.session_match), sel.params)
    assert row is not None
    return SessionTotals(
        sessions=row["sessions"],
        bounce_rate=percent(row["bounces"], row["sessions"]),
        avg_session_duration=average(row["duration"], row["sessions"]),
        visitors=row["visitors"],
    )


async def _aggregate(db: Database, sel: Selection) -> Aggregate:
    events, sessions = await asyncio.gather(event_totals(db, sel), session_totals(db, sel))
    return Aggregate(
        pageviews=events.pageviews,
        visitors=events.visitors,
        sessions=sessions.sessions,
        bounce_rate=sessions.bounce_rate,
        avg_session_duration=sessions.avg_session_duration,
        avg_time_on_page=events.avg_time_on_page,
        events=events.events,
    )


async def _rolled_aggregate(db: Database, query: Query, span: Period) -> Aggregate | None:
    """The totals of `span` from rollups, or None when they cannot answer (filters, no usable day)."""
    if not rollups.usable(query):
        return None
    found = await rollups.totals(db, query, span.start, span.end)
    if found is None:
        return None
    events, sessions = found
    return Aggregate(
        pageviews=events.pageviews,
        visitors=events.visitors,
        sessions=sessions.sessions,
        bounce_rate=percent(sessions.bounces, sessions.sessions),
        avg_session_duration=average(sessions.duration, sessions.sessions),
        avg_time_on_page=average(events.time_total, events.time_count),
        events=events.events,
    )


async def _span_aggregate(db: Database, query: Query, span: Period) -> Aggregate:
    rolled = await _rolled_aggregate(db, query, span)
    if rolled is not None:
        return rolled
    return await _aggregate(db, await selection(db, query, span))


async def aggregate(db: Database, query: Query) -> Aggregate:
    """Every total of the query's period."""
    return await _span_aggregate(db, query, query.period)


async def overview(db: Database, query: Query) -> Overview:
    """The period's totals, the previous period's, the changes between them, and goal conversions."""
    current, previous, goals = await asyncio.gather(
        _span_aggregate(db, query, query.period),
        _span_aggregate(db, query, query.previous),
        goal_hooks.conversions(db, query),
    )
    return Overview(
        current=current,
        previous=previous,
        comparison=Comparison(
            pageviews_change=change(current.pageviews, previous.pageviews),
            visitors_change=change(current.visitors, previous.visitors),
            bounce_rate_change=round(current.bounce_rate - previous.bounce_rate, 1),
        ),
        goals=goals,
    )
