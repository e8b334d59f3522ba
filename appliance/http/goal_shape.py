"""A goal as both surfaces show it: the same fields, each surface naming the site's id its own way."""

from __future__ import annotations

from typing import Any

import msgspec

from appliance.clock import iso
from appliance.goals.models import Goal


class GoalFields(msgspec.Struct, kw_only=True):
    id: int
    name: str
    type: str
    match_type: str | None
    match_value: str | None  # for duration and pages_per_session goals, the threshold as text
    threshold: int | None
    value: float | None
    value_property: str | None
    created_at: str | None
    updated_at: str | None


def goal_fields(goal: Goal) -> dict[str, Any]:
    """The GoalFields of a goal, as keyword arguments for a surface's subclass."""
    return {
        "id": goal.id,
        "name": goal.name,
        "type": goal.type,
        "match_type": goal.match_type,
        "match_value": goal.match_value if goal.per_hit else str(goal.threshold),
        "threshold": goal.threshold,
        "value": goal.value,
        "value_property": goal.value_property,
        "created_at": iso(goal.created_at),
        "updated_at": iso(goal.updated_at),
    }
