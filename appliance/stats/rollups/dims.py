"""What is rolled up: the dimensions of each level, and how a row of raw data maps to them.

Events are rolled by the local day they happened on: dim '' (the day's totals) and one row per
value of each event dimension. Sessions are rolled by the local day they started on: dim '' and
one row per value of each session dimension. Rows whose value is unknown (NULL) are not rolled,
as breakdowns leave them out.
"""

from __future__ import annotations

from dataclasses import dataclass

from appliance.stats.query import Dimension
from appliance.stats.selection import COLUMNS

TOTAL = ""


@dataclass(frozen=True, slots=True)
class EventDim:
    """An event dimension: its value over `e`, the columns that place it, which events it counts."""

    name: str
    value: str
    context: tuple[str, ...] = ()
    kinds: str = "1"


# `page` counts pageviews only (as its breakdown does); `event_name` custom events only (as the
# custom events list does; a breakdown by event name, which counts every kind, stays raw).
EVENT_DIMS: dict[str, EventDim] = {
    d.name: d
    for d in (
        EventDim(TOTAL, "''"),
        EventDim("page", COLUMNS["page"][1], kinds="e.kind = 0"),
        EventDim("country", COLUMNS["country"][1]),
        EventDim("region", COLUMNS["region"][1], ("country",)),
        EventDim("city", COLUMNS["city"][1], ("country", "region")),
        EventDim("browser", COLUMNS["browser"][1]),
        EventDim("os", COLUMNS["os"][1]),
        EventDim("device", COLUMNS["device"][1]),
        EventDim("screen_size", COLUMNS["screen_size"][1]),
        EventDim("language", COLUMNS["language"][1]),
        EventDim("event_name", COLUMNS["event_name"][1], kinds="e.kind = 1"),
    )
}

# Session dimensions and their column over `s`; '' is the totals.
SESSION_DIMS: dict[str, str] = {
    TOTAL: "''",
    **{name: column for name, (level, column) in COLUMNS.items() if level == "session"},
}

# The breakdowns rollups answer: those whose rows are exactly what is rolled.
BREAKDOWN_EVENT_DIMS: frozenset[Dimension] = frozenset(
    ("page", "country", "region", "city", "browser", "os", "device", "screen_size", "language")
)
BREAKDOWN_SESSION_DIMS: frozenset[Dimension] = frozenset(d for d in SESSION_DIMS if d)  # type: ignore[misc]
