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
from appliance.stats.metrics import selection
from appliance.stats.query import Query

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
    names = await db.fetchall(
        EVENT_NAMES.format(events=sel.events, event_match=sel.event_match), sel.bind(limit=limit)
    )
    if not names:
        return []
    found = await db.fetchall(
        PROPERTY_VALUES.format(events=sel.events, event_match=sel.event_match),
        sel.bind(names=json.dumps([r["name"] for r in names]), max_values=MAX_VALUES),
    )
    properties: dict[str, dict[str, list[PropertyValue]]] = {}
    for r in found:
        keys = properties.setdefault(r["name"], {})
        if r["key"] in keys or len(keys) < MAX_PROPERTIES:
            value = _CONSTANTS[r["type"]] if r["type"] in _CONSTANTS else r["atom"]
            keys.setdefault(r["key"], []).append(value)
    return [
        CustomEvent(
            name=r["name"],
            count=r["count"],
            unique_visitors=r["visitors"],
            properties=properties.get(r["name"], {}),
        )
        for r in names
    ]
