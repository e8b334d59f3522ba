"""Typed rows and inputs of the goals domain."""

from __future__ import annotations

import sqlite3
from typing import Literal

import msgspec

GoalType = Literal["pageview", "event", "duration", "pages_per_session"]
MatchType = Literal["equals", "contains", "starts_with", "ends_with", "regex"]
GOAL_TYPES: tuple[GoalType, ...] = ("pageview", "event", "duration", "pages_per_session")
MATCH_TYPES: tuple[MatchType, ...] = ("equals", "contains", "starts_with", "ends_with", "regex")
# Goals met by one hit (a pageview or a custom event), and goals met by a session's totals.
HIT_GOALS: tuple[GoalType, ...] = ("pageview", "event")
SESSION_GOALS: tuple[GoalType, ...] = ("duration", "pages_per_session")

GOAL_COLUMNS = (
    "id, site_id, name, type, match_type, match_value, threshold, value, value_property, "
    "created_at, updated_at"
)


class Goal(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    site_id: int
    name: str
    type: GoalType
    match_type: MatchType | None  # hit goals only
    match_value: str | None  # hit goals only: a path, an event name or an RE2 pattern
    threshold: int | None  # session goals only: seconds or pageviews
    value: float | None  # a fixed value per conversion
    value_property: str | None  # or the custom property of the converting hit that holds it
    created_at: int
    updated_at: int

    @property
    def per_hit(self) -> bool:
        return self.type in HIT_GOALS

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Goal:
        return cls(
            id=row["id"],
            site_id=row["site_id"],
            name=row["name"],
            type=row["type"],
            match_type=row["match_type"],
            match_value=row["match_value"],
            threshold=row["threshold"],
            value=row["value"],
            value_property=row["value_property"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )


class GoalInput(msgspec.Struct, kw_only=True):
    """A goal to create, or the fields of one to change: UNSET means 'not given'.

    Types are loose on purpose (`type` is any string, `threshold` may come as `match_value`):
    `goals.check` turns every mistake into a field error with a sentence, not a type error.
    """

    name: str | msgspec.UnsetType = msgspec.UNSET
    type: str | msgspec.UnsetType = msgspec.UNSET
    match_type: str | msgspec.UnsetType | None = msgspec.UNSET
    match_value: str | msgspec.UnsetType | None = msgspec.UNSET
    threshold: int | msgspec.UnsetType | None = msgspec.UNSET
    value: float | msgspec.UnsetType | None = msgspec.UNSET
    value_property: str | msgspec.UnsetType | None = msgspec.UNSET


class Conversion(msgspec.Struct, frozen=True, kw_only=True):
    """One session's conversion on a goal: when, and by which hit (None for session goals)."""

    goal_id: int
    ts: int
    session_id: int
    visitor_key: int
    path: str | None
    event: str | None
    value: float | None


class GoalStats(msgspec.Struct, frozen=True, kw_only=True):
    """A goal's conversions in a period, against the sessions that started in it."""

    conversions: int
    sessions: int
    total_value: float
    valued: int  # conversions that carried a value

    @property
    def conversion_rate(self) -> float:
        """Converting sessions per 100 sessions of the period, to one decimal; 0.0 without sessions."""
        return round(100.0 * self.conversions / self.sessions, 1) if self.sessions else 0.0

    @property
    def average_value(self) -> float:
        """The mean value of the conversions that carried one, to two decimals; 0.0 when none did."""
        return round(self.total_value / self.valued, 2) if self.valued else 0.0


class GoalSummary(msgspec.Struct, frozen=True, kw_only=True):
    goal: Goal
    stats: GoalStats
