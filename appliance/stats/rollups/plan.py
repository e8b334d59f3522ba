"""Which part of a UTC span the rollups answer, and which part raw rows must.

A local day (days since 1970-01-01 in a time zone) is usable when it lies wholly inside the span,
its `rollup_days` row is built in the query's time zone and that is the site's time zone now, and
no `rollup_dirty` row marks a slot (UTC quarter hour) that overlaps it. Everything else of the span (days not
built or dirty, and partial days at the edges of a span not aligned to local days) is raw.
"""

from __future__ import annotations

import bisect
import functools
from datetime import date, timedelta

import msgspec

from appliance.stats import calendar
from appliance.stats.rollups.snapshot import Snapshot

EPOCH_DAY = date(1970, 1, 1)
DAY_MS = calendar.DAY_MS
SLOT_MS = 900_000  # rollup_dirty's unit: a UTC quarter hour


class Plan(msgspec.Struct, frozen=True, kw_only=True):
    """`days`: the usable local days (ascending); `raw`: UTC spans [start, end) left to raw rows."""

    days: tuple[int, ...]
    raw: tuple[tuple[int, int], ...]

    @property
    def rolled(self) -> bool:
        return bool(self.days)


def day_number(day: date) -> int:
    return (day - EPOCH_DAY).days


@functools.lru_cache(maxsize=8192)
def day_bounds(timezone: str, number: int) -> tuple[int, int]:
    """The UTC instants [start, end) of local day `number` in `timezone`."""
    tz = calendar.zone(timezone)
    day = EPOCH_DAY + timedelta(days=number)
    return calendar.day_start(day, tz), calendar.day_start(day + calendar.ONE_DAY, tz)


def local_days(timezone: str, start: int, end: int) -> range:
    """The local days that overlap the UTC instants [start, end)."""
    tz = calendar.zone(timezone)
    return range(
        day_number(calendar.local(start, tz).date()), day_number(calendar.local(end - 1, tz).date()) + 1
    )


USABLE = """
SELECT 'built' AS kind, r.day AS day FROM rollup_days r JOIN sites s ON s.id = r.site_id
WHERE r.site_id = :site AND r.day BETWEEN :first AND :last AND r.built_at IS NOT NULL
  AND r.timezone = :tz AND s.timezone = :tz
UNION ALL
SELECT 'dirty', slot FROM rollup_dirty WHERE site_id = :site AND slot BETWEEN :first_slot AND :last_slot
"""


async def plan(snapshot: Snapshot, site_id: int, timezone: str, start: int, end: int) -> Plan:
    """Split [start, end) into usable rolled local days and raw UTC spans."""
    if end <= start:
        return Plan(days=(), raw=())
    days = local_days(timezone, start, end)
    first_start = day_bounds(timezone, days[0])[0]
    last_end = day_bounds(timezone, days[-1])[1]
    found = await snapshot.fetchall(
        USABLE,
        {
            "site": site_id,
            "tz": timezone,
            "first": days[0],
            "last": days[-1],
            "first_slot": first_start // SLOT_MS,
            "last_slot": (last_end - 1) // SLOT_MS,
        },
    )
    built = {r["day"] for r in found if r["kind"] == "built"}
    dirty = sorted(r["day"] for r in found if r["kind"] == "dirty")
    rolled: list[int] = []
    raw: list[tuple[int, int]] = []
    for number in days:
        lo, hi = day_bounds(timezone, number)
        usable = (
            number in built
            and lo >= start
            and hi <= end
            and not _touches(dirty, lo // SLOT_MS, (hi - 1) // SLOT_MS)
        )
        if usable:
            rolled.append(number)
            continue
        lo, hi = max(lo, start), min(hi, end)
        if raw and raw[-1][1] == lo:
            raw[-1] = (raw[-1][0], hi)
        else:
            raw.append((lo, hi))
    return Plan(days=tuple(rolled), raw=tuple(raw))


def _touches(slots: list[int], first: int, last: int) -> bool:
    """Whether a sorted list of slots has one in first..last."""
    index = bisect.bisect_left(slots, first)
    return index < len(slots) and slots[index] <= last
