"""Ingestion on a real database: concurrency, what a restart finds again, salts, background flushes."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from appliance.config import Config
from appliance.db import Database
from appliance.ingest import intake as intake_module
from appliance.ingest.identity import DAY_MS, day_of
from appliance.ingest.intake import Intake
from appliance.ingest.models import Dropped, HeartbeatBody, Hit, LeaveBody, Origin, Reason, Tracked
from tests import support
from tests.support import open_database

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
KEY = "pixel-key"
MINUTE = 60_000


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return support.test_config(tmp_path / "data")


class Clock:
    """Stands in for appliance.clock.now_ms inside the intake."""

    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock(1_750_000_000_000)
    monkeypatch.setattr(intake_module, "now_ms", clock)
    return clock


def run(config: Config, body: Callable[[Database, Intake], Awaitable[Any]]) -> Any:
    """Open the database and an intake, run `body`, drain and close (as the app's lifespan does)."""

    async def main() -> Any:
        async with open_database(config) as db:
            await db.write(
                lambda conn: conn.execute(
                    "INSERT OR IGNORE INTO sites (id, name, domain, pixel_key, created_at) "
                    "VALUES (1, 'Shop', 'shop.example.com', ?, 0)",
                    (KEY,),
                )
            )
            intake = await Intake.open(db, config)
            try:
                return await body(db, intake)
            finally:
                await intake.drain()

    return asyncio.run(main())


def hit(at: int, path: str = "/", *, ip: str = "81.2.69.142", **fields: Any) -> Hit:
    origin = Origin(ip=ip, user_agent=CHROME, received=at)
    return Hit(
        key=KEY,
        kind=1 if "name" in fields else 0,
        origin=origin,
        ts=at,
        ip=ip,
        user_agent=CHROME,
        path=path,
        **fields,
    )


def query(config: Config, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(config.database_path)
    try:
        return [tuple(r) for r in conn.execute(sql)]
    finally:
        conn.close()


def test_concurrent_hits_of_one_visitor_make_one_session(config: Config, clock: Clock) -> None:
    async def body(db: Database, intake: Intake) -> list[Tracked]:
        first = await intake.track(hit(clock.now, "/page/0"))
        hits = [hit(clock.now + i, f"/page/{i}") for i in range(1, 40)]
        hits.append(hit(clock.now + 50, name="Signup"))
        return [first, *await asyncio.gather(*(intake.track(h) for h in hits))]

    answers = run(config, body)

    assert len({a.session_id for a in answers}) == 1
    assert sorted(a.event_id for a in answers) == list(range(1, 42))
    assert query(
        config, "SELECT count(*), count(DISTINCT session_id), count(DISTINCT visitor_key) FROM events"
    ) == [(41, 1, 1)]
    assert query(config, "SELECT pageviews, events, entry_path, exit_path, pageviews = 1 FROM sessions") == [
        (40, 1, "/page/0", "/page/39", 0)
    ]


def test_a_single_pageview_is_a_bounce(config: Config, clock: Clock) -> None:
    run(config, lambda db, intake: intake.track(hit(clock.now, "/only")))

    assert query(config, "SELECT pageviews = 1, entry_path, exit_path FROM sessions") == [
        (1, "/only", "/only")
    ]


def test_coalesced_writes_commit_many_events_per_job(config: Config, clock: Clock) -> None:
    async def body(db: Database, intake: Intake) -> tuple[int, int]:
        commits = db.writer.commits
        await asyncio.gather(*(intake.track(hit(clock.now, ip=f"81.2.69.{i}")) for i in range(1, 101)))
        return intake.events.jobs, db.writer.commits - commits

    jobs, commits = run(config, body)

    assert jobs < 20 and commits < 20
    assert query(config, "SELECT count(*) FROM events") == [(100,)]
    assert query(config, "SELECT count(*) FROM sessions") == [(100,)]


def test_a_restart_continues_open_sessions_and_ends_stale_ones(config: Config, clock: Clock) -> None:
    start = clock.now
    first = run(config, lambda db, intake: intake.track(hit(start, "/a")))
    stale = run(config, lambda db, intake: intake.track(hit(start, "/x", ip="8.8.4.4")))

    clock.now = start + 10 * MINUTE  # within the timeout of the first visit

    async def second_run(db: Database, intake: Intake) -> tuple[Tracked, Tracked]:
        again = await intake.track(hit(clock.now, "/b"))
        # Heartbeats may still name the pageview from before the restart.
        intake.heartbeat(HeartbeatBody(event_id=first.event_id, session_id=first.session_id, time_on_page=30))
        await intake.flush_heartbeats()
        return again, await intake.track(hit(clock.now + 1, "/c"))

    again, third = run(config, second_run)

    assert again.session_id == third.session_id == first.session_id
    assert again.visitor_id == first.visitor_id
    assert (again.event_id, third.event_id) == (3, 4)
    assert query(config, "SELECT id, pageviews, exit_path, ended_at FROM sessions ORDER BY id") == [
        (1, 3, "/c", None),
        (2, 1, "/x", None),
    ]
    assert query(config, "SELECT time_on_page FROM events WHERE id = 1") == [(30,)]

    clock.now = start + 31 * MINUTE + 1  # both visits went quiet over 30 minutes ago, in one case

    run(config, lambda db, intake: asyncio.sleep(0))

    assert query(config, "SELECT id, ended_at FROM sessions ORDER BY id") == [(1, None), (2, start)]
    assert stale.session_id != first.session_id


def test_idle_sessions_are_closed_by_the_background_job(config: Config, clock: Clock) -> None:
    async def body(db: Database, intake: Intake) -> None:
        await intake.track(hit(clock.now, "/"))
        clock.now += 5 * MINUTE
        await intake.close_idle_sessions()  # not idle yet
        assert query(config, "SELECT ended_at FROM sessions") == [(None,)]
        clock.now += 30 * MINUTE + 1
        await intake.close_idle_sessions()

    start = clock.now
    run(config, body)

    assert query(config, "SELECT ended_at, duration FROM sessions") == [(start, 0)]


def test_heartbeats_are_coalesced_and_extend_the_session(config: Config, clock: Clock) -> None:
    start = clock.now

    async def body(db: Database, intake: Intake) -> int:
        view = await intake.track(hit(clock.now, "/read"))
        for seconds, depth in ((15, 20), (30, 60), (45, 50)):
            clock.now = start + seconds * 1000
            intake.heartbeat(
                HeartbeatBody(
                    event_id=view.event_id,
                    session_id=view.session_id,
                    time_on_page=seconds,
                    scroll_depth=depth,
                )
            )
        commits = db.writer.commits
        await intake.flush_heartbeats()
        await intake.flush_heartbeats()  # nothing left: no write
        return db.writer.commits - commits

    assert run(config, body) == 1
    assert query(config, "SELECT time_on_page, scroll_depth FROM events") == [(45, 60)]
    assert query(config, "SELECT duration, last_seen_at FROM sessions") == [(45, start + 45_000)]


def test_leave_is_stored_before_it_is_answered(config: Config, clock: Clock) -> None:
    async def body(db: Database, intake: Intake) -> Any:
        view = await intake.track(hit(clock.now, "/"))
        clock.now += 3_000
        await intake.leave(LeaveBody(session_id=view.session_id))
        return await db.fetchall("SELECT ended_at FROM sessions")

    assert [tuple(r) for r in run(config, body)] == [(1_750_000_003_000,)]


def test_salts_rotate_daily_and_old_ones_are_deleted(config: Config, clock: Clock) -> None:
    midnight = (day_of(clock.now) + 1) * DAY_MS
    today = day_of(clock.now)

    clock.now = midnight - MINUTE
    run(config, lambda db, intake: intake.track(hit(clock.now)))
    assert [d for (d,) in query(config, "SELECT day FROM daily_salts")] == [today]

    clock.now = midnight + MINUTE  # yesterday's is kept while its visits may go on

    async def after_midnight(db: Database, intake: Intake) -> None:
        await intake.rotate_salts()

    run(config, after_midnight)
    assert [d for (d,) in query(config, "SELECT day FROM daily_salts ORDER BY day")] == [today, today + 1]

    clock.now = midnight + 31 * MINUTE
    run(config, after_midnight)
    assert [d for (d,) in query(config, "SELECT day FROM daily_salts")] == [today + 1]


def test_drop_counts_are_added_up_across_flushes(config: Config, clock: Clock) -> None:
    async def body(db: Database, intake: Intake) -> None:
        for _ in range(2):
            for key in ("nope", KEY):
                with pytest.raises(Dropped):
                    await intake.track(with_key(hit(clock.now, ip="8.8.8.8"), key, bot=key == KEY))
            await intake.flush_drops()

    run(config, body)

    day = day_of(clock.now)
    assert query(config, "SELECT site_id, day, reason, count FROM drop_counts ORDER BY site_id") == [
        (None, day, "unknown_site", 2),
        (1, day, "bot", 2),
    ]
    assert query(config, "SELECT count(*) FROM bot_detections") == [(2,)]


def with_key(h: Hit, key: str, *, bot: bool) -> Hit:
    h.key = key
    if bot:
        h.user_agent = "curl/8.5.0"
    return h


def test_hits_of_a_website_deleted_on_their_way_are_dropped_alone(config: Config, clock: Clock) -> None:
    async def body(db: Database, intake: Intake) -> list[object]:
        await db.write(
            lambda conn: conn.execute(
                "INSERT INTO sites (id, name, domain, pixel_key, created_at) VALUES (2, 'Other', 'o.example', 'k2', 0)"
            )
        )
        await intake.track(hit(clock.now, "/warm"))  # both keys are cached now
        other = hit(clock.now, "/o")
        other.key = "k2"
        await intake.track(other)
        # Deleted behind the cache's back (not through appliance.sites), as by a concurrent request.
        await db.write(lambda conn: conn.execute("DELETE FROM sites WHERE id = 1"))
        gone, kept = hit(clock.now, "/gone"), hit(clock.now, "/kept")
        kept.key = "k2"
        return list(await asyncio.gather(intake.track(gone), intake.track(kept), return_exceptions=True))

    gone, kept = run(config, body)

    assert isinstance(gone, Dropped) and gone.reason is Reason.UNKNOWN_SITE
    assert isinstance(kept, Tracked)
    assert query(config, "SELECT site_id, path FROM events ORDER BY id") == [(2, "/o"), (2, "/kept")]


def test_under_load_session_changes_wait_for_the_flush(config: Config, clock: Clock) -> None:
    async def body(db: Database, intake: Intake) -> list[tuple[Any, ...]]:
        await intake.track(hit(clock.now, "/entry"))
        await asyncio.gather(*(intake.track(hit(clock.now + i, f"/p{i}")) for i in range(1, 11)))
        before = [tuple(r) for r in await db.fetchall("SELECT pageviews, exit_path FROM sessions")]
        await intake.flush_heartbeats()
        after = [tuple(r) for r in await db.fetchall("SELECT pageviews, exit_path FROM sessions")]
        return [*before, *after]

    # The first of them went alone (the writer was idle), with its session's row; the nine queued
    # meanwhile left their session's change to the flush.
    assert run(config, body) == [(2, "/p1"), (11, "/p10")]


def test_a_crash_before_the_flush_loses_no_count(config: Config, clock: Clock) -> None:
    async def crash() -> None:
        async with open_database(config) as db:
            await db.write(
                lambda conn: conn.execute(
                    "INSERT INTO sites (id, name, domain, pixel_key, created_at) "
                    "VALUES (1, 'Shop', 'shop.example.com', ?, 0)",
                    (KEY,),
                )
            )
            intake = await Intake.open(db, config)
            await intake.track(hit(clock.now, "/entry"))
            hits = [hit(clock.now + i, f"/p{i}") for i in range(1, 11)]
            await asyncio.gather(*(intake.track(h) for h in [*hits, hit(clock.now + 20, name="Signup")]))
            # Gone without intake.drain(): what waited for the flush is lost with the process.

    asyncio.run(crash())
    assert query(config, "SELECT pageviews, events, exit_path FROM sessions") == [(2, 0, "/p1")]

    clock.now += MINUTE
    resumed = run(config, lambda db, intake: intake.track(hit(clock.now, "/back")))

    assert query(
        config, "SELECT pageviews, events, entry_path, exit_path, last_seen_at, ended_at FROM sessions"
    ) == [(12, 1, "/entry", "/back", clock.now, None)]
    assert resumed.event_id == 13
