"""Visitors, pageviews and sessions per local hour, day, week or month; every bucket present.

Buckets come from `calendar.buckets` as UTC bounds and go to SQL as one JSON parameter; each
bucket then reads its own slice of the (site, ts) index. Visitors are distinct within a bucket.
Sessions count in the bucket they started in; with event filters, a session counts when it has a
counted event anywhere in the period, so the buckets of a timeseries add up to the period's total.

Without filters, days, weeks and months are answered from rollups where their days are built
(`appliance.stats.rollups`); hours always from raw rows.
"""

from __future__ import annotations

import asyncio
import json

import msgspec

from appliance.db import Database
from appliance.stats import calendar, rollups
from appliance.stats.metrics import selection
from appliance.stats.query import Query

BUCKETS = (
    "WITH bucket(lo, hi) AS "
    "(SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(:buckets))"
)

EVENTS_PER_BUCKET = f"""
{BUCKETS}
SELECT bucket.lo AS lo,
       count(*) FILTER (WHERE e.kind = 0) AS pageviews,
       count(DISTINCT e.visitor_key) AS visitors
FROM bucket CROSS JOIN {{events}}
WHERE e.site_id = :site AND e.ts >= bucket.lo AND e.ts < bucket.hi AND {{event_match}}
GROUP BY bucket.lo
"""

SESSIONS_PER_BUCKET = f"""
{BUCKETS}
SELECT bucket.lo AS lo, count(*) AS sessions
FROM bucket CROSS JOIN sessions s
WHERE s.site_id = :site AND s.started_at >= bucket.lo AND s.started_at < bucket.hi AND {{session_match}}
GROUP BY bucket.lo
"""


class Point(msgspec.Struct, frozen=True, kw_only=True):
    date: str  # the bucket's local start: YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SS+HH:MM for hours
    visitors: int
    pageviews: int
    sessions: int


async def timeseries(db: Database, query: Query) -> list[Point]:
    """One point per bucket of `query.interval` over the period, zeros where nothing happened."""
    buckets = calendar.buckets(query.period, query.interval, calendar.zone(query.timezone))
    if rollups.usable(query) and query.interval != "hour":
        rolled = await rollups.series(db, query, buckets)
        if rolled is not None:
            return [
                Point(
                    date=b.key,
                    visitors=events.visitors,
                    pageviews=events.pageviews,
                    sessions=sessions.sessions,
                )
                for b, (events, sessions) in zip(buckets, rolled, strict=True)
            ]
    sel = await selection(db, query)
    bounds = json.dumps([[b.start, b.end] for b in buckets])
    events, sessions = await asyncio.gather(
        db.fetchall(
            EVENTS_PER_BUCKET.format(events=sel.events, event_match=sel.event_match), sel.bind(buckets=bounds)
        ),
        db.fetchall(SESSIONS_PER_BUCKET.format(session_match=sel.session_match), sel.bind(buckets=bounds)),
    )
    by_event = {r["lo"]: r for r in events}
    by_session = {r["lo"]: r["sessions"] for r in sessions}
    return [
        Point(
            date=b.key,
            visitors=by_event[b.start]["visitors"] if b.start in by_event else 0,
            pageviews=by_event[b.start]["pageviews"] if b.start in by_event else 0,
            sessions=by_session.get(b.start, 0),
        )
        for b in buckets
    ]
