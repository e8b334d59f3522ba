"""Creating, checking, listing, changing and deleting a site's goals."""

from __future__ import annotations

import math
import sqlite3
from typing import Any

import msgspec

from appliance.clock import now_ms
from appliance.db import Database
from appliance.errors import Invalid, NotFound
from appliance.goals import matching
from appliance.goals.models import GOAL_COLUMNS, GOAL_TYPES, HIT_GOALS, MATCH_TYPES, Goal, GoalInput

MAX_NAME = 200
MAX_MATCH_VALUE = matching.MAX_PATTERN_LENGTH
MAX_PROPERTY = 500  # as long as ingestion keeps a property name at most (tracking.max_property_length)
MAX_THRESHOLD = 1_000_000
MAX_VALUE = 1e12
MAX_GOALS_PER_SITE = 100  # every goal is a query on each goals report

# The fields of each kind of goal; a change of kind drops the other kind's fields not given anew.
_HIT_FIELDS = ("match_type", "match_value", "value_property")
_SESSION_FIELDS = ("threshold",)


def _merge(data: GoalInput, existing: Goal | None) -> dict[str, Any]:
    """The goal as it would be: the existing one (if any) with the given fields laid over it."""
    given = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
    fields: dict[str, Any] = dict.fromkeys(
        ("name", "type", "match_type", "match_value", "threshold", "value", "value_property")
    )
    if existing is not None:
        fields.update({k: getattr(existing, k) for k in fields})
    new_type = given.get("type", fields["type"])
    if existing is not None and new_type != existing.type:
        dropped = _SESSION_FIELDS if new_type in HIT_GOALS else _HIT_FIELDS
        for name in dropped:
            fields[name] = None
    fields.update(given)
    if isinstance(fields["name"], str):
        fields["name"] = fields["name"].strip()
    if fields["type"] not in HIT_GOALS and fields["threshold"] is None and "match_value" in given:
        # Spec 004 names one field, match_value: a session goal may give its threshold there.
        raw = fields["match_value"]
        if isinstance(raw, str) and raw.strip().isdecimal() and raw.strip().isascii():
            fields["threshold"] = int(raw.strip())
            fields["match_value"] = None
    if fields["type"] in HIT_GOALS and fields["match_type"] is None:
        fields["match_type"] = "equals"
    if fields["value_property"] is not None and isinstance(fields["value_property"], str):
        fields["value_property"] = fields["value_property"].strip() or None
    return fields


def _errors(fields: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def fail(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    name = fields["name"]
    if not isinstance(name, str) or not name:
        fail("name", "The name field is required.")
    elif len(name) > MAX_NAME:
        fail("name", f"The name may not be greater than {MAX_NAME} characters.")
    kind = fields["type"]
    if kind is None:
        fail("type", "The type field is required.")
    elif kind not in GOAL_TYPES:
        fail("type", f"The type must be one of: {', '.join(GOAL_TYPES)}.")
    elif kind in HIT_GOALS:
        _hit_errors(fields, fail)
    else:
        _session_errors(fields, fail)
    value = fields["value"]
    if value is not None and (not math.isfinite(value) or abs(value) > MAX_VALUE):
        fail("value", f"The value must be a number between -{MAX_VALUE:,.0f} and {MAX_VALUE:,.0f}.")
    if value is not None and fields["value_property"] is not None:
        fail("value", "Give either a fixed value or a value property, not both.")
    return errors


def _hit_errors(fields: dict[str, Any], fail: Any) -> None:
    match_type, match_value = fields["match_type"], fields["match_value"]
    if match_type not in MATCH_TYPES:
        fail("match_type", f"The match type must be one of: {', '.join(MATCH_TYPES)}.")
    if not isinstance(match_value, str) or not match_value:
        fail("match_value", "The match value field is required.")
    elif len(match_value) > MAX_MATCH_VALUE:
        fail("match_value", f"The match value may not be greater than {MAX_MATCH_VALUE} characters.")
    elif match_type == "regex":
        try:
            matching.compile_pattern(match_value)
        except matching.PatternError as exc:
            fail("match_value", str(exc))
    if fields["threshold"] is not None:
        fail("threshold", "A threshold applies only to duration and pages_per_session goals.")
    prop = fields["value_property"]
    if prop is not None and len(prop) > MAX_PROPERTY:
        fail("value_property", f"The value property may not be greater than {MAX_PROPERTY} characters.")


def _session_errors(fields: dict[str, Any], fail: Any) -> None:
    unit = "seconds" if fields["type"] == "duration" else "pageviews"
    threshold = fields["threshold"]
    if threshold is None:
        fail("threshold", f"The threshold field ({unit}) is required for {fields['type']} goals.")
    elif not 1 <= threshold <= MAX_THRESHOLD:
        fail("threshold", f"The threshold must be between 1 and {MAX_THRESHOLD} {unit}.")
    for name in ("match_type", "match_value"):
        if fields[name] is not None:
            fail(name, f"The {name.replace('_', ' ')} applies only to pageview and event goals.")
    if fields["value_property"] is not None:
        fail("value_property", "A value property applies only to pageview and event goals.")


def _checked(data: GoalInput, existing: Goal | None) -> dict[str, Any]:
    fields = _merge(data, existing)
    errors = _errors(fields)
    if errors:
        raise Invalid(errors)
    if fields["type"] not in HIT_GOALS:
        fields["match_type"] = fields["match_value"] = fields["value_property"] = None
    return fields


def _name_taken(conn: sqlite3.Connection, site_id: int, name: str, goal_id: int | None) -> bool:
    row = conn.execute(
        "SELECT 1 FROM goals WHERE site_id = ? AND name = ? AND id IS NOT ?", (site_id, name, goal_id)
    ).fetchone()
    return row is not None


_TAKEN = Invalid.field("name", "A goal with this name already exists on this site.")


async def create_goal(db: Database, site_id: int, data: GoalInput) -> Goal:
    """A new goal; it counts conversions from now on (see `conversions`). Invalid on bad input."""
    fields = _checked(data, None)
    now = now_ms()
    values = fields | {"site_id": site_id, "created_at": now, "updated_at": now}

    def insert(conn: sqlite3.Connection) -> Goal:
        if _name_taken(conn, site_id, fields["name"], None):
            raise _TAKEN
        count = conn.execute("SELECT count(*) FROM goals WHERE site_id = ?", (site_id,)).fetchone()[0]
        if count >= MAX_GOALS_PER_SITE:
            raise Invalid.field("name", f"A site may have at most {MAX_GOALS_PER_SITE} goals.")
        columns = ", ".join(values)
        marks = ", ".join(f":{k}" for k in values)
        row = conn.execute(
            f"INSERT INTO goals ({columns}) VALUES ({marks}) RETURNING {GOAL_COLUMNS}", values
        ).fetchone()
        return Goal.from_row(row)

    return await db.write(insert)


async def check_goal(db: Database, site_id: int, data: GoalInput, goal_id: int | None = None) -> None:
    """Raise Invalid if `data` would not make a valid goal (or a valid change of goal `goal_id`)."""
    existing = await get_goal(db, site_id, goal_id) if goal_id is not None else None
    fields = _checked(data, existing)
    row = await db.fetchone(
        "SELECT 1 FROM goals WHERE site_id = ? AND name = ? AND id IS NOT ?",
        (site_id, fields["name"], goal_id),
    )
    if row is not None:
        raise _TAKEN


async def goals_for(db: Database, site_id: int) -> list[Goal]:
    """The site's goals, oldest first."""
    rows = await db.fetchall(f"SELECT {GOAL_COLUMNS} FROM goals WHERE site_id = ? ORDER BY id", (site_id,))
    return [Goal.from_row(r) for r in rows]


async def get_goal(db: Database, site_id: int, goal_id: int) -> Goal:
    row = await db.fetchone(
        f"SELECT {GOAL_COLUMNS} FROM goals WHERE site_id = ? AND id = ?", (site_id, goal_id)
    )
    if row is None:
        raise NotFound("Goal not found.")
    return Goal.from_row(row)


async def update_goal(db: Database, site_id: int, goal_id: int, data: GoalInput) -> Goal:
    """Change a goal. Its conversions since creation are judged by the new definition from now on."""
    existing = await get_goal(db, site_id, goal_id)
    fields = _checked(data, existing)
    values = fields | {"updated_at": now_ms()}

    def update(conn: sqlite3.Connection) -> Goal:
        if _name_taken(conn, site_id, fields["name"], goal_id):
            raise _TAKEN
        assignments = ", ".join(f"{k} = :{k}" for k in values)
        row = conn.execute(
            f"UPDATE goals SET {assignments} WHERE site_id = :site_id AND id = :goal_id "
            f"RETURNING {GOAL_COLUMNS}",
            values | {"site_id": site_id, "goal_id": goal_id},
        ).fetchone()
        if row is None:
            raise NotFound("Goal not found.")
        return Goal.from_row(row)

    return await db.write(update)


async def delete_goal(db: Database, site_id: int, goal_id: int) -> None:
    def delete(conn: sqlite3.Connection) -> None:
        if conn.execute("DELETE FROM goals WHERE site_id = ? AND id = ?", (site_id, goal_id)).rowcount == 0:
            raise NotFound("Goal not found.")

    await db.write(delete)
