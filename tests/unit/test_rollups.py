"""Rollups: dirt marking by every kind of write, time zone changes, the refresher, and rankings
that stay exact (ties included) when only some values' visitors are counted exactly."""

from __future__ import annotations

import asyncio
import random
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appliance import tasks
from appliance.config import DatabaseConfig
from appliance.db import migrations, open_connection, transaction
from appliance.ingest import store
from appliance.stats import rollups
from appliance.stats.rollups import build, rank
from appliance.stats.rollups.plan import SLOT_MS, day_bounds, day_number
from tests.support import Env, rows
from tests.support import pageview as tracked_pageview
from tests.traffic import event, ms, pageview, populate, visit

DAY = 86_400_000


@pytest.fixture
def owner(env: Env) -> Any:
    return env.user("owner@example.com")


@pytest.fixture
def site(env: Env, owner: Any) -> dict[str, Any]:
    return env.site(owner, "example.com", timezone="Europe/London")


def dirty(env: Env) -> list[tuple[Any, ...]]:
    return rows(env, "SELECT site_id, slot FROM rollup_dirty ORDER BY site_id, slot")


def built(env: Env) -> list[tuple[Any, ...]]:
    return rows(env, "SELECT site_id, day, timezone FROM rollup_days WHERE built_at IS NOT NULL ORDER BY day")


def clear_dirt(env: Env) -> None:
    with transaction(env.conn):
        env.conn.execute("DELETE FROM rollup_dirty")


def rebuild(env: Env, *site_ids: int) -> list[Any]:
    return asyncio.run(rollups.rebuild(env.conn, list(site_ids)))


def refresh(env: Env) -> None:
    """Run the appliance's own background job once, as its scheduler would."""
    job = next(t for t in tasks.table(env.config, env.client.app.state.intake) if t.name == "refresh rollups")
    assert env.client.blocking_portal.call(tasks.run_once, job)


def slot(at: str | int) -> int:
    """The quarter hour of UTC time `at`, as rollup_dirty marks it."""
    return ms(at) // SLOT_MS


# -- dirt ---------------------------------------------------------------------------------------


def test_a_tracked_hit_marks_its_utc_day(env: Env, site: dict[str, Any]) -> None:
    clear_dirt(env)
    tracked_pageview(env.client, site["sid"], "/")
    assert dirty(env) == [(site["id"], slot(rows(env, "SELECT ts FROM events")[0][0]))]


def test_every_kind_of_write_marks_the_day_it_touches(env: Env, site: dict[str, Any]) -> None:
    populate(env, site, [visit("/", "/a", at="2026-03-01T10:00:00Z", session=1)])
    populate(env, site, [pageview("/", at="2026-03-03T23:59:00Z", session=2)])
    assert dirty(env) == [
        (site["id"], slot("2026-03-01T10:00:00Z")),
        (site["id"], slot("2026-03-03T23:59:00Z")),
    ]
    event_id, session_id = rows(env, "SELECT id, session_id FROM events ORDER BY ts LIMIT 1")[0]
    conn = env.conn

    clear_dirt(env)  # a heartbeat on a past day
    with transaction(conn):
        conn.executemany(store.UPDATE_HEARTBEAT, [(30, 50, event_id, session_id)])
    assert dirty(env) == [(site["id"], slot("2026-03-01T10:00:00Z"))]

    clear_dirt(env)  # a session going on: its start day, not the day of the update
    with transaction(conn):
        conn.executemany(store.UPDATE_SESSION, [(ms("2026-03-02T00:10:00Z"), 900, 3, 0, None, "/", "/b", 2)])
    assert dirty(env) == [(site["id"], slot("2026-03-03T23:59:00Z"))]

    clear_dirt(env)  # a late event on an old day
    populate(env, site, [event("Signup", at="2026-02-20T12:00:00Z", session=3)])
    assert dirty(env) == [(site["id"], slot("2026-02-20T12:00:00Z"))]

    clear_dirt(env)  # a deletion (GDPR), and a row moved to another day
    with transaction(conn):
        conn.execute("DELETE FROM events WHERE id = ?", (event_id,))
        conn.execute("UPDATE sessions SET started_at = started_at + ? WHERE id = 2", (5 * DAY,))
    assert dirty(env) == [
        (site["id"], slot("2026-03-01T10:00:00Z")),
        (site["id"], slot("2026-03-03T23:59:00Z")),
        (site["id"], slot("2026-03-08T23:59:00Z")),
    ]


def test_an_upsert_on_an_already_dirty_slot_does_not_abort(env: Env, site: dict[str, Any]) -> None:
    # A trigger's conflict policy gives way to the firing statement's: a trigger doing INSERT OR
    # IGNORE would abort an upsert that takes its update path while the slot is already dirty.
    populate(env, site, [pageview("/", at="2026-03-01T10:00:00Z", session=1)])
    session_id, started_at = rows(env, "SELECT id, started_at FROM sessions")[0]
    conn = env.conn
    with transaction(conn):
        conn.execute(
            "INSERT INTO sessions (id, site_id, session_key, visitor_key, started_at, last_seen_at) "
            "VALUES (?, ?, 1, 1, ?, ?) ON CONFLICT (id) DO UPDATE SET pageviews = pageviews + 1",
            (session_id, site["id"], started_at, started_at),
        )
        conn.execute("INSERT OR REPLACE INTO events SELECT * FROM events")
    assert rows(env, "SELECT pageviews FROM sessions") == [(2,)]
    assert dirty(env) == [(site["id"], slot("2026-03-01T10:00:00Z"))]


def test_deleting_a_site_takes_its_rollups_along(env: Env, owner: Any, site: dict[str, Any]) -> None:
    populate(env, site, [visit("/", "/a", at="2026-03-01T10:00:00Z")])
    rebuild(env, site["id"])
    response = env.client.delete(f"/api/sites/{site['id']}", headers=env.headers(owner))
    assert response.status_code in (200, 204), response.text
    for table in ("rollup_days", "rollup_dirty", "rollup_events", "rollup_sessions", "visitor_ordinals"):
        assert rows(env, f"SELECT count(*) FROM {table}") == [(0,)], table


# -- building and using ---------------------------------------------------------------------------


def overview(env: Env, owner: Any, site: dict[str, Any], first: str, last: str) -> Any:
    response = env.client.get(
        f"/api/sites/{site['id']}/analytics/overview",
        params={"period": "custom", "start_date": first, "end_date": last},
        headers=env.headers(owner),
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_rebuild_builds_every_local_day_with_data(env: Env, owner: Any, site: dict[str, Any]) -> None:
    # 23:30 UTC on 29 March is 00:30 on the 30th in London (BST): two local days.
    populate(
        env,
        site,
        [visit("/", at="2026-03-29T10:00:00Z", session=1), visit("/", at="2026-03-29T23:30:00Z", session=2)],
    )
    raw = overview(env, owner, site, "2026-03-29", "2026-03-30")
    built_days = rebuild(env, site["id"])
    assert sorted(p.day for p in built_days) == [day_number(date(2026, 3, 29)), day_number(date(2026, 3, 30))]
    assert dirty(env) == []
    assert overview(env, owner, site, "2026-03-29", "2026-03-30") == raw
    assert raw["pageviews"] == 2 and raw["unique_visitors"] == 1 and raw["sessions"] == 2


def test_a_late_event_is_counted_at_once_and_rolled_up_by_the_refresher(
    env: Env, owner: Any, site: dict[str, Any]
) -> None:
    populate(env, site, [visit("/", "/a", at="2026-03-10T10:00:00Z", visitor=1, session=1)])
    rebuild(env, site["id"])
    assert len(built(env)) == 1
    populate(env, site, [pageview("/late", at="2026-03-10T15:00:00Z", visitor=2, session=2)])
    # The day is dirty: raw rows answer for it until the refresher has run.
    assert overview(env, owner, site, "2026-03-10", "2026-03-10")["unique_visitors"] == 2
    refresh(env)
    assert dirty(env) == []
    assert len(built(env)) == 1
    found = rows(env, "SELECT pageviews, visitors FROM rollup_events WHERE dim = ''")
    assert found == [(3, 2)]
    assert overview(env, owner, site, "2026-03-10", "2026-03-10")["unique_visitors"] == 2


def test_the_refresher_leaves_a_day_being_written_until_it_has_been_quiet(
    env: Env, owner: Any, site: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Building a day that still takes hits is wasted work: the next hit spoils it for readers.
    populate(env, site, [visit("/", "/a", at="2026-03-10T10:00:00Z", visitor=1, session=1)])
    populate(env, site, [pageview("/", at="2026-03-11T09:50:00Z", visitor=2, session=2)])
    monkeypatch.setattr("appliance.stats.rollups.build.now_ms", lambda: ms("2026-03-11T10:01:00Z"))
    refresh(env)
    assert [day for _, day, _ in built(env)] == [day_number(date(2026, 3, 10))]
    assert dirty(env) == [(site["id"], slot("2026-03-11T09:50:00Z"))]
    assert overview(env, owner, site, "2026-03-10", "2026-03-11")["unique_visitors"] == 2

    monkeypatch.setattr("appliance.stats.rollups.build.now_ms", lambda: ms("2026-03-11T10:03:00Z"))
    refresh(env)
    assert [day for _, day, _ in built(env)] == [day_number(date(2026, 3, 10)), day_number(date(2026, 3, 11))]
    assert dirty(env) == []
    assert overview(env, owner, site, "2026-03-10", "2026-03-11")["unique_visitors"] == 2


def test_a_time_zone_change_rebuilds_the_days_in_the_new_zone(
    env: Env, owner: Any, site: dict[str, Any]
) -> None:
    # 23:30 UTC is the same London day in winter, the next day in Auckland.
    populate(
        env,
        site,
        [
            visit("/", at="2026-01-10T23:30:00Z", session=1),
            visit("/b", at="2026-01-11T08:00:00Z", session=2, visitor=2),
        ],
    )
    rebuild(env, site["id"])
    assert [d[2] for d in built(env)] == ["Europe/London", "Europe/London"]
    response = env.client.put(
        f"/api/sites/{site['id']}", json={"timezone": "Pacific/Auckland"}, headers=env.headers(owner)
    )
    assert response.status_code == 200, response.text
    # Until the refresher runs, raw rows answer: 23:30Z is the 11th at 12:30 in Auckland, 08:00Z
    # the 11th at 21:00, so the 11th has both pageviews; in London they were on the 10th and 11th.
    raw = [overview(env, owner, site, day, day) for day in ("2026-01-10", "2026-01-11", "2026-01-12")]
    assert [r["pageviews"] for r in raw] == [0, 2, 0]
    refresh(env)
    assert {d[2] for d in built(env)} == {"Pacific/Auckland"}
    # Every Auckland day that overlaps the UTC days of the London days built before (10th, 11th).
    assert [d[1] for d in built(env)] == [day_number(date(2026, 1, day)) for day in (10, 11, 12)]
    assert [overview(env, owner, site, day, day) for day in ("2026-01-10", "2026-01-11", "2026-01-12")] == raw


def answers(env: Env, owner: Any, site: dict[str, Any], path: str, **params: Any) -> Any:
    query = {"period": "custom", "start_date": "2026-05-01", "end_date": "2026-05-12", **params}
    response = env.client.get(
        f"/api/sites/{site['id']}/analytics/{path}", params=query, headers=env.headers(owner)
    )
    assert response.status_code == 200, response.text
    return response.json()


ENDPOINTS: list[tuple[str, dict[str, Any]]] = [
    *(
        (p, {"page": page, "per_page": per_page})
        for p in ("pageviews", "browsers", "entry-pages", "cities")
        for page, per_page in ((1, 1), (1, 3), (2, 3), (3, 2), (1, 100))
    ),
    ("referrers", {"limit": 2}),
    ("locations", {"limit": 1}),
    ("utm-sources", {"limit": 3}),
    ("events", {"limit": 2}),
    ("overview", {}),
    ("timeseries", {"interval": "week"}),
]


def test_rankings_over_many_days_equal_the_raw_ones_ties_included(
    env: Env, owner: Any, site: dict[str, Any]
) -> None:
    """Many values over 12 days with returning visitors, so that the bounds of their visitors are
    loose and many tie: every page of every breakdown is the raw one."""
    rng = random.Random(7)
    hits = []
    for number in range(1, 400):
        day = rng.randint(1, 12)
        at = f"2026-05-{day:02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z"
        fields = {
            "browser": rng.choice(["A", "B", "C", "D"]),
            "country": rng.choice(["US", "GB", "FR"]),
            "region": rng.choice(["N", "S"]),
            "city": rng.choice(["X", "Y", "Z"]),
            "source": rng.choice(["Google", "Bing", "Direct / None"]),
            "utm_source": rng.choice([None, "a", "b", "c"]),
        }
        paths = [rng.choice(["/", "/a", "/b", "/c", "/d", "/e"]) for _ in range(rng.randint(1, 3))]
        hits.append(visit(*paths, at=at, visitor=rng.randint(1, 40), session=number, **fields))
        if rng.random() < 0.3:
            hits.append(
                event(rng.choice(["x", "y", "z"]), at=ms(at) + 1000, visitor=number % 40 + 1, session=number)
            )
    populate(env, site, hits)
    raw = [answers(env, owner, site, path, **params) for path, params in ENDPOINTS]
    rebuild(env, site["id"])
    assert len(built(env)) == 13  # and 13 May in London, which overlaps the UTC day of 12 May
    assert [answers(env, owner, site, path, **params) for path, params in ENDPOINTS] == raw
    # Some days dirty (raw) and the rest rolled: still the same.
    with transaction(env.conn):
        env.conn.execute(
            "INSERT INTO rollup_dirty (site_id, slot) VALUES (?, ?)",
            (site["id"], slot("2026-05-04T12:00:00Z")),
        )
        env.conn.execute("UPDATE rollup_days SET built_at = NULL WHERE day % 3 = 0")
    assert [answers(env, owner, site, path, **params) for path, params in ENDPOINTS] == raw


# -- the ranking itself -------------------------------------------------------------------------


@st.composite
def candidates(draw: st.DrawFn) -> tuple[list[tuple[str, int, int, int, int]], str, int]:
    """(value, metric count, low, exact visitors, high) per value, an order and n; few distinct
    numbers, so that ties are common."""
    values = draw(st.lists(st.sampled_from("abcdefghijklmnop"), unique=True, max_size=12))
    found = []
    for value in values:
        exact = draw(st.integers(1, 6))
        found.append(
            (
                value,
                draw(st.integers(0, 4)),
                draw(st.integers(1, exact)),
                exact,
                exact + draw(st.integers(0, 5)),
            )
        )
    return found, draw(st.sampled_from(["visitors", "pageviews"])), draw(st.integers(0, 14))


@settings(max_examples=300, deadline=None)
@given(case=candidates())
def test_top_is_the_head_of_the_full_order(
    case: tuple[list[tuple[str, int, int, int, int]], str, int],
) -> None:
    values, metric, n = case
    truth = {value: exact for value, _, _, exact, _ in values}
    resolved: list[str] = []

    async def resolve(chosen: list[rank.Candidate]) -> None:
        for c in chosen:
            assert c.visitors is None, "resolved twice"
            c.visitors = truth[str(c.key[0])]
            resolved.append(str(c.key[0]))

    made = [
        rank.Candidate((value,), rollups.Tally(pageviews=count), low, high, exact if low == high else None)
        for value, count, low, exact, high in values
    ]
    found = asyncio.run(rank.top(made, metric, n, resolve))
    expected = sorted(values, key=lambda v: (-(v[3] if metric == "visitors" else v[1]), -v[3], v[0]))[:n]
    assert [(c.key[0], c.visitors) for c in found] == [(v[0], v[3]) for v in expected]


def test_a_builder_does_not_store_a_day_marked_again_meanwhile(
    env: Env, owner: Any, site: dict[str, Any]
) -> None:
    """Two builders (the refresher and `almanac rebuild-rollups`): the one whose snapshot is older
    than a write that the other one claimed must not mark the day built with its rows."""
    populate(env, site, [visit("/", at="2026-04-01T12:00:00Z", session=1)])
    access = build.LocalAccess(env.conn)

    async def run() -> None:
        [first] = await access.write(build.claim)
        start, end = day_bounds(first.timezone, first.day)
        await access.write(build.assign_ordinals(site["id"], [1]))
        stale = await access.read(lambda conn: build.compute_day(conn, site["id"], first.day, start, end))
        populate(env, site, [pageview("/late", at="2026-04-01T13:00:00Z", visitor=2, session=2)])
        [again] = await access.write(build.claim)  # the other builder takes the new dirt
        assert not await access.write(build.store_day(first, stale))
        assert await build.build_day(access, again)

    asyncio.run(run())
    assert rows(env, "SELECT pageviews, visitors FROM rollup_events WHERE dim = ''") == [(2, 2)]
    assert overview(env, owner, site, "2026-04-01", "2026-04-01")["pageviews"] == 2


def test_the_upgrade_marks_the_traffic_stored_before_it(tmp_path: Any) -> None:
    """A database migrated to rollups with traffic in it: the refresher will build its days."""
    conn = open_connection(tmp_path / "almanac.db", DatabaseConfig())
    try:
        migrations.migrate(conn, known=migrations.available()[:3])
        with transaction(conn):
            conn.execute(
                "INSERT INTO sites (id, name, domain, pixel_key, created_at) VALUES (1, 'a', 'a.example', 'k', 0)"
            )
            conn.execute(
                "INSERT INTO sessions (id, site_id, session_key, visitor_key, started_at, last_seen_at) "
                "VALUES (1, 1, 1, 1, ?, ?)",
                (ms("2026-02-01T09:59:00Z"), ms("2026-02-01T10:05:00Z")),
            )
            for at in ("2026-02-01T09:59:00Z", "2026-02-01T10:05:00Z", "2026-02-01T10:07:00Z"):
                conn.execute(
                    "INSERT INTO events (site_id, ts, session_id, visitor_key, kind, path) VALUES (1, ?, 1, 1, 0, '/')",
                    (ms(at),),
                )
        migrations.migrate(conn)
        found = conn.execute("SELECT site_id, slot FROM rollup_dirty ORDER BY slot").fetchall()
    finally:
        conn.close()
    assert [tuple(r) for r in found] == [(1, slot("2026-02-01T09:59:00Z")), (1, slot("2026-02-01T10:05:00Z"))]
