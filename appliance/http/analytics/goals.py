"""Spec 004 goals: list, create, show, change, delete; a goal's conversions and their stats."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, delete, get, post, put
from litestar.di import Provide
from litestar.params import FromPath, JSONBody, QueryParameter

from appliance.clock import iso, now_ms
from appliance.goals import conversions, goals
from appliance.goals.models import Conversion, Goal, GoalInput
from appliance.http.analytics.websites import Ok
from appliance.http.auth import Db, SiteDep, provide_caller, provide_site
from appliance.http.goal_shape import GoalFields, goal_fields
from appliance.stats import parse

COUNTS_FROM_CREATION = (
    "Conversions count only traffic at or after the goal's creation: earlier pageviews, events "
    "and sessions are never counted, even for a period that starts before it."
)
DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000

StartDate = Annotated[
    str | None,
    QueryParameter(
        description="First local day (ISO 8601 date, the site's time zone); default: 6 days before end_date"
    ),
]
EndDate = Annotated[
    str | None,
    QueryParameter(
        description="Last local day, inclusive (ISO 8601 date, the site's time zone); default: today"
    ),
]
Limit = Annotated[
    int,
    QueryParameter(
        ge=1, le=MAX_LIMIT, description=f"Most conversions to list (1 to {MAX_LIMIT}), newest first"
    ),
]


class GoalOut(GoalFields, kw_only=True):
    website_id: int

    @classmethod
    def of(cls, goal: Goal) -> GoalOut:
        return cls(website_id=goal.site_id, **goal_fields(goal))


class GoalsEnvelope(msgspec.Struct, kw_only=True):
    data: list[GoalOut]


class GoalEnvelope(msgspec.Struct, kw_only=True):
    data: GoalOut


class ConversionOut(msgspec.Struct, kw_only=True):
    timestamp: str | None
    session_id: int
    path: str | None  # the converting pageview's path (an event's page; a session goal's entry page)
    event: str | None  # the converting custom event's name
    value: float | None

    @classmethod
    def of(cls, conversion: Conversion) -> ConversionOut:
        return cls(
            timestamp=iso(conversion.ts),
            session_id=conversion.session_id,
            path=conversion.path,
            event=conversion.event,
            value=conversion.value,
        )


class PeriodOut(msgspec.Struct, kw_only=True):
    start: str | None
    end: str | None


class ConversionsEnvelope(msgspec.Struct, kw_only=True):
    data: list[ConversionOut]
    period: PeriodOut


class GoalStatsOut(msgspec.Struct, kw_only=True):
    total_conversions: int
    conversion_rate: float
    total_value: float
    average_value: float


class GoalsController(Controller):
    path = "/websites/{id:int}/goals"
    tags = ["Goals"]
    dependencies = {"caller": Provide(provide_caller), "site": Provide(provide_site)}

    @get("/", opt={"role": "viewer"}, summary="A website's goals")
    async def list_goals(self, site: SiteDep, db: Db) -> GoalsEnvelope:
        return GoalsEnvelope(data=[GoalOut.of(g) for g in await goals.goals_for(db, site.site.id)])

    @post(
        "/",
        status_code=201,
        opt={"role": "admin"},
        summary="Create a goal",
        description="Types: pageview (path match), event (event name match), duration (session seconds "
        ">= threshold), pages_per_session (session pageviews >= threshold). Match types: equals, contains, "
        "starts_with, ends_with, regex (RE2 syntax, searched anywhere unless anchored). Optional value: a "
        "fixed `value`, or `value_property`, a custom property of the converting hit. "
        + COUNTS_FROM_CREATION,
    )
    async def create_goal(self, site: SiteDep, db: Db, data: JSONBody[GoalInput]) -> GoalEnvelope:
        return GoalEnvelope(data=GoalOut.of(await goals.create_goal(db, site.site.id, data)))

    @get("/{goal_id:int}", opt={"role": "viewer"}, summary="One goal")
    async def show_goal(self, site: SiteDep, db: Db, goal_id: FromPath[int]) -> GoalEnvelope:
        return GoalEnvelope(data=GoalOut.of(await goals.get_goal(db, site.site.id, goal_id)))

    @put(
        "/{goal_id:int}",
        opt={"role": "admin"},
        summary="Change a goal",
        description="Fields not given stay as they are. The conversions since the goal's creation are "
        "judged by the new definition. " + COUNTS_FROM_CREATION,
    )
    async def update_goal(
        self, site: SiteDep, db: Db, goal_id: FromPath[int], data: JSONBody[GoalInput]
    ) -> GoalEnvelope:
        return GoalEnvelope(data=GoalOut.of(await goals.update_goal(db, site.site.id, goal_id, data)))

    @delete("/{goal_id:int}", status_code=200, opt={"role": "admin"}, summary="Delete a goal")
    async def delete_goal(self, site: SiteDep, db: Db, goal_id: FromPath[int]) -> Ok:
        await goals.delete_goal(db, site.site.id, goal_id)
        return Ok()

    @get(
        "/{goal_id:int}/conversions",
        opt={"role": "viewer"},
        summary="A goal's conversions, newest first",
        description="One per converting session: the first matching hit (pageview and event goals, dated "
        "at that hit) or the session itself (duration and pages_per_session goals, dated at its start). "
        + COUNTS_FROM_CREATION,
    )
    async def list_conversions(
        self,
        site: SiteDep,
        db: Db,
        goal_id: FromPath[int],
        start_date: StartDate = None,
        end_date: EndDate = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> ConversionsEnvelope:
        span = parse.date_range(start_date, end_date, parse.timezone(site.site.timezone), now_ms())
        found = await conversions.conversions(db, site.site.id, goal_id, span.start, span.end, limit=limit)
        return ConversionsEnvelope(
            data=[ConversionOut.of(c) for c in found],
            period=PeriodOut(start=iso(span.start), end=iso(span.end)),
        )

    @get(
        "/{goal_id:int}/conversions/stats",
        opt={"role": "viewer"},
        summary="A goal's conversions, conversion rate and value",
        description="conversion_rate: converting sessions per 100 sessions that started in the period, one "
        "decimal. total_value: the sum of the conversions' values; average_value: per conversion that "
        "carried a value, two decimals. " + COUNTS_FROM_CREATION,
    )
    async def conversion_stats(
        self,
        site: SiteDep,
        db: Db,
        goal_id: FromPath[int],
        start_date: StartDate = None,
        end_date: EndDate = None,
    ) -> GoalStatsOut:
        span = parse.date_range(start_date, end_date, parse.timezone(site.site.timezone), now_ms())
        stats = await conversions.goal_stats(db, site.site.id, goal_id, span.start, span.end)
        return GoalStatsOut(
            total_conversions=stats.conversions,
            conversion_rate=stats.conversion_rate,
            total_value=round(stats.total_value, 2),
            average_value=stats.average_value,
        )
