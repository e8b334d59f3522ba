"""Pre-aggregation: per local day rollups of events and sessions, with exact visitor sets.

- `dims`: what is rolled (the dimensions of each level);
- `build`: building days (the refresher's `refresh`, the command line's `rebuild`), in an order
  that keeps answers right while events arrive;
- `plan`: which local days of a span are usable and which UTC spans raw rows must answer;
- `read`, `rank`, `answers`: reading and merging tallies, and the top rows of a breakdown.

Unique visitors over any days are the size of the union of the days' roaring bitmaps of visitor
ordinals (plus raw visitors): exact, not a sketch. The stats functions use rollups only for
queries without filters, and fall back to raw rows when none of their days is usable.
"""

from appliance.stats.rollups.answers import (
    Ranked,
    entry_bounces,
    properties,
    ranked,
    regions,
    series,
    totals,
    usable,
)
from appliance.stats.rollups.build import rebuild, refresh, sites_to_rebuild
from appliance.stats.rollups.tally import Tally

__all__ = [
    "Ranked",
    "Tally",
    "entry_bounces",
    "properties",
    "ranked",
    "rebuild",
    "refresh",
    "regions",
    "series",
    "sites_to_rebuild",
    "totals",
    "usable",
]
