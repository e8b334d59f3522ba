"""Conversions equal a plain Python computation over random traffic (hypothesis).

Traffic is written straight into the tables (two sites, sessions of several hits, pageviews and
custom events with a `revenue` property of any kind), with goals of every type and match type
created at random moments. The reference below is the definition in `appliance.goals.conversions`
written the obvious way: every hit in memory, Python's str methods, and Python's `re` for the
regexes (whose patterns here mean the same to both engines).
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appliance.config import Config
from appliance.db import open_connection, transaction
from appliance.db.migrations import migrate
from appliance.goals import conversions
from appliance.goals.models import Goal
from tests.support import open_database
from tests.support import test_config as config_on

MIN = 60_000
HOUR = 60 * MIN
WINDOW = 3 * 24 * HOUR  # traffic over three days from 0
SITES = (1, 2)

# Small alphabets, so that goals match often and sessions often hold several matching hits.
texts = st.text(alphabet="ab/_", max_size=3)
paths = texts.map(lambda t: "/" + t)
names = st.sampled_from(["buy", "buy_now", "a_buy", "Buy"])
revenues = st.sampled_from([None, 5, 2.5, "7.25", " 3 ", "x", "", True, False, "1e2", "inf", "nan", -4])
REGEXES = ["^/a", "b$", "a.b", "^/[ab]+$", "(a|b)_", "^(buy|signup)$", "^$", "/", "(a+)+$"]


@dataclass
class Hit:
    id: int
    site_id: int
    session_id: int
    visitor_key: int
    ts: int
    kind: int
    path: str | None
    name: str | None
    props: dict[str, Any] | None


@dataclass
class Session:
    id: int
    site_id: int
    visitor_key: int
    started_at: int
    duration: int
    pageviews: int
    entry_path: str | None
    hits: list[Hit] = field(default_factory=list)


@st.composite
def traffic(draw: st.DrawFn) -> list[Session]:
    sessions: list[Session] = []
    next_hit = 1
    for number in range(1, draw(st.integers(0, 12)) + 1):
        site_id = draw(st.sampled_from([1, 1, 1, 2]))  # the goals' site mostly, the other as noise
        start = draw(st.integers(0, WINDOW))
        session = Session(number, site_id, draw(st.integers(1, 4)), start, 0, 0, None)
        ts = start
        for _ in range(draw(st.integers(1, 5))):
            kind = draw(st.integers(0, 1))
            props = None
            if draw(st.booleans()):
                revenue = draw(revenues)
                props = {"currency": "EUR"} if revenue is None else {"revenue": revenue}
            hit = Hit(
                next_hit,
                site_id,
                number,
                session.visitor_key,
                ts,
                kind,
                draw(paths),
                draw(names) if kind == 1 else None,
                props,
            )
            next_hit += 1
            session.hits.append(hit)
            ts += draw(st.sampled_from([0, 1, MIN, 20 * MIN, 5 * HOUR]))  # sessions cross midnight too
        # Heartbeats may make a session last longer than its last hit.
        session.duration = (session.hits[-1].ts - start) // 1000 + draw(st.sampled_from([0, 30, 600]))
        session.pageviews = sum(1 for h in session.hits if h.kind == 0)
        session.entry_path = next((h.path for h in session.hits if h.kind == 0), None)
        sessions.append(session)
    return sessions


@st.composite
def goals(draw: st.DrawFn) -> list[Goal]:
    found = []
    for number in range(1, draw(st.integers(1, 4)) + 1):
        kind = draw(st.sampled_from(["pageview", "event", "duration", "pages_per_session"]))
        match_type = match_value = threshold = value = value_property = None
        if kind in ("pageview", "event"):
            match_type = draw(st.sampled_from(["equals", "contains", "starts_with", "ends_with", "regex"]))
            if match_type == "regex":
                match_value = draw(st.sampled_from(REGEXES))
            else:
                match_value = draw(paths if kind == "pageview" else names | st.sampled_from(["b", "_", "y"]))
            if draw(st.booleans()):
                value_property = "revenue"
        else:
            threshold = draw(st.sampled_from([1, 2, 3, 60, 1200]))
        if value_property is None and draw(st.booleans()):
            value = draw(st.sampled_from([1.0, 2.5, 10.0]))
        found.append(
            Goal(
                id=number,
                site_id=1,
                name=f"goal {number}",
                type=kind,
                match_type=match_type,
                match_value=match_value,
                threshold=threshold,
                value=value,
                value_property=value_property,
                created_at=draw(st.integers(0, WINDOW)),
                updated_at=0,
            )
        )
    return found


# -- the reference ---------------------------------------------------------------------------------


def matches(goal: Goal, hit: Hit) -> bool:
    text = hit.path if goal.type == "pageview" else hit.name
    if hit.kind != (0 if goal.type == "pageview" else 1) or text is None:
        return False
    value = goal.match_value or ""
    return {
        "equals": text == value,
        "contains": value in text,
        "starts_with": text.startswith(value),
        "ends_with": text.endswith(value),
        "regex": re.search(value, text) is not None,
    }[goal.match_type or "equals"]


def number(raw: Any) -> float | None:
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, int | float):
        return float(raw)
    text = raw.strip()
    if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text):
        return float(text)
    return None


def reference(
    goal: Goal, sessions: list[Session], start: int, end: int
) -> list[tuple[int, int, float | None]]:
    """(ts, session_id, value) of each conversion in [start, end), oldest first."""
    found = []
    for session in sessions:
        if session.site_id != goal.site_id:
            continue
        if goal.type in ("duration", "pages_per_session"):
            total = session.duration if goal.type == "duration" else session.pageviews
            assert goal.threshold is not None
            if goal.created_at <= session.started_at and total >= goal.threshold:
                found.append((session.started_at, session.id, goal.value))
            continue
        hits = [h for h in session.hits if h.ts >= goal.created_at and matches(goal, h)]
        if not hits:
            continue
        first = min(hits, key=lambda h: (h.ts, h.id))
        value = number((first.props or {}).get(goal.value_property)) if goal.value_property else goal.value
        found.append((first.ts, session.id, value))
    return sorted(c for c in found if start <= c[0] < end)


# -- the check ------------------------------------------------------------------------------------


def store(conn: sqlite3.Connection, sessions: list[Session], goal_list: list[Goal]) -> None:
    with transaction(conn):
        for table in ("events", "sessions", "goals"):
            conn.execute(f"DELETE FROM {table}")
        for s in sessions:
            conn.execute(
                "INSERT INTO sessions (id, site_id, session_key, visitor_key, started_at, last_seen_at, duration, "
                "pageviews, entry_path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    s.id,
                    s.site_id,
                    s.id,
                    s.visitor_key,
                    s.started_at,
                    s.hits[-1].ts,
                    s.duration,
                    s.pageviews,
                    s.entry_path,
                ),
            )
            conn.executemany(
                "INSERT INTO events (id, site_id, ts, session_id, visitor_key, kind, name, path, props) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (h.id, h.site_id, h.ts, h.session_id, h.visitor_key, h.kind, h.name, h.path,
                     json.dumps(h.props) if h.props is not None else None)
                    for h in s.hits
                ],
            )  # fmt: skip
        for g in goal_list:
            conn.execute(
                "INSERT INTO goals (id, site_id, name, type, match_type, match_value, threshold, value, "
                "value_property, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
                (g.id, g.site_id, g.name, g.type, g.match_type, g.match_value, g.threshold, g.value,
                 g.value_property, g.created_at),
            )  # fmt: skip


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Config, sqlite3.Connection]]:
    config = config_on(Path(tmp_path_factory.mktemp("goals")), database={"readers": 1})
    conn = open_connection(config.database_path, config.database)
    migrate(conn)
    with transaction(conn):
        for site_id in SITES:
            conn.execute(
                "INSERT INTO sites (id, name, domain, pixel_key, created_at) VALUES (?, 'x', 'x.example', ?, 0)",
                (site_id, f"key-{site_id}"),
            )
    yield config, conn
    conn.close()


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(sessions=traffic(), goal_list=goals(), page=st.integers(1, 3), data=st.data())
def test_conversions_equal_the_reference(
    database: tuple[Config, sqlite3.Connection],
    sessions: list[Session],
    goal_list: list[Goal],
    page: int,
    data: st.DataObject,
) -> None:
    config, conn = database
    # Bounds often fall on a hit, so that sessions straddle them: the look-back case.
    moments = sorted({h.ts + d for s in sessions for h in s.hits for d in (0, 1)}) or [0]
    bound = st.sampled_from(moments) | st.integers(-HOUR, WINDOW + HOUR)
    start = data.draw(bound)
    end = max(start, data.draw(st.just(WINDOW + 6 * HOUR) | bound))
    goal_list = [
        msgspec.structs.replace(g, created_at=data.draw(st.sampled_from([0, g.created_at, *moments])))
        for g in goal_list
    ]
    store(conn, sessions, goal_list)
    in_period = sum(1 for s in sessions if s.site_id == 1 and start <= s.started_at < end)

    async def scenario() -> None:
        async with open_database(config) as db:
            for goal in goal_list:
                want = reference(goal, sessions, start, end)
                stats = await conversions.goal_stats(db, 1, goal.id, start, end)
                listed = await conversions.conversions(db, 1, goal.id, start, end, limit=1000)
                paged: list[tuple[int, int, float | None]] = []
                after = None
                while True:
                    found = await conversions.conversions_after(db, goal, start, end, after=after, limit=page)
                    paged += [(c.ts, c.session_id, c.value) for c in found]
                    if len(found) < page:
                        break
                    after = (found[-1].ts, found[-1].session_id)
                values = [v for _, _, v in want if v is not None]

                assert sorted((c.ts, c.session_id, c.value) for c in listed) == want, goal
                assert paged == want, goal
                assert (stats.conversions, stats.sessions, stats.valued) == (
                    len(want),
                    in_period,
                    len(values),
                )
                assert math.isclose(stats.total_value, sum(values), abs_tol=1e-9)
            total = await conversions.total_conversions(db, 1, start, end)
            assert total == sum(len(reference(g, sessions, start, end)) for g in goal_list)

    asyncio.run(scenario())


def test_one_answer_reads_one_snapshot_whatever_is_written_meanwhile(
    database: tuple[Config, sqlite3.Connection],
) -> None:
    config, conn = database
    session = Session(1, 1, 7, 1000, 0, 1, "/thanks")
    session.hits.append(Hit(1, 1, 1, 7, 1000, 0, "/thanks", None, None))
    goal = Goal(
        id=1, site_id=1, name="thanks", type="pageview", match_type="equals", match_value="/thanks",
        threshold=None, value=None, value_property=None, created_at=0, updated_at=0,
    )  # fmt: skip
    store(conn, [session], [goal])

    def another_conversion(db_conn: sqlite3.Connection) -> None:
        db_conn.execute(
            "INSERT INTO sessions (id, site_id, session_key, visitor_key, started_at, last_seen_at) "
            "VALUES (2, 1, 2, 8, 2000, 2000)"
        )
        db_conn.execute(
            "INSERT INTO events (id, site_id, ts, session_id, visitor_key, kind, path) "
            "VALUES (2, 1, 2000, 2, 8, 0, '/thanks')"
        )

    async def scenario() -> tuple[list[int], int]:
        async with open_database(config) as db:
            clause, params = conversions._query(goal, 0, WINDOW)
            count = clause + "SELECT count(*) FROM converting"
            async with conversions.snapshot(db) as reader:
                before = next(iter(await reader.execute_fetchall(count, params)))[0]
                await db.write(another_conversion)  # committed while the snapshot is open
                during = next(iter(await reader.execute_fetchall(count, params)))[0]
            counts = [before, during]
            after = await conversions.goal_stats(db, 1, 1, 0, WINDOW)
            return counts, after.conversions

    assert asyncio.run(scenario()) == ([1, 1], 2)
