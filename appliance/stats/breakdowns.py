"""One page of a breakdown: the query's metrics per value of its dimension.

An event dimension (page, country, browser...) groups the counted events: visitors, pageviews,
events and time on page per value; the pages of `page` are those of pageviews. A session
dimension (source, utm_*, entry and exit pages) groups the counted sessions: visitors, sessions,
bounce rate and duration per value. Rows whose value is unknown (NULL) are left out.

`percentage` is a row's visitors as a share of all visitors the query counts on that level (of
the counted events, or of the counted sessions), so a visitor seen with two values counts in
both rows. A page's `bounce_rate` is that of the counted sessions that entered on it.

Rows are ordered by the query's first metric, then visitors (both descending), then value.

Without filters, the rows come from rollups where the period's days are built (the same rows:
`appliance.stats.rollups`); a breakdown by event name, which counts every kind, stays raw.
"""

from __future__ import annotations

import asyncio
import json

import msgspec

from appliance.db import Database
from appliance.stats import rollups
from appliance.stats.metrics import average, event_totals, percent, selection, session_totals
from appliance.stats.query import Dimension, Query
from appliance.stats.rollups.dims import BREAKDOWN_EVENT_DIMS, BREAKDOWN_SESSION_DIMS
from appliance.stats.selection import COLUMNS, Selection

EVENT_ROWS = """
SELECT {columns},
       count(DISTINCT e.visitor_key) AS visitors,
       count(*) FILTER (WHERE e.kind = 0) AS pageviews,
       count(*) FILTER (WHERE e.kind = 1) AS events,
       coalesce(sum(e.time_on_page) FILTER (WHERE e.kind = 0), 0) AS time_total,
       count(e.time_on_page) FILTER (WHERE e.kind = 0) AS time_count,
       count(*) OVER () AS total
FROM {events}
WHERE e.site_id = :site AND e.ts >= :start AND e.ts < :end AND {value} IS NOT NULL AND {kinds}
  AND {event_match}
GROUP BY {groups}
ORDER BY {order} DESC, visitors DESC, value, {groups}
LIMIT :limit OFFSET :offset
"""

SESSION_ROWS = """
SELECT {value} AS value,
       count(DISTINCT s.visitor_key) AS visitors,
       count(*) AS sessions,
       count(*) FILTER (WHERE s.pageviews = 1) AS bounces,
       coalesce(sum(s.duration), 0) AS duration,
       count(*) OVER () AS total
FROM sessions s
WHERE s.site_id = :site AND s.started_at >= :start AND s.started_at < :end AND {value} IS NOT NULL
  AND {session_match}
GROUP BY {value}
ORDER BY {order} DESC, visitors DESC, value
LIMIT :limit OFFSET :offset
"""

# The bounce rate of pages: over the counted sessions that entered on them.
ENTRY_BOUNCES = """
SELECT s.entry_path AS value, count(*) AS sessions, count(*) FILTER (WHERE s.pageviews = 1) AS bounces
FROM sessions s
WHERE s.site_id = :site AND s.started_at >= :start AND s.started_at < :end
  AND s.entry_path IN (SELECT value FROM json_each(:values)) AND {session_match}
GROUP BY s.entry_path
"""

# Dimensions whose values are only told apart with their place: a region within its country, a
# city within its region and country.
CONTEXT: dict[Dimension, tuple[str, ...]] = {"region": ("country",), "city": ("country", "region")}
EVENT_ORDER = {"visitors": "visitors", "pageviews": "pageviews", "events": "events"}
SESSION_ORDER = {"visitors": "visitors", "sessions": "sessions"}


class Row(msgspec.Struct, frozen=True, kw_only=True):
    """One value of a breakdown and its numbers; those a level does not count stay 0."""

    value: str
    visitors: int
    percentage: float = 0.0
    pageviews: int = 0
    events: int = 0
    avg_time_on_page: int = 0
    sessions: int = 0
    bounce_rate: float = 0.0
    avg_session_duration: int = 0
    country: str | None = None  # regions and cities
    region: str | None = None  # cities


class Breakdown(msgspec.Struct, frozen=True, kw_only=True):
    rows: list[Row]
    total: int  # rows over all pages
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages there are; at least 1, as an empty first page is still a page."""
        return max(1, -(-self.total // self.per_page))


async def breakdown(db: Database, query: Query) -> Breakdown:
    """One page of rows of `query.dimension` with `query.metrics` (plus visitors, always)."""
    dimension = query.dimension
    assert dimension is not None and dimension in COLUMNS, "a breakdown needs a dimension"
    on_events = COLUMNS[dimension][0] == "event"
    if rollups.usable(query) and dimension in (BREAKDOWN_EVENT_DIMS | BREAKDOWN_SESSION_DIMS):
        rolled = await _rolled_breakdown(db, query, dimension, on_events)
        if rolled is not None:
            return rolled
    sel = await selection(db, query)
    fetch = _event_rows if on_events else _session_rows
    offset = (query.page - 1) * query.per_page
    if "percentage" in query.metrics:
        (rows, total), base = await asyncio.gather(
            fetch(db, query, dimension, sel, query.per_page, offset), _all_visitors(db, sel, on_events)
        )
        rows = [msgspec.structs.replace(r, percentage=percent(r.visitors, base)) for r in rows]
    else:
        rows, total = await fetch(db, query, dimension, sel, query.per_page, offset)
    if not rows and query.page > 1:
        _, total = await fetch(db, query, dimension, sel, 1, 0)  # past the last page: still say how many
    if dimension == "page" and "bounce_rate" in query.metrics and rows:
        rows = await _with_entry_bounces(db, sel, rows)
    return Breakdown(rows=rows, total=total, page=query.page, per_page=query.per_page)


async def _rolled_breakdown(
    db: Database, query: Query, dimension: Dimension, on_events: bool
) -> Breakdown | None:
    """The same page of rows from rollups, or None when no day of the period is usable."""
    order = (EVENT_ORDER if on_events else SESSION_ORDER).get(query.metrics[0], "visitors")
    found = await rollups.ranked(
        db,
        query,
        dimension,
        on_events=on_events,
        order=order,
        limit=query.per_page,
        offset=(query.page - 1) * query.per_page,
        base="percentage" in query.metrics,
    )
    if found is None:
        return None
    context = CONTEXT.get(dimension, ())
    rows = []
    for key, tally, visitors in found.rows:
        rows.append(
            Row(
                value=str(key[0]),
                visitors=visitors,
                percentage=percent(visitors, found.base) if "percentage" in query.metrics else 0.0,
                pageviews=tally.pageviews,
                events=tally.events,
                avg_time_on_page=average(tally.time_total, tally.time_count),
                country=key[1] if context else None,
                region=key[2] if len(context) > 1 else None,
            )
            if on_events
            else Row(
                value=str(key[0]),
                visitors=visitors,
                percentage=percent(visitors, found.base) if "percentage" in query.metrics else 0.0,
                sessions=tally.sessions,
                bounce_rate=percent(tally.bounces, tally.sessions),
                avg_session_duration=average(tally.duration, tally.sessions),
            )
        )
    if dimension == "page" and "bounce_rate" in query.metrics and rows:
        entered = await rollups.entry_bounces(db, query, [r.value for r in rows])
        if entered is None:  # the rollups changed in between: the raw way
            rows = await _with_entry_bounces(db, await selection(db, query), rows)
        else:
            rows = [_with_bounces(r, *entered.get(r.value, (0, 0))) for r in rows]
    return Breakdown(rows=rows, total=found.total, page=query.page, per_page=query.per_page)


def _with_bounces(row: Row, sessions: int, bounces: int) -> Row:
    return msgspec.structs.replace(row, sessions=sessions, bounce_rate=percent(bounces, sessions))


async def _all_visitors(db: Database, sel: Selection, on_events: bool) -> int:
    """The base of percentages: every visitor counted on the level of the breakdown's dimension."""
    if on_events:
        return (await event_totals(db, sel)).visitors
    return (await session_totals(db, sel)).visitors


async def _event_rows(
    db: Database, query: Query, dimension: Dimension, sel: Selection, limit: int, offset: int
) -> tuple[list[Row], int]:
    value = COLUMNS[dimension][1]
    context = CONTEXT.get(dimension, ())
    sql = EVENT_ROWS.format(
        columns=", ".join((*(f"e.{c} AS {c}" for c in context), f"{value} AS value")),
        groups=", ".join((*(f"e.{c}" for c in context), value)),
        value=value,
        kinds="e.kind = 0" if dimension == "page" else "1",
        order=EVENT_ORDER.get(query.metrics[0], "visitors"),
        events=sel.events,
        event_match=sel.event_match,
    )
    found = await db.fetchall(sql, sel.bind(limit=limit, offset=offset))
    rows = [
        Row(
            value=r["value"],
            visitors=r["visitors"],
            pageviews=r["pageviews"],
            events=r["events"],
            avg_time_on_page=average(r["time_total"], r["time_count"]),
            country=r["country"] if context else None,
            region=r["region"] if len(context) > 1 else None,
        )
        for r in found
    ]
    return rows, found[0]["total"] if found else 0


async def _session_rows(
    db: Database, query: Query, dimension: Dimension, sel: Selection, limit: int, offset: int
) -> tuple[list[Row], int]:
    sql = SESSION_ROWS.format(
        value=COLUMNS[dimension][1],
        order=SESSION_ORDER.get(query.metrics[0], "visitors"),
        session_match=sel.session_match,
    )
    found = await db.fetchall(sql, sel.bind(limit=limit, offset=offset))
    rows = [
        Row(
            value=r["value"],
            visitors=r["visitors"],
            sessions=r["sessions"],
            bounce_rate=percent(r["bounces"], r["sessions"]),
            avg_session_duration=average(r["duration"], r["sessions"]),
        )
        for r in found
    ]
    return rows, found[0]["total"] if found else 0


async def _with_entry_bounces(db: Database, sel: Selection, rows: list[Row]) -> list[Row]:
    values = json.dumps([r.value for r in rows])
    found = await db.fetchall(ENTRY_BOUNCES.format(session_match=sel.session_match), sel.bind(values=values))
    entered = {r["value"]: (r["sessions"], r["bounces"]) for r in found}
    return [_with_bounces(row, *entered.get(row.value, (0, 0))) for row in rows]


async def breakdowns(db: Database, queries: list[Query]) -> list[Breakdown]:
    """Several breakdowns at once, on as many readers."""
    return list(await asyncio.gather(*(breakdown(db, q) for q in queries)))
