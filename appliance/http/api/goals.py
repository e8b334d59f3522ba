"""Spec 000 goals: the goal conversion report, and the goal settings the dashboard edits."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, delete, get, post, put
from litestar.di import Provide
from litestar.params import FromPath, JSONBody, QueryParameter

from appliance.clock import now_ms
from appliance.goals import conversions, goals
from appliance.goals.models import Goal, GoalInput
from appliance.http.analytics.goals import COUNTS_FROM_CREATION
from appliance.http.auth import Db, SiteDep, provide_caller, provide_site
from appliance.http.goal_shape import GoalFields, goal_fields
from appliance.stats import parse

Period = Annotated[
    str | None, QueryParameter(description="today, 24h (extension), 7d, 30d, 12mo or custom (default: 30d)")
]
StartDate = Annotated[str | None, QueryParameter(description="Start date (YYYY-MM-DD), for a custom period")]
EndDate = Annotated[
    str | None, QueryParameter(description="End date (YYYY-MM-DD, inclusive), for a custom period")
]


class GoalOut(GoalFields, kw_only=True):
    site_id: int

    @classmethod
    def of(cls, goal: Goal) -> GoalOut:
        return cls(site_id=goal.site_id, **goal_fields(goal))


class GoalsEnvelope(msgspec.Struct, kw_only=True):
    goals: list[GoalOut]


class GoalEnvelope(msgspec.Struct, kw_only=True):
    goal: GoalOut


class Valid(msgspec.Struct, kw_only=True):
    valid: bool = True


class GoalReportRow(msgspec.Struct, kw_only=True):
    name: str
    conversions: int
    conversion_rate: float
    total_value: float


class GoalReport(msgspec.Struct, kw_only=True):
    data: list[GoalReportRow]


class SiteGoalsController(Controller):
    path = "/sites/{id:int}"
    tags = ["Goals"]
    dependencies = {"caller": Provide(provide_caller), "site": Provide(provide_site)}

    @get(
        "/analytics/goals",
        opt={"role": "viewer"},
        summary="Goal conversion data",
        description="Per goal, most conversions first: conversions (converting sessions: a goal converts "
        "at most once per session), conversion_rate (per 100 sessions that started in the period, one "
        "decimal) and total_value. " + COUNTS_FROM_CREATION,
    )
    async def goal_report(
        self,
        site: SiteDep,
        db: Db,
        period: Period = None,
        start_date: StartDate = None,
        end_date: EndDate = None,
    ) -> GoalReport:
        span = parse.named_period(period, start_date, end_date, parse.timezone(site.site.timezone), now_ms())
        summaries = await conversions.site_goal_stats(db, site.site.id, span.start, span.end)
        return GoalReport(
            data=[
                GoalReportRow(
                    name=s.goal.name,
                    conversions=s.stats.conversions,
                    conversion_rate=s.stats.conversion_rate,
                    total_value=round(s.stats.total_value, 2),
                )
                for s in summaries
            ]
        )

    @get("/goals", opt={"role": "viewer"}, summary="A site's goals")
    async def list_goals(self, site: SiteDep, db: Db) -> GoalsEnvelope:
        return GoalsEnvelope(goals=[GoalOut.of(g) for g in await goals.goals_for(db, site.site.id)])

    @post(
        "/goals",
        status_code=201,
        opt={"role": "admin"},
        summary="Create a goal",
        description="As POST /analytics/websites/{id}/goals. " + COUNTS_FROM_CREATION,
    )
    async def create_goal(self, site: SiteDep, db: Db, data: JSONBody[GoalInput]) -> GoalEnvelope:
        return GoalEnvelope(goal=GoalOut.of(await goals.create_goal(db, site.site.id, data)))

    @post(
        "/goals/validate",
        status_code=200,
        opt={"role": "admin"},
        summary="Check a would-be goal without saving it",
        description='200 {"valid": true}, or 422 with the errors per field (a regex is compiled as it '
        "would be saved). With `goal_id`, the body is checked as a change of that goal.",
    )
    async def validate_goal(
        self,
        site: SiteDep,
        db: Db,
        data: JSONBody[GoalInput],
        goal_id: Annotated[int | None, QueryParameter(description="The goal being edited, if any")] = None,
    ) -> Valid:
        await goals.check_goal(db, site.site.id, data, goal_id)
        return Valid()

    @get("/goals/{goal_id:int}", opt={"role": "viewer"}, summary="One goal")
    async def show_goal(self, site: SiteDep, db: Db, goal_id: FromPath[int]) -> GoalEnvelope:
        return GoalEnvelope(goal=GoalOut.of(await goals.get_goal(db, site.site.id, goal_id)))

    @put(
        "/goals/{goal_id:int}",
        opt={"role": "admin"},
        summary="Change a goal",
        description="Fields not given stay as they are. " + COUNTS_FROM_CREATION,
    )
    async def update_goal(
        self, site: SiteDep, db: Db, goal_id: FromPath[int], data: JSONBody[GoalInput]
    ) -> GoalEnvelope:
        return GoalEnvelope(goal=GoalOut.of(await goals.update_goal(db, site.site.id, goal_id, data)))

    @delete("/goals/{goal_id:int}", status_code=204, opt={"role": "admin"}, summary="Delete a goal")
    async def delete_goal(self, site: SiteDep, db: Db, goal_id: FromPath[int]) -> None:
        await goals.delete_goal(db, site.site.id, goal_id)
