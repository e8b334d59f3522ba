"""A stats question as a value: which site, which local days or hours, which filters, what to count.

Both surfaces parse their parameters into a `Query` (`appliance.stats.parse`); the functions of
this package answer it. A Query is frozen and hashable, so it can also key a cache.
"""

from __future__ import annotations

from datetime import date
from typing import Literal, get_args

import msgspec

Dimension = Literal[
    "page",
    "entry_page",
    "exit_page",
    "source",
    "referrer",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "utm_term",
    "country",
    "region",
    "city",
    "browser",
    "os",
    "device",
    "screen_size",
    "language",
    "event_name",
    "goal",
]
DIMENSIONS: tuple[Dimension, ...] = get_args(Dimension)

Operator = Literal["is", "is_not", "contains"]

Metric = Literal[
    "visitors",
    "pageviews",
    "sessions",
    "bounce_rate",
    "avg_session_duration",
    "avg_time_on_page",
    "events",
    "percentage",
]

Interval = Literal["hour", "day", "week", "month"]
INTERVALS: tuple[Interval, ...] = get_args(Interval)

# `24h` is an extension to spec 000's periods: the rolling 24 hours up to now.
PeriodName = Literal["today", "24h", "7d", "30d", "12mo", "custom"]
PERIODS: tuple[PeriodName, ...] = get_args(PeriodName)


class Filter(msgspec.Struct, frozen=True):
    """One condition: `dimension operator value`. A query's filters all hold at once (AND)."""

    dimension: Dimension
    operator: Operator
    value: str


class Period(msgspec.Struct, frozen=True, kw_only=True):
    """The UTC instants [`start`, `end`) that a query counts, and the local days they fall on.

    Most periods are whole local days `first`..`last` (inclusive): `start` is the first instant
    of `first` in the query's time zone and `end` the first instant after `last` (exclusive), in
    epoch milliseconds, so a day of 23 or 25 hours is 23 or 25 hours here.

    A `rolling` period (`24h`) is a run of instants that need not begin or end at a local
    midnight: `first` and `last` are then the local days that its first and last instants fall
    on, and only `start` and `end` bound it. Code that reads per-day data (such as daily rollups)
    can answer a period by whole days only when `rolling` is false.
    """

    first: date
    last: date
    start: int
    end: int
    rolling: bool = False

    @property
    def days(self) -> int:
        """How many local days the period touches (first..last)."""
        return (self.last - self.first).days + 1


class Query(msgspec.Struct, frozen=True, kw_only=True):
    """What to count, where and how.

    `previous` is the period of as many local days (for a rolling period, as many hours) just
    before `period`, for comparisons.
    `dimension` and `metrics` shape a breakdown (the first metric orders its rows); `interval`
    shapes a timeseries; `page` and `per_page` cut a breakdown into pages.
    """

    site_id: int
    timezone: str
    period: Period
    previous: Period
    filters: tuple[Filter, ...] = ()
    dimension: Dimension | None = None
    metrics: tuple[Metric, ...] = ("visitors",)
    interval: Interval = "day"
    page: int = 1
    per_page: int = 20

    def breakdown(self, dimension: Dimension, metrics: tuple[Metric, ...], page: int, per_page: int) -> Query:
        """This query, asking for one page of a breakdown by `dimension`."""
        return msgspec.structs.replace(
            self, dimension=dimension, metrics=metrics, page=page, per_page=per_page
        )

    def with_interval(self, interval: Interval) -> Query:
        """This query, asking for a timeseries by `interval`."""
        return msgspec.structs.replace(self, interval=interval)
