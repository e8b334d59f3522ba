"""Where goals plug into the stats layer. Goals themselves belong to the goals package.

Two questions of this layer need goals:

- `conversions`: the goal conversions an overview shows as `goals`, from the goals package
  (all goals' conversions in the period; the query's other filters do not narrow it yet);
- `goal_conditions`: the query's `goal==...` filters as compiled conditions (a `Condition` on
  events `e` or sessions `s`, with bound parameters), which `selection.select` ANDs with the rest.
"""

from __future__ import annotations

from appliance.db import Database
from appliance.errors import Invalid
from appliance.goals.conversions import total_conversions
from appliance.stats.query import Query
from appliance.stats.selection import Condition


async def conversions(db: Database, query: Query) -> int:
    """Goal conversions in the query's period (every goal; filters are not applied yet)."""
    return await total_conversions(db, query.site_id, query.period.start, query.period.end)


async def goal_conditions(db: Database, query: Query) -> tuple[Condition, ...]:
    """The query's goal filters as conditions; Invalid("filters") while goals cannot be filtered on."""
    if any(f.dimension == "goal" for f in query.filters):
        raise Invalid.field("filters", "Filtering by goal is not available yet.")
    return ()
