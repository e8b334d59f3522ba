"""Local days, hours, weeks and months of a time zone, as UTC epoch-millisecond bounds.

Events are stored in UTC; a site sees them in its own time zone. Every bound is computed here
with zoneinfo and passed to SQL as a parameter, so SQL never needs to know about time zones.
A local day starts at its first instant: midnight, or the end of a DST gap that swallows
midnight. Weeks start on Monday.
"""

from __future__ import annotations

import bisect
import functools
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta, tzinfo

import msgspec

from appliance.stats.query import Interval, Period

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MS = timedelta(milliseconds=1)
ONE_DAY = timedelta(days=1)
HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS


class Bucket(msgspec.Struct, frozen=True):
    """One point of a timeseries: its local label and the UTC instants [start, end) it covers."""

    key: str
    start: int
    end: int


@functools.lru_cache(maxsize=512)
def zone(name: str) -> tzinfo:
    """The time zone of an IANA name; raises zoneinfo.ZoneInfoNotFoundError (a KeyError) if unknown."""
    if name == "UTC":
        return UTC
    return zoneinfo.ZoneInfo(name)


def to_ms(moment: datetime) -> int:
    return (moment - EPOCH) // MS


def local(ms: int, tz: tzinfo) -> datetime:
    """The instant `ms` as a local date-time of `tz`."""
    return (EPOCH + ms * MS).astimezone(tz)


def today(now: int, tz: tzinfo) -> date:
    return local(now, tz).date()


def day_start(day: date, tz: tzinfo) -> int:
    """The first instant of local `day`.

    fold=0 reads a wall time in a DST gap with the offset from before the gap, which lands on
    the gap's end: the first instant that the day really has.
    """
    return to_ms(datetime.combine(day, time(0), tzinfo=tz))


def period(first: date, last: date, tz: tzinfo) -> Period:
    """The local days first..last (inclusive)."""
    return Period(first=first, last=last, start=day_start(first, tz), end=day_start(last + ONE_DAY, tz))


def rolling(now: int, hours: int, tz: tzinfo) -> Period:
    """The `hours` hours up to and including the instant `now`, wherever local days begin."""
    end = now + 1  # `end` is exclusive: a hit stamped at this very millisecond counts
    return _rolling(end - hours * HOUR_MS, end, tz)


def _rolling(start: int, end: int, tz: tzinfo) -> Period:
    first, last = local(start, tz).date(), local(end - 1, tz).date()
    return Period(first=first, last=last, start=start, end=end, rolling=True)


def previous(current: Period, tz: tzinfo) -> Period:
    """As many local days as `current` has, ending the day before it starts; for a rolling
    period, as many hours, ending where it starts."""
    if current.rolling:
        return _rolling(2 * current.start - current.end, current.start, tz)
    return period(current.first - timedelta(days=current.days), current.first - ONE_DAY, tz)


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after (or before) `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def buckets(span: Period, interval: Interval, tz: tzinfo) -> list[Bucket]:
    """Every bucket of `interval` that overlaps the period, in order, clipped to the period.

    Keys are local: `YYYY-MM-DD` for a day, for the Monday of a week and for the 1st of a month;
    `YYYY-MM-DDTHH:MM:SS+HH:MM` for an hour (the offset tells apart the two 01:00 of a night
    that sets clocks back; the hour a night skips does not exist and has no bucket). A rolling
    period cuts its first and last buckets, hours included, which keep their own keys.
    """
    if interval == "hour":
        return _hours(span, tz)
    starts: list[date] = []
    if interval == "day":
        starts = [span.first + timedelta(days=i) for i in range(span.days)]
    elif interval == "week":
        day = span.first - timedelta(days=span.first.weekday())
        while day <= span.last:
            starts.append(day)
            day += timedelta(days=7)
    else:
        day = span.first.replace(day=1)
        while day <= span.last:
            starts.append(day)
            day = add_months(day, 1)
    bounds = [max(day_start(d, tz), span.start) for d in starts] + [span.end]
    return [Bucket(d.isoformat(), bounds[i], bounds[i + 1]) for i, d in enumerate(starts)]


def _hours(span: Period, tz: tzinfo) -> list[Bucket]:
    instants: list[int] = []
    day = span.first
    while day <= span.last:
        start, end = day_start(day, tz), day_start(day + ONE_DAY, tz)
        if end - start == DAY_MS and local(start, tz).minute == 0:
            instants.extend(range(start, end, HOUR_MS))  # 24 plain hours: no transition today
        else:
            instants.extend(_clock_hours(day, start, end, tz))
        day += ONE_DAY
    # Each bucket keeps the key of its hour; the first is cut to start where the period does.
    first = bisect.bisect_right(instants, span.start) - 1
    starts = [span.start] + [ms for ms in instants[first + 1 :] if ms < span.end]
    keys = [instants[first], *starts[1:]]
    bounds = [*starts, span.end]
    return [
        Bucket(local(key, tz).isoformat(timespec="seconds"), bounds[i], bounds[i + 1])
        for i, key in enumerate(keys)
    ]


def _clock_hours(day: date, start: int, end: int, tz: tzinfo) -> list[int]:
    """The instants of a day with a transition at which the local clock shows a whole hour: each
    wall hour read both ways where clocks go back (fold 0 and 1), and the day's first instant."""
    found = {start}
    for hour in range(24):
        for fold in (0, 1):
            ms = to_ms(datetime.combine(day, time(hour, fold=fold), tzinfo=tz))
            if start <= ms < end and local(ms, tz).minute == 0:
                found.add(ms)
    return sorted(found)
