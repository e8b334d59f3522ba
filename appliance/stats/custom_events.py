"""Custom events by name: how often, by how many visitors, and the values of their properties.

Properties are counted per event name and property name; each property lists its most frequent
values first (ties: by JSON type name, then value), at most MAX_VALUES of them, and an event
lists at most MAX_PROPERTIES properties, the most frequent first (ties: by name).
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

from appliance.db import Database
from appliance.stats import rollups
from appliance.stats.metrics import selection
from appliance.stats.query import Query
from appliance.stats.selection import Selection

MAX_VALUES = 20
MAX_PROPERTIES = 30

EVENT_NAMES = """
SELECT e.name AS name, count(*) AS count, count(DISTINCT e.visitor_key) AS visitors
FROM {events}
WHERE e.site_id = :site AND e.ts >= :start AND e.ts < :end AND e.kind = 1 AND {event_match}
GROUP BY e.name
ORDER BY count DESC, visitors DESC, name
LIMIT :limit
"""

# json_each gives each property's JSON type ('text', 'integer', 'real', 'true', 'false', 'null')
# and its SQL value (`atom`); grouping by both keeps 1, 1.0 and true apart.
PROPERTY_VALUES = """
SELECT name, key, type, atom, count, key_count FROM (
    SELECT e.name AS name, p.key AS key, p.type AS type, p.atom AS atom, count(*) AS count,
           sum(count(*)) OVER (PARTITION BY e.name, p.key) AS key_count,
           row_number() OVER (PARTITION BY e.name, p.key ORDER BY count(*) DESC, p.type, p.atom) AS rank
    FROM {events} CROSS JOIN json_each(e.props) AS p
    WHERE e.site_id = :site AND e.ts >= :start AND e.ts < :end AND e.kind = 1 AND e.props IS NOT NULL
      AND e.name IN (SELECT value FROM json_each(:names)) AND {event_match}
    GROUP BY e.name, p.key, p.type, p.atom
)
WHERE rank <= :max_values
ORDER BY name, key_count DESC, key, count DESC, type, atom
"""

_CONSTANTS: dict[str, Any] = {"true": True, "false": False, "null": None}

PropertyValue = str | int | float | bool | None


class CustomEvent(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    count: int
    unique_visitors: int
    properties: dict[str, list[PropertyValue]]  # empty when its events carry none


async def custom_events(db: Database, query: Query, limit: int) -> list[CustomEvent]:
    """The `limit` most frequent custom event names of the period, with their property values."""
    sel = await selection(db, query)
    names = await _names(db, query, sel, limit)
    if not names:
        return []
    found = await _property_values(db, query, sel, [name for name, _, _ in names])
    properties: dict[str, dict[str, list[PropertyValue]]] = {}
    for name, key, kind, atom in found:
        keys = properties.setdefault(name, {})
        if key in keys or len(keys) < MAX_PROPERTIES:
            value = _CONSTANTS.get(kind, atom)
            keys.setdefault(key, []).append(value)
    return [
        CustomEvent(name=name, count=count, unique_visitors=visitors, properties=properties.get(name, {}))
        for name, count, visitors in names
    ]


async def _property_values(
    db: Database, query: Query, sel: Selection, names: list[str]
) -> list[tuple[str, str, str, Any]]:
    """(event name, property, JSON type, atom) of the most frequent values, in the order of
    PROPERTY_VALUES; from rollups' counts when they can (ranked here the same way)."""
    if rollups.usable(query):
        counts = await rollups.properties(db, query, names)
        if counts is not None:
            return _rank_values(counts)
    found = await db.fetchall(
        PROPERTY_VALUES.format(events=sel.events, event_match=sel.event_match),
        sel.bind(names=json.dumps(names), max_values=MAX_VALUES),
    )
    return [(r["name"], r["key"], r["type"], r["atom"]) for r in found]


def _rank_values(counts: list[tuple[str, str, str, Any, int]]) -> list[tuple[str, str, str, Any]]:
    by_key: dict[tuple[str, str], list[tuple[str, Any, int]]] = {}
    for name, key, kind, atom, count in counts:
        by_key.setdefault((name, key), []).append((kind, atom, count))
    ranked = []
    for (name, key), values in by_key.items():
        key_count = sum(count for _, _, count in values)
        # Within one JSON type the atoms are of one SQL type, so they compare as SQL compares them.
        values.sort(key=lambda v: (-v[2], v[0], v[1]))
        for kind, atom, count in values[:MAX_VALUES]:
            ranked.append((name, -key_count, key, -count, kind, atom))
    ranked.sort()
    return [(name, key, kind, atom) for name, _, key, _, kind, atom in ranked]


async def _names(db: Database, query: Query, sel: Selection, limit: int) -> list[tuple[str, int, int]]:
    """The `limit` most frequent names: (name, count, visitors); from rollups when they can."""
    if rollups.usable(query):
        rolled = await rollups.ranked(
            db, query, "event_name", on_events=True, order="events", limit=limit, offset=0
        )
        if rolled is not None:
            return [(str(key[0]), tally.events, visitors) for key, tally, visitors in rolled.rows]
    found = await db.fetchall(
        EVENT_NAMES.format(events=sel.events, event_match=sel.event_match), sel.bind(limit=limit)
    )
    return [(r["name"], r["count"], r["visitors"]) for r in found]
