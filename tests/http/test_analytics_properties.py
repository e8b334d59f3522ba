"""Property: for random traffic, every analytics endpoint answers what plain Python computes.

Hypothesis draws sessions of random hits around DST transitions and midnights, over three sites
whose time zones it also draws, plus bot detections and drop counts (which are never counted),
a period, filters, pages and intervals. The reference (`tests/stats_reference.py`) reads the raw
rows back and computes each answer without SQL; both surfaces must agree with it exactly.

The same traffic is asked with rollups (pre-aggregation) absent, built for every day, or built for
some days while others are unbuilt or dirty: answers must not depend on which.
"""

from __future__ import annotations

import asyncio
import functools
import random
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appliance.db import transaction
from appliance.stats.rollups import build
from appliance.stats.rollups.plan import SLOT_MS, day_bounds
from tests.stats_reference import Site
from tests.support import Env
from tests.traffic import event, ms, pageview, populate

ZONES = ["Europe/London", "America/New_York", "Pacific/Auckland", "Asia/Kolkata", "UTC"]
# Around the clock changes of 2026 in those zones.
ANCHORS = ["2026-03-29T00:30:00Z", "2026-10-25T00:30:00Z", "2026-03-08T06:30:00Z", "2026-04-04T13:30:00Z"]
PATHS = ["/", "/a", "/b", "/B"]
SOURCES = ["Direct / None", "Google", "google.com"]
MAYBE: dict[str, list[Any]] = {
    "country": [None, "US", "GB"],
    "region": [None, "North", "South"],
    "city": [None, "Springfield"],
    "browser": [None, "Firefox", "Chrome"],
    "os": [None, "Linux"],
    "device": [None, "desktop", "mobile"],
    "language": [None, "en-GB"],
    "time_on_page": [None, 0, 10, 35],
}
SESSION_MAYBE: dict[str, list[Any]] = {
    "referrer_host": [None, "google.com"],
    "utm_source": [None, "news", "News"],
    "utm_medium": [None, "email"],
    "utm_campaign": [None, "spring"],
    "utm_content": [None, "top"],
    "utm_term": [None, "shoes"],
}
PROPS = [None, {"plan": "pro"}, {"plan": "free", "n": 1}, {"n": 2.5, "ok": True}, {"ok": False, "x": None}]
FILTER_VALUES = {
    "page": PATHS,
    "entry_page": PATHS,
    "exit_page": PATHS,
    "source": [*SOURCES, "goo"],
    "referrer": ["google.com"],
    "utm_source": ["news", "NEWS"],
    "utm_medium": ["email"],
    "utm_campaign": ["spring"],
    "utm_content": ["top"],
    "utm_term": ["shoes"],
    "country": ["US", "GB"],
    "region": ["North"],
    "city": ["Springfield"],
    "browser": ["Firefox", "fire"],
    "os": ["Linux"],
    "device": ["mobile"],
    "screen_size": ["1920x1080"],
    "language": ["en-GB"],
    "event_name": ["Signup", "click"],
}
BREAKDOWNS = {
    "browsers": "browser",
    "operating-systems": "os",
    "devices": "device",
    "entry-pages": "entry_page",
    "exit-pages": "exit_page",
    "screen-sizes": "screen_size",
    "languages": "language",
    "regions": "region",
    "cities": "city",
}
OPERATORS = {"is": "==", "is_not": "!=", "contains": "~"}


@st.composite
def sessions(draw: st.DrawFn, anchor: int) -> list[dict[str, Any]]:
    """One session of one site: 1 to 4 hits a few minutes to an hour apart."""
    number = draw(st.integers(1, 10**9))
    visitor = draw(st.integers(1, 6))
    at = anchor + draw(st.integers(-40 * 60, 40 * 60)) * 60_000 + draw(st.integers(0, 59_999))
    first: dict[str, Any] = {k: draw(st.sampled_from(v)) for k, v in SESSION_MAYBE.items()}
    first["source"] = draw(st.sampled_from(SOURCES))
    if draw(st.booleans()):
        first["duration"] = draw(st.integers(0, 4000))  # heartbeats kept it going
    hits = []
    for index in range(draw(st.integers(1, 4))):
        fields = {k: draw(st.sampled_from(v)) for k, v in MAYBE.items()}
        if draw(st.booleans()):
            fields["screen_width"], fields["screen_height"] = 1920, 1080
        if index == 0:
            fields.update(first)
        if draw(st.integers(0, 3)) == 0:
            del fields["time_on_page"]
            hit = event(
                draw(st.sampled_from(["Signup", "click"])),
                at=at,
                visitor=visitor,
                session=number,
                props=draw(st.sampled_from(PROPS)),
                path=draw(st.sampled_from([None, *PATHS])),
                **fields,
            )
        else:
            hit = pageview(draw(st.sampled_from(PATHS)), at=at, visitor=visitor, session=number, **fields)
        hits.append(hit)
        at += draw(st.integers(0, 70)) * 60_000
    return hits


@st.composite
def traffic(draw: st.DrawFn) -> dict[str, Any]:
    anchor = ms(draw(st.sampled_from(ANCHORS)))
    per_site = [draw(st.lists(sessions(anchor), max_size=8)) for _ in range(3)]
    start = date.fromtimestamp(anchor // 1000) + timedelta(days=draw(st.integers(-2, 1)))
    filters = draw(
        st.lists(
            st.sampled_from(sorted(FILTER_VALUES)).flatmap(
                lambda d: st.tuples(
                    st.just(d), st.sampled_from(sorted(OPERATORS)), st.sampled_from(FILTER_VALUES[d])
                )
            ),
            max_size=2,
        )
    )
    return {
        "zones": [draw(st.sampled_from(ZONES)) for _ in range(3)],
        "sessions": per_site,
        "first": start,
        "last": start + timedelta(days=draw(st.integers(0, 2))),
        "filters": filters,
        "interval": draw(st.sampled_from(["hour", "day", "week", "month"])),
        "breakdown": draw(st.sampled_from(sorted(BREAKDOWNS))),
        "per_page": draw(st.integers(1, 4)),
        "page": draw(st.integers(1, 3)),
        "now": anchor + draw(st.integers(-60, 60)) * 60_000,
        "bots": draw(st.integers(0, 3)),
        "rollups": draw(st.sampled_from(["none", "all", "some"])),
        "rollup_seed": draw(st.integers(0, 2**16)),
    }


def load(env: Env, sites: list[dict[str, Any]], case: dict[str, Any]) -> list[Site]:
    """Replace every site's traffic with the case's; read the rows back for the reference."""
    conn = env.conn
    tables = ("events", "sessions", "bot_detections", "drop_counts", "rollup_days", "rollup_dirty")
    with transaction(conn):
        for table in (*tables, "rollup_events", "rollup_sessions", "visitor_ordinals"):
            conn.execute(f"DELETE FROM {table}")
        for site, zone in zip(sites, case["zones"], strict=True):
            conn.execute("UPDATE sites SET timezone = ? WHERE id = ?", (zone, site["id"]))
            # Bots and drops are recorded at the same times as the traffic and never counted.
            for i in range(case["bots"]):
                conn.execute(
                    "INSERT INTO bot_detections (site_id, ts, bot_type, bot_name, path) VALUES (?, ?, 'crawler', 'Googlebot', '/')",
                    (site["id"], case["now"] - i * 1000),
                )
            conn.execute(
                "INSERT INTO drop_counts (site_id, day, reason, count) VALUES (?, ?, 'bot', ?)",
                (site["id"], case["now"] // 86_400_000, case["bots"] + 1),
            )
    for site, hits in zip(sites, case["sessions"], strict=True):
        numbered: dict[int, list[dict[str, Any]]] = {}
        for session in hits:  # session numbers may repeat across draws: one session each
            numbered.setdefault(session[0]["session"], session)
        populate(env, site, list(numbered.values()))
    roll_up(env, [site["id"] for site in sites], case["rollups"], random.Random(case["rollup_seed"]))
    references = []
    for site, zone in zip(sites, case["zones"], strict=True):
        events = [dict(r) for r in conn.execute("SELECT * FROM events WHERE site_id = ?", (site["id"],))]
        found = [dict(r) for r in conn.execute("SELECT * FROM sessions WHERE site_id = ?", (site["id"],))]
        references.append(Site(zone, events, found))
    return references


def roll_up(env: Env, site_ids: list[int], mode: str, rng: random.Random) -> None:
    """Build the rollups of every day with data ("all"), of none, or of some: then a few of the
    built days are marked dirty again, and visitors seen only on unbuilt days have no ordinal."""
    if mode == "none":
        return

    async def run() -> None:
        access = build.LocalAccess(env.conn)
        for site_id in site_ids:
            days = await access.read(functools.partial(build.data_days, site_id=site_id))
            await access.write(build.mark_all(site_id, days))
        for pending in await access.write(build.claim):
            if mode == "all" or rng.random() < 0.6:
                await build.build_day(access, pending)

    asyncio.run(run())
    if mode == "some":
        built = env.conn.execute(
            "SELECT site_id, day, timezone FROM rollup_days WHERE built_at IS NOT NULL"
        ).fetchall()
        with transaction(env.conn):
            for site_id, day, zone in built:
                if rng.random() < 0.25:  # a quarter hour of the local day, its first or last sometimes
                    start, end = day_bounds(zone, day)
                    slot = rng.choice([start, end - 1, rng.randrange(start, end)]) // SLOT_MS
                    env.conn.execute(
                        "INSERT OR IGNORE INTO rollup_dirty (site_id, slot) VALUES (?, ?)", (site_id, slot)
                    )


@pytest.fixture
def sites(env: Env) -> tuple[Any, list[dict[str, Any]]]:
    owner = env.user("owner@example.com")
    return env.headers(owner), [env.site(owner, f"site{i}.example.com") for i in range(3)]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(case=traffic())
def test_every_endpoint_equals_the_plain_computation(
    env: Env, sites: tuple[Any, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch, case: dict[str, Any]
) -> None:
    headers, site_list = sites
    references = load(env, site_list, case)
    monkeypatch.setattr("appliance.clock.now_ms", lambda: case["now"])
    first, last, filters = case["first"], case["last"], case["filters"]
    text = ";".join(f"{d}{OPERATORS[op]}{v}" for d, op, v in filters)
    period = f"period=custom&start_date={first}&end_date={last}&filters={text}"
    pages = f"page={case['page']}&per_page={case['per_page']}"
    site, ref = site_list[0], references[0]

    def answer(path: str, query: str) -> Any:
        response = env.client.get(f"{path}?{query}", headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    api = f"/api/sites/{site['id']}/analytics"
    dimension = BREAKDOWNS[case["breakdown"]]
    breakdown = ref.breakdown(first, last, filters, dimension, case["page"], case["per_page"])
    if dimension not in ("entry_page", "exit_page"):
        for row in breakdown["data"]:
            row.pop("sessions", None), row.pop("bounce_rate", None)
    assert answer(f"{api}/overview", period) == ref.overview(first, last, filters)
    assert answer(f"{api}/pageviews", f"{period}&{pages}") == ref.pageviews(
        first, last, filters, case["page"], case["per_page"]
    )
    assert answer(f"{api}/referrers", period) == ref.referrers(first, last, filters)
    assert answer(f"{api}/locations", period) == ref.locations(first, last, filters)
    assert answer(f"{api}/utm-sources", period) == ref.utm_sources(first, last, filters)
    assert answer(f"{api}/events", period) == ref.custom_events(first, last, filters)
    assert answer(f"{api}/realtime", period) == ref.realtime(case["now"], filters)
    assert answer(f"{api}/{case['breakdown']}", f"{period}&{pages}") == breakdown
    series = ref.timeseries(first, last, filters, case["interval"])
    assert answer(f"{api}/timeseries", f"{period}&interval={case['interval']}")["data"] == series

    websites = f"/analytics/websites/{site['id']}"
    dates = f"start_date={first}&end_date={last}&filters={text}"
    stats = answer(f"{websites}/stats", dates)
    del stats["period"]
    assert stats == ref.stats(first, last, filters)
    assert answer(f"{websites}/timeseries", f"{dates}&interval={case['interval']}&metric=visitors") == {
        p["date"]: p["visitors"] for p in series
    }
    realtime = answer(f"{websites}/realtime", f"filters={text}")
    expected = ref.realtime(case["now"], filters)
    assert (realtime["active_visitors"], realtime["active_pages"], realtime["locations"]) == (
        expected["current_visitors"],
        [{"path": p["page"], "viewers": p["visitors"]} for p in expected["top_pages"]],
        [{"country_code": c["country"], "visitors": c["visitors"]} for c in expected["top_countries"]],
    )
    # The other sites' answers are their own: a cheap check that nothing leaks between sites.
    for other, other_ref in zip(site_list[1:], references[1:], strict=True):
        found = answer(f"/api/sites/{other['id']}/analytics/overview", period)
        assert found == other_ref.overview(first, last, filters)
