"""Who is here now: the events of the last five minutes, under the query's filters.

The window is every event at or after `now - WINDOW_MS` (tracked timestamps may run a little
ahead of the server's clock, so there is no upper bound). A page's or a country's visitors are
the distinct visitors with an event there in the window; pages count pageviews only.
"""

from __future__ import annotations

import asyncio

import msgspec

from appliance.db import Database
from appliance.stats.metrics import selection
from appliance.stats.query import Query

WINDOW_MS = 5 * 60_000
TOP = 10

REALTIME_TOTALS = """
SELECT count(DISTINCT e.visitor_key) AS visitors, count(*) FILTER (WHERE e.kind = 0) AS pageviews
FROM {events}
WHERE e.site_id = :site AND e.ts >= :start AND {event_match}
"""

REALTIME_PAGES = """
SELECT e.path AS value, count(DISTINCT e.visitor_key) AS visitors
FROM {events}
WHERE e.site_id = :site AND e.ts >= :start AND e.kind = 0 AND {event_match}
GROUP BY e.path
ORDER BY visitors DESC, value
LIMIT :top
"""

REALTIME_COUNTRIES = """
SELECT e.country AS value, count(DISTINCT e.visitor_key) AS visitors
FROM {events}
WHERE e.site_id = :site AND e.ts >= :start AND e.country IS NOT NULL AND {event_match}
GROUP BY e.country
ORDER BY visitors DESC, value
LIMIT :top
"""


class Count(msgspec.Struct, frozen=True):
    value: str
    visitors: int


class Realtime(msgspec.Struct, frozen=True, kw_only=True):
    visitors: int
    pageviews: int
    pages: list[Count]
    countries: list[Count]


async def realtime(db: Database, query: Query, now: int) -> Realtime:
    """The last five minutes before `now` (epoch ms); the query's period is not used."""
    sel = await selection(db, query, since=now - WINDOW_MS)
    params = sel.bind(top=TOP)
    totals, pages, countries = await asyncio.gather(
        *(
            db.fetchall(sql.format(events=sel.events, event_match=sel.event_match), params)
            for sql in (REALTIME_TOTALS, REALTIME_PAGES, REALTIME_COUNTRIES)
        )
    )
    return Realtime(
        visitors=totals[0]["visitors"],
        pageviews=totals[0]["pageviews"],
        pages=[Count(r["value"], r["visitors"]) for r in pages],
        countries=[Count(r["value"], r["visitors"]) for r in countries],
    )
