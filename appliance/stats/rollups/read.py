"""Reading tallies: rolled days from the rollup tables, raw spans from events and sessions.

Everything here runs on one `Snapshot`. A group is keyed by a label (0, or a timeseries bucket)
and the dimension's key: () for the totals, (value,) or (value, country[, region]) for a value
with its place. A raw group's visitors come as lists of their ordinals (joined to the rolled
bitmaps exactly) and of the keys of those without one yet: one row per group, not per visitor.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pyroaring import BitMap

from appliance.stats.rollups.dims import EVENT_DIMS, SESSION_DIMS, TOTAL
from appliance.stats.rollups.snapshot import Snapshot
from appliance.stats.rollups.tally import Tally

Key = tuple[str | None, ...]
Group = tuple[int, Key]
Piece = tuple[int, int, int]  # label, UTC start, UTC end

PIECES = (
    "WITH piece(label, lo, hi) AS (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), "
    "json_extract(value, '$[2]') FROM json_each(:pieces))"
)
# A group's raw visitors as two lists of text, parsed in Python: ordinals (to join the rolled
# bitmaps) and the keys of visitors without one. One row per group, not one per visitor.
VISITORS = (
    "group_concat(DISTINCT o.ordinal) AS ordinals, "
    "group_concat(DISTINCT CASE WHEN o.ordinal IS NULL THEN {t}.visitor_key END) AS strangers"
)
RAW_EVENTS = f"""
{PIECES}
SELECT piece.label AS label, {{columns}},
       count(*) FILTER (WHERE e.kind = 0) AS pageviews, count(*) FILTER (WHERE e.kind = 1) AS events,
       coalesce(sum(e.time_on_page) FILTER (WHERE e.kind = 0), 0) AS time_total,
       count(e.time_on_page) FILTER (WHERE e.kind = 0) AS time_count,
       {VISITORS.format(t="e")}
FROM piece CROSS JOIN events e
LEFT JOIN visitor_ordinals o ON o.site_id = e.site_id AND o.visitor_key = e.visitor_key
WHERE e.site_id = :site AND e.ts >= piece.lo AND e.ts < piece.hi AND {{value}} IS NOT NULL AND {{kinds}}
  AND {{values}}
GROUP BY piece.label, {{groups}}
"""
RAW_SESSIONS = f"""
{PIECES}
SELECT piece.label AS label, {{value}} AS value,
       count(*) AS sessions, count(*) FILTER (WHERE s.pageviews = 1) AS bounces,
       coalesce(sum(s.duration), 0) AS duration,
       {VISITORS.format(t="s")}
FROM piece CROSS JOIN sessions s
LEFT JOIN visitor_ordinals o ON o.site_id = s.site_id AND o.visitor_key = s.visitor_key
WHERE s.site_id = :site AND s.started_at >= piece.lo AND s.started_at < piece.hi AND {{value}} IS NOT NULL
  AND {{values}}
GROUP BY piece.label, {{value}}
"""
ROLLED_EVENTS = """
SELECT day, value, country, region, pageviews, events, time_total, time_count, visitors{blob}
FROM rollup_events
WHERE site_id = :site AND dim = :dim AND day IN (SELECT value FROM json_each(:days)) AND {values}
"""
ROLLED_SESSIONS = """
SELECT day, value, sessions, bounces, duration, visitors{blob}
FROM rollup_sessions
WHERE site_id = :site AND dim = :dim AND day IN (SELECT value FROM json_each(:days)) AND {values}
"""
# Phase one of a ranking: each key's counts over the rolled days, and bounds of its visitors
# (at least the most of one day, at most the sum of the days), without reading a bitmap.
EVENT_BOUNDS = """
SELECT value, country, region, sum(pageviews) AS pageviews, sum(events) AS events,
       sum(time_total) AS time_total, sum(time_count) AS time_count,
       max(visitors) AS low, sum(visitors) AS high
FROM rollup_events
WHERE site_id = :site AND dim = :dim AND day IN (SELECT value FROM json_each(:days))
GROUP BY value, country, region
"""
SESSION_BOUNDS = """
SELECT value, sum(sessions) AS sessions, sum(bounces) AS bounces, sum(duration) AS duration,
       max(visitors) AS low, sum(visitors) AS high
FROM rollup_sessions
WHERE site_id = :site AND dim = :dim AND day IN (SELECT value FROM json_each(:days))
GROUP BY value
"""


@dataclass(frozen=True, slots=True)
class Parts:
    """Where a question's data is: rolled days (each with its label) and raw pieces."""

    site_id: int
    days: Mapping[int, int]  # rolled local day -> label
    pieces: tuple[Piece, ...]


def days_json(parts: Parts) -> str:
    return json.dumps(sorted(parts.days))


def event_key(dim: str, value: str | None, country: str | None, region: str | None) -> Key:
    context = EVENT_DIMS[dim].context
    if dim == TOTAL:
        return ()
    if not context:
        return (value,)
    return (value, country, region) if len(context) > 1 else (value, country)


def session_key(dim: str, value: str | None) -> Key:
    return () if dim == TOTAL else (value,)


def _values_clause(column: str, values: Iterable[str] | None, params: dict[str, object]) -> str:
    if values is None:
        return "1"
    params["values"] = json.dumps(sorted(set(values)))
    return f"{column} IN (SELECT value FROM json_each(:values))"


async def event_tallies(
    snap: Snapshot, parts: Parts, dim: str, values: Iterable[str] | None = None, *, rolled: bool = True
) -> dict[Group, Tally]:
    """Tallies of event dimension `dim` per (label, key), over the rolled days (when `rolled`) and
    the raw pieces; only `values` of the dimension when given."""
    values = None if values is None else list(values)
    found: dict[Group, Tally] = {}
    if rolled and parts.days:
        found = await rolled_event_tallies(snap, parts, dim, values)
    await add_raw_events(snap, parts, dim, found, values)
    return found


async def rolled_event_tallies(
    snap: Snapshot, parts: Parts, dim: str, values: list[str] | None, *, visitors: bool = True
) -> dict[Group, Tally]:
    params: dict[str, object] = {"site": parts.site_id, "dim": dim, "days": days_json(parts)}
    sql = ROLLED_EVENTS.format(
        blob=", visitor_set" if visitors else "", values=_values_clause("value", values, params)
    )
    found: dict[Group, Tally] = {}
    sets: dict[Group, list[BitMap]] = {}
    for r in await snap.fetchall(sql, params):
        group = (parts.days[r["day"]], event_key(dim, r["value"], r["country"], r["region"]))
        tally = found.get(group)
        if tally is None:
            tally = found[group] = Tally()
            sets[group] = []
        tally.pageviews += r["pageviews"]
        tally.events += r["events"]
        tally.time_total += r["time_total"]
        tally.time_count += r["time_count"]
        if visitors:
            sets[group].append(BitMap.deserialize(r["visitor_set"]))
    _unite(found, sets)
    return found


def _unite(found: dict[Group, Tally], sets: dict[Group, list[BitMap]]) -> None:
    """Each group's visitors: the union of its days' bitmaps, in one pass (a many-way union is
    a few times cheaper than adding the days one at a time)."""
    for group, bitmaps in sets.items():
        if bitmaps:
            found[group].ordinals = BitMap.union(*bitmaps)


async def add_raw_events(
    snap: Snapshot, parts: Parts, dim: str, found: dict[Group, Tally], values: Iterable[str] | None = None
) -> None:
    """Add the raw pieces' events of `dim` to `found`."""
    if not parts.pieces:
        return
    spec = EVENT_DIMS[dim]
    params: dict[str, object] = {"site": parts.site_id, "pieces": json.dumps(parts.pieces)}
    context = tuple(f"e.{c}" for c in spec.context)
    sql = RAW_EVENTS.format(
        columns=", ".join((f"{spec.value} AS value", *(f"{c} AS {c[2:]}" for c in context))),
        groups=", ".join((*context, spec.value)),
        value=spec.value,
        kinds=spec.kinds,
        values=_values_clause(spec.value, values, params),
    )
    for r in await snap.fetchall(sql, params):
        country = r["country"] if spec.context else None
        region = r["region"] if len(spec.context) > 1 else None
        group = (r["label"], event_key(dim, r["value"], country, region))
        tally = found.get(group)
        if tally is None:
            tally = found[group] = Tally()
        tally.pageviews += r["pageviews"]
        tally.events += r["events"]
        tally.time_total += r["time_total"]
        tally.time_count += r["time_count"]
        tally.add_visitors(r["ordinals"], r["strangers"])


async def session_tallies(
    snap: Snapshot,
    parts: Parts,
    dim: str,
    values: Iterable[str] | None = None,
    *,
    rolled: bool = True,
    raw: bool = True,
    visitors: bool = True,
) -> dict[Group, Tally]:
    """Tallies of session dimension `dim` per (label, key), over the rolled days (when `rolled`)
    and the raw pieces (when `raw`); without the rolled visitors (counts only) when not `visitors`."""
    values = None if values is None else list(values)
    found: dict[Group, Tally] = {}
    sets: dict[Group, list[BitMap]] = {}
    if rolled and parts.days:
        params: dict[str, object] = {
            "site": parts.site_id,
            "dim": dim,
            "days": days_json(parts),
        }
        sql = ROLLED_SESSIONS.format(
            blob=", visitor_set" if visitors else "", values=_values_clause("value", values, params)
        )
        for r in await snap.fetchall(sql, params):
            group = (parts.days[r["day"]], session_key(dim, r["value"]))
            tally = found.get(group)
            if tally is None:
                tally = found[group] = Tally()
                sets[group] = []
            tally.sessions += r["sessions"]
            tally.bounces += r["bounces"]
            tally.duration += r["duration"]
            if visitors:
                sets[group].append(BitMap.deserialize(r["visitor_set"]))
        _unite(found, sets)
    if raw:
        await add_raw_sessions(snap, parts, dim, found, values)
    return found


async def add_raw_sessions(
    snap: Snapshot, parts: Parts, dim: str, found: dict[Group, Tally], values: Iterable[str] | None = None
) -> None:
    if not parts.pieces:
        return
    column = SESSION_DIMS[dim]
    params: dict[str, object] = {"site": parts.site_id, "pieces": json.dumps(parts.pieces)}
    sql = RAW_SESSIONS.format(value=column, values=_values_clause(column, values, params))
    for r in await snap.fetchall(sql, params):
        group = (r["label"], session_key(dim, r["value"]))
        tally = found.get(group)
        if tally is None:
            tally = found[group] = Tally()
        tally.sessions += r["sessions"]
        tally.bounces += r["bounces"]
        tally.duration += r["duration"]
        tally.add_visitors(r["ordinals"], r["strangers"])
