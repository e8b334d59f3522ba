"""Spec 004 statistics at `/analytics/websites/{id}/...`: stats, timeseries and realtime.

`start_date` and `end_date` are inclusive local dates (a date-time is read as the local date it
falls on); by default the 7 days up to today. `timezone` defaults to the website's. The same
`filters` as spec 000's analytics apply (docs/STATS.md). Every route needs the viewer role.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Router, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from appliance import clock, stats
from appliance.clock import iso
from appliance.errors import Invalid
from appliance.http.api.analytics import Filters, IntervalParam
from appliance.http.auth import Db, SiteDep, provide_caller, provide_site
from appliance.stats import parse
from appliance.stats.query import Query

Metric = Literal["pageviews", "visitors", "sessions"]
METRICS: tuple[Metric, ...] = ("pageviews", "visitors", "sessions")

StartDate = Annotated[
    str | None, QueryParameter(description="First local day, ISO 8601 (default: 6 days before end_date)")
]
EndDate = Annotated[
    str | None, QueryParameter(description="Last local day, inclusive, ISO 8601 (default: today)")
]
Timezone = Annotated[
    str | None, QueryParameter(description="IANA time zone of the days (default: the website's time zone)")
]
MetricParam = Annotated[
    str | None, QueryParameter(description="pageviews (the default), visitors or sessions")
]
QueryDep = NamedDependency[Query]
VIEWER = {"role": "viewer"}


async def provide_query(
    site: SiteDep,
    start_date: StartDate = None,
    end_date: EndDate = None,
    timezone: Timezone = None,
    filters: Filters = None,
) -> Query:
    zone_name = timezone or site.site.timezone
    tz = parse.timezone(zone_name)
    span = parse.date_range(start_date, end_date, tz, clock.now_ms())
    return parse.query(site.site.id, zone_name, span, parse.parse_filters(filters))


class StatsPeriod(msgspec.Struct, kw_only=True):
    start: str | None  # the first instant of the range, UTC
    end: str | None  # the first instant after it, UTC


class StatsOut(msgspec.Struct, kw_only=True):
    total_pageviews: int
    unique_visitors: int
    bounce_rate: float
    avg_session_duration: int
    period: StatsPeriod


class ActivePage(msgspec.Struct, kw_only=True):
    path: str
    viewers: int


class Location(msgspec.Struct, kw_only=True):
    country_code: str
    visitors: int


class RealtimeOut(msgspec.Struct, kw_only=True):
    active_visitors: int
    active_pages: list[ActivePage]
    locations: list[Location]
    timestamp: str | None


@get(
    "/stats",
    opt=VIEWER,
    summary="Totals of a date range",
    description="`period.end` is exclusive: the first instant after `end_date` in the time zone.",
)
async def website_stats(db: Db, stats_query: QueryDep) -> StatsOut:
    found = await stats.aggregate(db, stats_query)
    return StatsOut(
        total_pageviews=found.pageviews,
        unique_visitors=found.visitors,
        bounce_rate=found.bounce_rate,
        avg_session_duration=found.avg_session_duration,
        period=StatsPeriod(start=iso(stats_query.period.start), end=iso(stats_query.period.end)),
    )


@get(
    "/timeseries",
    opt=VIEWER,
    summary="One metric per hour, day, week or month, every bucket present",
    description="Keys are local bucket starts: YYYY-MM-DD for days, Mondays and months (the 1st), "
    "YYYY-MM-DDTHH:MM:SS+HH:MM for hours. Buckets without traffic are 0.",
)
async def website_timeseries(
    db: Db, stats_query: QueryDep, metric: MetricParam = None, interval: IntervalParam = None
) -> dict[str, int]:
    chosen = metric or "pageviews"
    if chosen not in METRICS:
        raise Invalid.field("metric", f"The metric must be one of: {', '.join(METRICS)}.")
    points = await stats.timeseries(
        db, stats_query.with_interval(parse.interval(interval, stats_query.period))
    )
    return {p.date: getattr(p, chosen) for p in points}


@get("/realtime", opt=VIEWER, summary="The last five minutes: active visitors, pages and locations")
async def website_realtime(db: Db, stats_query: QueryDep) -> RealtimeOut:
    now = clock.now_ms()
    found = await stats.realtime(db, stats_query, now)
    return RealtimeOut(
        active_visitors=found.visitors,
        active_pages=[ActivePage(path=p.value, viewers=p.visitors) for p in found.pages],
        locations=[Location(country_code=c.value, visitors=c.visitors) for c in found.countries],
        timestamp=iso(now),
    )


stats_router = Router(
    "/websites/{id:int}",
    route_handlers=[website_stats, website_timeseries, website_realtime],
    dependencies={
        "caller": Provide(provide_caller),
        "site": Provide(provide_site),
        "stats_query": Provide(provide_query),
    },
    tags=["Statistics"],
)
