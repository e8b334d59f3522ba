"""Where visitors are: countries (an event dimension), each with its known regions."""

from __future__ import annotations

import json

import msgspec

from appliance.db import Database
from appliance.stats import rollups
from appliance.stats.breakdowns import Breakdown, breakdown
from appliance.stats.countries import country_name
from appliance.stats.metrics import selection
from appliance.stats.query import Query

REGIONS = """
SELECT e.country AS country, e.region AS region, count(DISTINCT e.visitor_key) AS visitors
FROM {events}
WHERE e.site_id = :site AND e.ts >= :start AND e.ts < :end AND e.region IS NOT NULL
  AND e.country IN (SELECT value FROM json_each(:countries)) AND {event_match}
GROUP BY e.country, e.region
ORDER BY visitors DESC, region
"""


class Region(msgspec.Struct, frozen=True, kw_only=True):
    region: str
    visitors: int


class Country(msgspec.Struct, frozen=True, kw_only=True):
    country: str
    country_name: str
    visitors: int
    percentage: float
    regions: list[Region]  # empty when no region is known (a country-only geo database)


async def locations(db: Database, query: Query, limit: int) -> list[Country]:
    """The top `limit` countries by visitors, with every known region of each."""
    countries: Breakdown = await breakdown(
        db, query.breakdown("country", ("visitors", "percentage"), 1, limit)
    )
    if not countries.rows:
        return []
    regions = await _regions(db, query, [r.value for r in countries.rows])
    return [
        Country(
            country=r.value,
            country_name=country_name(r.value),
            visitors=r.visitors,
            percentage=r.percentage,
            regions=regions.get(r.value, []),
        )
        for r in countries.rows
    ]


async def _regions(db: Database, query: Query, countries: list[str]) -> dict[str, list[Region]]:
    regions: dict[str, list[Region]] = {}
    if rollups.usable(query):
        rolled = await rollups.regions(db, query, countries)
        if rolled is not None:
            for country, found in rolled.items():
                regions[country] = [Region(region=name, visitors=visitors) for name, visitors in found]
            return regions
    sel = await selection(db, query)
    rows = await db.fetchall(
        REGIONS.format(events=sel.events, event_match=sel.event_match),
        sel.bind(countries=json.dumps(countries)),
    )
    for r in rows:
        regions.setdefault(r["country"], []).append(Region(region=r["region"], visitors=r["visitors"]))
    return regions
