"""Which events and which sessions a query counts: its filters compiled to SQL from a closed list.

The rule (docs/STATS.md, "Filters"):

- A dimension is a property of a *session* (fixed by its first hit: entry_page, exit_page,
  source, referrer, utm_*) or of an *event* (each hit: page, event_name, country, region, city,
  browser, os, device, screen_size, language).
- An event counts when it happened in the period, satisfies every event filter, and its session
  satisfies every session filter. Pageviews, events, visitors and time on page count such events.
- A session counts when it started in the period, satisfies every session filter, and, if there
  are event filters, has at least one counted event (in the period). Sessions, bounce rate and
  session duration count such sessions.

So `page==/pricing` keeps the sessions and visitors that viewed /pricing and counts only the
views of /pricing; `source==Google` keeps everything of sessions that came from Google.

Columns and operators come only from the tables below; every value is bound as a parameter.
Templates use `e` for events and `s` for sessions, `:site`, `:start` and `:end`.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from appliance.errors import Invalid
from appliance.stats.query import Dimension, Filter, Operator, Query

Level = Literal["event", "session"]

COLUMNS: dict[Dimension, tuple[Level, str]] = {
    "page": ("event", "e.path"),
    "entry_page": ("session", "s.entry_path"),
    "exit_page": ("session", "s.exit_path"),
    "source": ("session", "s.source"),
    "referrer": ("session", "s.referrer_host"),
    "utm_source": ("session", "s.utm_source"),
    "utm_medium": ("session", "s.utm_medium"),
    "utm_campaign": ("session", "s.utm_campaign"),
    "utm_content": ("session", "s.utm_content"),
    "utm_term": ("session", "s.utm_term"),
    "country": ("event", "e.country"),
    "region": ("event", "e.region"),
    "city": ("event", "e.city"),
    "browser": ("event", "e.browser"),
    "os": ("event", "e.os"),
    "device": ("event", "e.device"),
    # NULL unless both are known, like every other unknown value.
    "screen_size": ("event", "(e.screen_width || 'x' || e.screen_height)"),
    "language": ("event", "e.language"),
    "event_name": ("event", "e.name"),
}

# `is not` is NULL-safe: an unknown value is not the one named. `contains` ignores the case of
# A-Z (SQLite's lower() folds ASCII only, so the bound value is folded the same way).
TESTS: dict[Operator, str] = {
    "is": "{column} = :{name}",
    "is_not": "{column} IS NOT :{name}",
    "contains": "instr(lower({column}), :{name}) > 0",
}

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_lower(text: str) -> str:
    return text.translate(_ASCII_LOWER)


class Condition(msgspec.Struct, frozen=True, kw_only=True):
    """One compiled filter: SQL over `e` (event level) or `s` (session level), and its parameters."""

    level: Level
    sql: str
    params: dict[str, object] = {}


class Selection(msgspec.Struct, frozen=True, kw_only=True):
    """The SQL pieces that select a query's events and sessions for one period.

    - `events`: what to put after FROM to read events (`events e`, joined to `sessions s` when a
      session filter needs it);
    - `event_match`: the filters' conditions on those rows (`1` when there are none);
    - `session_match`: the filters' conditions on `sessions s` (`1` when there are none);
    - `params`: `site`, `start`, `end` and the filters' values.
    """

    events: str
    event_match: str
    session_match: str
    params: dict[str, object]

    def bind(self, **more: object) -> dict[str, object]:
        return {**self.params, **more}


def compile_filter(flt: Filter, index: int) -> Condition:
    if flt.dimension not in COLUMNS:
        raise Invalid.field("filters", f"Filtering by {flt.dimension} is not available.")
    level, column = COLUMNS[flt.dimension]
    name = f"f{index}"
    value = ascii_lower(flt.value) if flt.operator == "contains" else flt.value
    return Condition(
        level=level, sql=TESTS[flt.operator].format(column=column, name=name), params={name: value}
    )


def select(query: Query, start: int, end: int, extra: tuple[Condition, ...] = ()) -> Selection:
    """The selection of `query`'s filters over the UTC instants [start, end); `extra` are conditions
    compiled elsewhere (goal filters, see `appliance.stats.goal_hooks`)."""
    conditions = [compile_filter(f, i) for i, f in enumerate(query.filters) if f.dimension != "goal"]
    conditions.extend(extra)
    params: dict[str, object] = {"site": query.site_id, "start": start, "end": end}
    for condition in conditions:
        params.update(condition.params)
    on_events = [c.sql for c in conditions if c.level == "event"]
    on_sessions = [c.sql for c in conditions if c.level == "session"]
    session_match = list(on_sessions)
    if on_events:
        session_match.append(
            "s.id IN (SELECT e.session_id FROM events e WHERE e.site_id = :site AND e.ts >= :start "
            f"AND e.ts < :end AND {' AND '.join(on_events)})"
        )
    return Selection(
        events="events e JOIN sessions s ON s.id = e.session_id" if on_sessions else "events e",
        event_match=" AND ".join(on_events + on_sessions) or "1",
        session_match=" AND ".join(session_match) or "1",
        params=params,
    )
