"""What the stats functions ask of rollups. Each answer returns None when no day of its period is
usable, and the caller answers from raw rows as it always did: then mixing would only cost."""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass

from appliance.db import Database
from appliance.stats.calendar import Bucket
from appliance.stats.query import Query
from appliance.stats.rollups import read
from appliance.stats.rollups.dims import TOTAL
from appliance.stats.rollups.plan import day_bounds, plan
from appliance.stats.rollups.rank import Candidate, top
from appliance.stats.rollups.read import EVENT_BOUNDS, SESSION_BOUNDS, Key, Parts, event_key, session_key
from appliance.stats.rollups.snapshot import Snapshot, snapshot
from appliance.stats.rollups.tally import Tally


def usable(query: Query) -> bool:
    """Rollups hold unfiltered counts only: a query with any filter (goals too) reads raw rows."""
    return not query.filters


async def _parts(snap: Snapshot, query: Query, start: int, end: int) -> Parts | None:
    found = await plan(snap, query.site_id, query.timezone, start, end)
    if not found.rolled:
        return None
    return Parts(
        site_id=query.site_id,
        days=dict.fromkeys(found.days, 0),
        pieces=tuple((0, lo, hi) for lo, hi in found.raw),
    )


async def totals(db: Database, query: Query, start: int, end: int) -> tuple[Tally, Tally] | None:
    """The event totals and the session totals of [start, end)."""
    async with snapshot(db) as snap:
        parts = await _parts(snap, query, start, end)
        if parts is None:
            return None
        events = await read.event_tallies(snap, parts, TOTAL)
        sessions = await read.session_tallies(snap, parts, TOTAL)
    return events.get((0, ()), Tally()), sessions.get((0, ()), Tally())


async def series(db: Database, query: Query, buckets: list[Bucket]) -> list[tuple[Tally, Tally]] | None:
    """Event and session totals per bucket (whole local days each: not for hours)."""
    if not buckets:
        return None
    async with snapshot(db) as snap:
        found = await plan(snap, query.site_id, query.timezone, buckets[0].start, buckets[-1].end)
        if not found.rolled:
            return None
        starts = [b.start for b in buckets]
        days = {
            day: bisect.bisect_right(starts, day_bounds(query.timezone, day)[0]) - 1 for day in found.days
        }
        pieces = []
        for lo, hi in found.raw:
            for index, bucket in enumerate(buckets):
                if max(lo, bucket.start) < min(hi, bucket.end):
                    pieces.append((index, max(lo, bucket.start), min(hi, bucket.end)))
        parts = Parts(site_id=query.site_id, days=days, pieces=tuple(pieces))
        events = await read.event_tallies(snap, parts, TOTAL)
        sessions = await read.session_tallies(snap, parts, TOTAL)
    return [(events.get((i, ()), Tally()), sessions.get((i, ()), Tally())) for i in range(len(buckets))]


@dataclass(frozen=True, slots=True)
class Ranked:
    rows: list[tuple[Key, Tally, int]]  # key, counts, exact visitors
    total: int  # values over all pages
    base: int  # visitors of the level (percentages), when asked for; else 0


async def ranked(
    db: Database,
    query: Query,
    dim: str,
    *,
    on_events: bool,
    order: str,
    limit: int,
    offset: int,
    base: bool = False,
) -> Ranked | None:
    """Rows offset..offset+limit of `dim` ordered by `order`, visitors, value; their count; and the
    level's visitors when `base`."""
    async with snapshot(db) as snap:
        parts = await _parts(snap, query, query.period.start, query.period.end)
        if parts is None:
            return None
        candidates = await (_event_candidates if on_events else _session_candidates)(snap, parts, dim)

        async def resolve(chosen: list[Candidate]) -> None:
            if not chosen:
                return
            values = [c.key[0] for c in chosen if c.key[0] is not None]
            if on_events:
                rolled = await read.rolled_event_tallies(snap, parts, dim, values)
            else:
                rolled = await read.session_tallies(snap, parts, dim, values, rolled=True, raw=False)
            for c in chosen:
                extra = rolled.get((0, c.key))
                if extra is not None:
                    c.tally.ordinals |= extra.ordinals
                c.visitors = c.tally.visitors

        # Past the last page nothing needs counting: only how many rows there are.
        n = offset + limit if offset < len(candidates) else 0
        chosen = await top(list(candidates.values()), order, n, resolve)
        visitors = 0
        if base:
            whole = await (read.event_tallies if on_events else read.session_tallies)(snap, parts, TOTAL)
            visitors = whole[(0, ())].visitors if (0, ()) in whole else 0
    rows = [(c.key, c.tally, c.visitors or 0) for c in chosen[offset:]]
    return Ranked(rows=rows, total=len(candidates), base=visitors)


async def _event_candidates(snap: Snapshot, parts: Parts, dim: str) -> dict[Key, Candidate]:
    found: dict[Key, Candidate] = {}
    params = {"site": parts.site_id, "dim": dim, "days": read.days_json(parts)}
    for r in await snap.fetchall(EVENT_BOUNDS, params):
        key = event_key(dim, r["value"], r["country"], r["region"])
        tally = Tally(
            pageviews=r["pageviews"],
            events=r["events"],
            time_total=r["time_total"],
            time_count=r["time_count"],
        )
        found[key] = Candidate(key, tally, r["low"], r["high"], r["low"] if r["low"] == r["high"] else None)
    raw: dict[read.Group, Tally] = {}
    await read.add_raw_events(snap, parts, dim, raw)
    return _with_raw(found, raw)


async def _session_candidates(snap: Snapshot, parts: Parts, dim: str) -> dict[Key, Candidate]:
    found: dict[Key, Candidate] = {}
    params = {"site": parts.site_id, "dim": dim, "days": read.days_json(parts)}
    for r in await snap.fetchall(SESSION_BOUNDS, params):
        key = session_key(dim, r["value"])
        tally = Tally(sessions=r["sessions"], bounces=r["bounces"], duration=r["duration"])
        found[key] = Candidate(key, tally, r["low"], r["high"], r["low"] if r["low"] == r["high"] else None)
    raw: dict[read.Group, Tally] = {}
    await read.add_raw_sessions(snap, parts, dim, raw)
    return _with_raw(found, raw)


def _with_raw(found: dict[Key, Candidate], raw: dict[read.Group, Tally]) -> dict[Key, Candidate]:
    """The candidates with the raw part's groups added: its counts, and its visitors kept aside
    (the bounds widen by them) until a candidate's visitors are counted exactly."""
    for (_, key), extra in raw.items():
        c = found.get(key)
        if c is None:
            found[key] = Candidate(key, extra, extra.visitors, extra.visitors, extra.visitors)
            continue
        c.tally.add_counts(extra)
        c.tally.ordinals, c.tally.strangers = extra.ordinals, extra.strangers
        c.low, c.high, c.visitors = max(c.low, extra.visitors), c.high + extra.visitors, None
    return found


async def entry_bounces(db: Database, query: Query, values: list[str]) -> dict[str, tuple[int, int]] | None:
    """Sessions and bounces of the sessions that entered on each of `values` (pages)."""
    async with snapshot(db) as snap:
        parts = await _parts(snap, query, query.period.start, query.period.end)
        if parts is None:
            return None
        found = await read.session_tallies(snap, parts, "entry_page", values, visitors=False)
    return {key[0]: (t.sessions, t.bounces) for (_, key), t in found.items() if key[0] is not None}


async def regions(
    db: Database, query: Query, countries: list[str]
) -> dict[str, list[tuple[str, int]]] | None:
    """The known regions of each of `countries` and their visitors, most visitors first."""
    async with snapshot(db) as snap:
        parts = await _parts(snap, query, query.period.start, query.period.end)
        if parts is None:
            return None
        found = await read.event_tallies(snap, parts, "region")
    wanted = set(countries)
    rows = sorted(
        ((key[0], key[1], t.visitors) for (_, key), t in found.items() if key[1] in wanted),
        key=lambda r: (-r[2], r[0] or ""),
    )
    out: dict[str, list[tuple[str, int]]] = {}
    for region, country, visitors in rows:
        if region is not None and country is not None:
            out.setdefault(country, []).append((region, visitors))
    return out


PropertyCount = tuple[str, str, str, object, int]  # event name, property, JSON type, atom, count

ROLLED_PROPERTIES = """
SELECT value AS name, country AS key, region AS type, atom, sum(events) AS count
FROM rollup_events
WHERE site_id = :site AND dim = 'prop' AND day IN (SELECT value FROM json_each(:days))
  AND value IN (SELECT value FROM json_each(:names))
GROUP BY value, country, region, atom
"""
RAW_PROPERTIES = f"""
{read.PIECES}
SELECT e.name AS name, p.key AS key, p.type AS type, p.atom AS atom, count(*) AS count
FROM piece CROSS JOIN events e CROSS JOIN json_each(e.props) AS p
WHERE e.site_id = :site AND e.ts >= piece.lo AND e.ts < piece.hi AND e.kind = 1 AND e.props IS NOT NULL
  AND e.name IN (SELECT value FROM json_each(:names))
GROUP BY e.name, p.key, p.type, p.atom
"""


async def properties(db: Database, query: Query, names: list[str]) -> list[PropertyCount] | None:
    """How many custom events of each of `names` carried each property value."""
    async with snapshot(db) as snap:
        parts = await _parts(snap, query, query.period.start, query.period.end)
        if parts is None:
            return None
        params = {"site": parts.site_id, "days": read.days_json(parts), "names": json.dumps(names)}
        found = await snap.fetchall(ROLLED_PROPERTIES, params)
        if parts.pieces:
            params["pieces"] = json.dumps(parts.pieces)
            found += await snap.fetchall(RAW_PROPERTIES, params)
    counts: dict[tuple[str, str, str, object], int] = {}
    for r in found:
        # 1 and 1.0 are equal keys in Python too, but their types (integer, real) tell them apart.
        group = (r["name"], r["key"], r["type"], r["atom"])
        counts[group] = counts.get(group, 0) + r["count"]
    return [(*group, count) for group, count in counts.items()]
