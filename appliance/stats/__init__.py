"""The stats query layer: every analytics answer of both surfaces, from one `Query` value.

How a question flows:

1. A surface parses its parameters with `parse` into a `Query` (site, time zone, the period as
   local days resolved to UTC bounds by `calendar`, the previous period, filters, dimension,
   metrics, interval, page).
2. One function answers it: `metrics.aggregate` / `metrics.overview` (totals and comparison),
   `breakdowns.breakdown` (one page of rows per value of a dimension), `locations.locations`,
   `custom_events.custom_events`, `timeseries.timeseries`, `realtime.realtime`. Each returns a
   frozen msgspec Struct that knows nothing of either surface's shape.
3. `selection.select` compiles the filters (a closed list of columns and operators, values bound)
   into the SQL pieces every named query of this package is written around.

All SQL about stats lives in this package, over the raw `events` and `sessions` tables, which
stay the source of truth, and over the rollups derived from them (`rollups`). Each answering
function receives the Query whole and chooses inside: without filters, the local days whose
rollups are built and clean are read from them and the rest of the period from raw rows, merged
exactly; with filters, or when no day is built, the raw queries answer as they always did. They
stay the reference that the tests hold rollups equal to. The semantics that rollups must keep are stated in
`selection` (filters), `metrics` (definitions) and docs/STATS.md.
"""

from appliance.stats.breakdowns import Breakdown, Row, breakdown, breakdowns
from appliance.stats.custom_events import CustomEvent, custom_events
from appliance.stats.locations import Country, Region, locations
from appliance.stats.metrics import Aggregate, Comparison, Overview, aggregate, overview
from appliance.stats.query import Dimension, Filter, Interval, Metric, Period, Query
from appliance.stats.realtime import Realtime, realtime
from appliance.stats.timeseries import Point, timeseries

__all__ = [
    "Aggregate",
    "Breakdown",
    "Comparison",
    "Country",
    "CustomEvent",
    "Dimension",
    "Filter",
    "Interval",
    "Metric",
    "Overview",
    "Period",
    "Point",
    "Query",
    "Realtime",
    "Region",
    "Row",
    "aggregate",
    "breakdown",
    "breakdowns",
    "custom_events",
    "locations",
    "overview",
    "realtime",
    "timeseries",
]
