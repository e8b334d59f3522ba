"""Spec 000 analytics at `/api/sites/{id}/analytics/...`, and the breakdowns the dashboard needs.

Each handler takes the `Query` that `provide_query` parsed (period, start_date, end_date and
filters; see docs/STATS.md), calls one function of `appliance.stats` and shapes the answer.
Every route needs the viewer role on the site.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Router, get
from litestar.di import NamedDependency, Provide
from litestar.handlers import HTTPRouteHandler
from litestar.params import QueryParameter

from appliance import clock, stats
from appliance.http.api.analytics_out import (
    BreakdownOut,
    BreakdownRowOut,
    CountryOut,
    CustomEventOut,
    DataPeriod,
    ListOut,
    OverviewData,
    OverviewOut,
    PageOut,
    PagesOut,
    Pagination,
    RealtimeCountry,
    RealtimeOut,
    RealtimePage,
    ReferrerOut,
    RegionOut,
    TimeseriesOut,
    UtmCampaignOut,
    UtmMediumOut,
    UtmOut,
    UtmSourceOut,
)
from appliance.http.auth import Db, SiteDep, provide_caller, provide_site
from appliance.stats import parse
from appliance.stats.query import DIMENSIONS, Dimension, Metric, Query

FILTERS_HELP = (
    "Conditions joined by `;`, each `dimension==value` (is), `dimension!=value` (is not) or "
    "`dimension~value` (contains, ignoring the case of A-Z); e.g. `page==/pricing;country!=US;source~goo`. "
    "Dimensions: " + ", ".join(DIMENSIONS) + ". Escape `;` and `\\` in a value with `\\`."
)

Period = Annotated[
    str | None,
    QueryParameter(
        description="today, 7d, 30d (the default), 12mo or custom: local days in the site's time zone; "
        "or 24h (extension): the 24 hours up to now, compared with the 24 hours before, by hour"
    ),
]
StartDate = Annotated[
    str | None, QueryParameter(description="First local day (YYYY-MM-DD), with period=custom")
]
EndDate = Annotated[
    str | None, QueryParameter(description="Last local day (YYYY-MM-DD, inclusive), with period=custom")
]
Filters = Annotated[str | None, QueryParameter(description=FILTERS_HELP)]
PageNumber = Annotated[int, QueryParameter(description="Page of the list, from 1")]
PerPage = Annotated[int, QueryParameter(description=f"Rows per page, 1 to {parse.MAX_PER_PAGE}")]
Limit = Annotated[int, QueryParameter(description=f"How many rows, 1 to {parse.MAX_LIMIT}")]
IntervalParam = Annotated[
    str | None,
    QueryParameter(
        description="hour, day, week (from Monday) or month; default hour for one day, month beyond 92 days, "
        "else day"
    ),
]
QueryDep = NamedDependency[Query]
VIEWER = {"role": "viewer"}
DEFAULT_LIMIT = 100


async def provide_query(
    site: SiteDep,
    period: Period = None,
    start_date: StartDate = None,
    end_date: EndDate = None,
    filters: Filters = None,
) -> Query:
    tz = parse.timezone(site.site.timezone)
    span = parse.named_period(period, start_date, end_date, tz, clock.now_ms())
    return parse.query(site.site.id, site.site.timezone, span, parse.parse_filters(filters))


def _period(stats_query: Query) -> DataPeriod:
    return DataPeriod(
        start_date=stats_query.period.first.isoformat(), end_date=stats_query.period.last.isoformat()
    )


def _pagination(found: stats.Breakdown) -> Pagination:
    return Pagination(
        current_page=found.page, per_page=found.per_page, total=found.total, total_pages=found.pages
    )


@get("/overview", opt=VIEWER, summary="Totals of the period, with the change from the previous period")
async def overview(db: Db, stats_query: QueryDep) -> OverviewOut:
    found = await stats.overview(db, stats_query)
    current = found.current
    return OverviewOut(
        data=OverviewData(
            pageviews=current.pageviews,
            unique_visitors=current.visitors,
            sessions=current.sessions,
            bounce_rate=current.bounce_rate,
            avg_session_duration=current.avg_session_duration,
            events=current.events,
            goals=found.goals,
        ),
        comparison=found.comparison,
        period=_period(stats_query),
    )


@get("/pageviews", opt=VIEWER, summary="Pageviews per page, most viewed first")
async def pageviews(db: Db, stats_query: QueryDep, page: PageNumber = 1, per_page: PerPage = 20) -> PagesOut:
    page, per_page = parse.pagination(page, per_page)
    metrics: tuple[Metric, ...] = ("pageviews", "visitors", "avg_time_on_page", "bounce_rate")
    found = await stats.breakdown(db, stats_query.breakdown("page", metrics, page, per_page))
    return PagesOut(
        data=[
            PageOut(
                page=r.value,
                pageviews=r.pageviews,
                unique_visitors=r.visitors,
                avg_time_on_page=r.avg_time_on_page,
                bounce_rate=r.bounce_rate,
            )
            for r in found.rows
        ],
        pagination=_pagination(found),
    )


@get("/referrers", opt=VIEWER, summary='Visitors per traffic source, "Direct / None" included')
async def referrers(db: Db, stats_query: QueryDep, limit: Limit = DEFAULT_LIMIT) -> ListOut[ReferrerOut]:
    found = await stats.breakdown(
        db, stats_query.breakdown("source", ("visitors", "percentage"), 1, parse.limit(limit))
    )
    return ListOut(
        data=[ReferrerOut(source=r.value, visitors=r.visitors, percentage=r.percentage) for r in found.rows]
    )


@get("/locations", opt=VIEWER, summary="Visitors per country, with regions where known")
async def locations(db: Db, stats_query: QueryDep, limit: Limit = DEFAULT_LIMIT) -> ListOut[CountryOut]:
    found = await stats.locations(db, stats_query, parse.limit(limit))
    return ListOut(
        data=[
            CountryOut(
                country=c.country,
                country_name=c.country_name,
                visitors=c.visitors,
                percentage=c.percentage,
                regions=[RegionOut(region=r.region, visitors=r.visitors) for r in c.regions] or None,
            )
            for c in found
        ]
    )


@get("/utm-sources", opt=VIEWER, summary="Visitors per UTM source, medium and campaign")
async def utm_sources(db: Db, stats_query: QueryDep, limit: Limit = DEFAULT_LIMIT) -> UtmOut:
    count = parse.limit(limit)
    dimensions: tuple[Dimension, ...] = ("utm_source", "utm_medium", "utm_campaign")
    sources, mediums, campaigns = await stats.breakdowns(
        db, [stats_query.breakdown(d, ("visitors",), 1, count) for d in dimensions]
    )
    return UtmOut(
        sources=[UtmSourceOut(source=r.value, visitors=r.visitors) for r in sources.rows],
        mediums=[UtmMediumOut(medium=r.value, visitors=r.visitors) for r in mediums.rows],
        campaigns=[UtmCampaignOut(campaign=r.value, visitors=r.visitors) for r in campaigns.rows],
    )


@get("/events", opt=VIEWER, summary="Custom events by name, with the values of their properties")
async def custom_events(
    db: Db, stats_query: QueryDep, limit: Limit = DEFAULT_LIMIT
) -> ListOut[CustomEventOut]:
    found = await stats.custom_events(db, stats_query, parse.limit(limit))
    return ListOut(
        data=[
            CustomEventOut(
                name=e.name, count=e.count, unique_visitors=e.unique_visitors, properties=e.properties or None
            )
            for e in found
        ]
    )


@get("/realtime", opt=VIEWER, summary="The last five minutes: visitors, pageviews, top pages and countries")
async def realtime(db: Db, stats_query: QueryDep) -> RealtimeOut:
    found = await stats.realtime(db, stats_query, clock.now_ms())
    return RealtimeOut(
        current_visitors=found.visitors,
        pageviews_last_5min=found.pageviews,
        top_pages=[RealtimePage(page=p.value, visitors=p.visitors) for p in found.pages],
        top_countries=[RealtimeCountry(country=c.value, visitors=c.visitors) for c in found.countries],
    )


@get(
    "/timeseries",
    opt=VIEWER,
    summary="Visitors, pageviews and sessions per hour, day, week or month (extension)",
    description="Every bucket of the period is present, zero-filled. `date` is the bucket's local start: "
    "YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SS+HH:MM for hours. Weeks start on Monday; the first and last "
    "buckets are cut to the period.",
)
async def timeseries(db: Db, stats_query: QueryDep, interval: IntervalParam = None) -> TimeseriesOut:
    chosen = parse.interval(interval, stats_query.period, parse.default_interval(stats_query.period))
    points = await stats.timeseries(db, stats_query.with_interval(chosen))
    return TimeseriesOut(data=points, interval=chosen, period=_period(stats_query))


# The dashboard's breakdowns: path -> (dimension, summary).
BREAKDOWNS: dict[str, tuple[Dimension, str]] = {
    "browsers": ("browser", "Visitors per browser"),
    "operating-systems": ("os", "Visitors per operating system"),
    "devices": ("device", "Visitors per device type (desktop, mobile, tablet)"),
    "entry-pages": ("entry_page", "Sessions and visitors per entry page, with its bounce rate"),
    "exit-pages": ("exit_page", "Sessions and visitors per exit page, with its bounce rate"),
    "screen-sizes": ("screen_size", "Visitors per screen size (WIDTHxHEIGHT)"),
    "languages": ("language", "Visitors per browser language"),
    "regions": ("region", "Visitors per region (with its country)"),
    "cities": ("city", "Visitors per city (with its country and region)"),
}


def _breakdown_route(path: str, dimension: Dimension, summary: str) -> HTTPRouteHandler:
    async def handler(
        db: Db, stats_query: QueryDep, page: PageNumber = 1, per_page: PerPage = 20
    ) -> BreakdownOut:
        page, per_page = parse.pagination(page, per_page)
        found = await stats.breakdown(
            db, stats_query.breakdown(dimension, ("visitors", "percentage"), page, per_page)
        )
        return BreakdownOut(
            data=[BreakdownRowOut.of(r, dimension) for r in found.rows],
            pagination=_pagination(found),
        )

    return get(
        f"/{path}",
        opt=VIEWER,
        summary=f"{summary} (extension)",
        operation_id=f"Analytics{path.title().replace('-', '')}",
        name=f"analytics-{path}",
    )(handler)


analytics_router = Router(
    "/sites/{id:int}/analytics",
    route_handlers=[
        overview,
        pageviews,
        referrers,
        locations,
        utm_sources,
        custom_events,
        realtime,
        timeseries,
        *(_breakdown_route(path, dimension, summary) for path, (dimension, summary) in BREAKDOWNS.items()),
    ],
    dependencies={
        "caller": Provide(provide_caller),
        "site": Provide(provide_site),
        "stats_query": Provide(provide_query),
    },
    tags=["Analytics"],
)
