"""Spec 000 analytics (`/api/sites/{id}/analytics/...`): whole answers over traffic built in one line.

The site is in Europe/London; the period 2026-03-28..29 holds the night the clocks go forward
(the 29th has 23 hours) and a session that crosses midnight. Counts are worked out by hand in
the comments.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import Env
from tests.traffic import event, pageview, populate, visit

PERIOD = "period=custom&start_date=2026-03-28&end_date=2026-03-29"
FIREFOX: dict[str, Any] = {
    "browser": "Firefox",
    "os": "Linux",
    "device": "desktop",
    "screen_width": 1920,
    "screen_height": 1080,
}


@pytest.fixture
def owner(env: Env) -> Any:
    return env.user("owner@example.com")


@pytest.fixture
def site(env: Env, owner: Any) -> dict[str, Any]:
    site = env.site(owner, "shop.example.com", timezone="Europe/London")
    populate(
        env,
        site,
        [
            # S1, visitor 1: three pages from Google with UTM tags, 30 s on each page.
            visit(
                "/",
                "/pricing",
                "/signup",
                at="2026-03-28T10:00:00Z",
                visitor=1,
                session=1,
                source="Google",
                referrer_host="google.com",
                utm_source="google",
                utm_medium="cpc",
                utm_campaign="spring",
                country="GB",
                region="England",
                city="London",
                language="en-GB",
                time_on_page=30,
                **FIREFOX,
            ),
            # S2, visitor 2: crosses midnight; it started on the 28th, where its session counts.
            pageview(
                "/",
                at="2026-03-28T23:59:00Z",
                visitor=2,
                session=2,
                country="US",
                region="California",
                browser="Chrome",
            ),
            pageview(
                "/pricing",
                at="2026-03-29T00:10:00Z",
                visitor=2,
                session=2,
                country="US",
                region="California",
                browser="Chrome",
            ),
            # S3, visitor 1 again (from Hacker News): a bounce with a Signup.
            pageview(
                "/pricing",
                at="2026-03-29T12:00:00Z",
                visitor=1,
                session=3,
                source="Hacker News",
                referrer_host="news.ycombinator.com",
                country="GB",
                region="Scotland",
                **FIREFOX,
            ),
            event(
                "Signup",
                at="2026-03-29T12:01:00Z",
                visitor=1,
                session=3,
                props={"plan": "pro"},
                country="GB",
                **FIREFOX,
            ),
            # S4, visitor 3 on a phone, just before the clocks go forward: a bounce with two events.
            pageview(
                "/",
                at="2026-03-29T00:30:00Z",
                visitor=3,
                session=4,
                country="DE",
                browser="Safari",
                os="iOS",
                device="mobile",
                screen_width=390,
                screen_height=844,
                language="de-DE",
            ),
            event(
                "Signup",
                at="2026-03-29T00:31:00Z",
                visitor=3,
                session=4,
                props={"plan": "free"},
                country="DE",
                browser="Safari",
            ),
            event(
                "Click",
                at="2026-03-29T00:32:00Z",
                visitor=3,
                session=4,
                props={"button": "cta"},
                country="DE",
                browser="Safari",
            ),
            # The previous period (26th-27th): 4 pageviews, 3 visitors, 3 sessions, 2 bounces.
            visit("/", "/about", at="2026-03-26T09:00:00Z", visitor=5, session=6),
            pageview("/", at="2026-03-27T09:00:00Z", visitor=4, session=5),
            pageview("/", at="2026-03-27T23:59:59Z", visitor=6, session=8),
            # After the period: 00:30Z on the 30th is 01:30 BST.
            pageview("/", at="2026-03-29T23:30:00Z", visitor=7, session=7),
        ],
    )
    return site


def get(env: Env, owner: Any, site: dict[str, Any], path: str, query: str = PERIOD) -> Any:
    response = env.client.get(f"/api/sites/{site['id']}/analytics/{path}?{query}", headers=env.headers(owner))
    assert response.status_code == 200, response.text
    return response.json()


def test_overview_totals_and_the_change_from_the_previous_period(
    env: Env, owner: Any, site: dict[str, Any]
) -> None:
    assert get(env, owner, site, "overview") == {
        "data": {
            "pageviews": 7,
            "unique_visitors": 3,
            "sessions": 4,
            "bounce_rate": 50.0,  # S3 and S4
            "avg_session_duration": 240,  # (120 + 660 + 60 + 120) / 4
            "events": 3,
            "goals": 0,
        },
        "comparison": {"pageviews_change": 75.0, "visitors_change": 0.0, "bounce_rate_change": -16.7},
        "period": {"start_date": "2026-03-28", "end_date": "2026-03-29"},
    }


def test_pageviews_per_page_with_time_on_page_and_entry_bounce_rate(
    env: Env, owner: Any, site: dict[str, Any]
) -> None:
    assert get(env, owner, site, "pageviews") == {
        "data": [
            {"page": "/", "pageviews": 3, "unique_visitors": 3, "avg_time_on_page": 30, "bounce_rate": 33.3},
            {
                "page": "/pricing",
                "pageviews": 3,
                "unique_visitors": 2,
                "avg_time_on_page": 30,
                "bounce_rate": 100.0,
            },
            {
                "page": "/signup",
                "pageviews": 1,
                "unique_visitors": 1,
                "avg_time_on_page": 30,
                "bounce_rate": 0.0,
            },
        ],
        "pagination": {"current_page": 1, "per_page": 20, "total": 3, "total_pages": 1},
    }


def test_pageviews_are_paginated(env: Env, owner: Any, site: dict[str, Any]) -> None:
    second = get(env, owner, site, "pageviews", f"{PERIOD}&page=2&per_page=2")
    beyond = get(env, owner, site, "pageviews", f"{PERIOD}&page=3&per_page=2")

    assert [row["page"] for row in second["data"]] == ["/signup"]
    assert second["pagination"] == {"current_page": 2, "per_page": 2, "total": 3, "total_pages": 2}
    assert beyond == {
        "data": [],
        "pagination": {"current_page": 3, "per_page": 2, "total": 3, "total_pages": 2},
    }


def test_referrers_count_visitors_of_sessions_per_source(env: Env, owner: Any, site: dict[str, Any]) -> None:
    assert get(env, owner, site, "referrers") == {
        "data": [
            {"source": "Direct / None", "visitors": 2, "percentage": 66.7},
            {"source": "Google", "visitors": 1, "percentage": 33.3},
            {"source": "Hacker News", "visitors": 1, "percentage": 33.3},
        ]
    }
    assert get(env, owner, site, "referrers", f"{PERIOD}&limit=1") == {
        "data": [{"source": "Direct / None", "visitors": 2, "percentage": 66.7}]
    }


def test_locations_name_countries_and_list_known_regions(env: Env, owner: Any, site: dict[str, Any]) -> None:
    assert get(env, owner, site, "locations") == {
        "data": [
            {"country": "DE", "country_name": "Germany", "visitors": 1, "percentage": 33.3},
            {
                "country": "GB",
                "country_name": "United Kingdom",
                "visitors": 1,
                "percentage": 33.3,
                "regions": [{"region": "England", "visitors": 1}, {"region": "Scotland", "visitors": 1}],
            },
            {
                "country": "US",
                "country_name": "United States",
                "visitors": 1,
                "percentage": 33.3,
                "regions": [{"region": "California", "visitors": 1}],
            },
        ]
    }


def test_utm_sources_mediums_and_campaigns(env: Env, owner: Any, site: dict[str, Any]) -> None:
    assert get(env, owner, site, "utm-sources") == {
        "sources": [{"source": "google", "visitors": 1}],
        "mediums": [{"medium": "cpc", "visitors": 1}],
        "campaigns": [{"campaign": "spring", "visitors": 1}],
    }


def test_events_with_their_property_values(env: Env, owner: Any, site: dict[str, Any]) -> None:
    assert get(env, owner, site, "events") == {
        "data": [
            {"name": "Signup", "count": 2, "unique_visitors": 2, "properties": {"plan": ["free", "pro"]}},
            {"name": "Click", "count": 1, "unique_visitors": 1, "properties": {"button": ["cta"]}},
        ]
    }


def test_timeseries_by_day_counts_sessions_where_they_started(
    env: Env, owner: Any, site: dict[str, Any]
) -> None:
    assert get(env, owner, site, "timeseries", f"{PERIOD}&interval=day") == {
        "data": [
            {"date": "2026-03-28", "visitors": 2, "pageviews": 4, "sessions": 2},
            {"date": "2026-03-29", "visitors": 3, "pageviews": 3, "sessions": 2},
        ],
        "interval": "day",
        "period": {"start_date": "2026-03-28", "end_date": "2026-03-29"},
    }


def test_timeseries_by_hour_on_the_23_hour_day(env: Env, owner: Any, site: dict[str, Any]) -> None:
    found = get(env, owner, site, "timeseries", "period=custom&start_date=2026-03-29&end_date=2026-03-29")

    assert found["interval"] == "hour"
    assert len(found["data"]) == 23
    assert found["data"][:3] == [
        {"date": "2026-03-29T00:00:00+00:00", "visitors": 2, "pageviews": 2, "sessions": 1},
        {"date": "2026-03-29T02:00:00+01:00", "visitors": 0, "pageviews": 0, "sessions": 0},
        {"date": "2026-03-29T03:00:00+01:00", "visitors": 0, "pageviews": 0, "sessions": 0},
    ]
    assert found["data"][12] == {
        "date": "2026-03-29T13:00:00+01:00",
        "visitors": 1,
        "pageviews": 1,
        "sessions": 1,
    }


def point(date: str, visitors: int = 0, pageviews: int = 0, sessions: int = 0) -> dict[str, Any]:
    return {"date": date, "visitors": visitors, "pageviews": pageviews, "sessions": sessions}


@pytest.mark.parametrize(
    ("interval", "points"),
    [
        # Monday 30 March holds S7 (00:30 BST); the first week is cut to start on the 26th.
        ("week", [point("2026-03-23", 6, 11, 7), point("2026-03-30", 1, 1, 1), point("2026-04-06")]),
        ("month", [point("2026-03-01", 7, 12, 8), point("2026-04-01")]),
    ],
)
def test_timeseries_weeks_and_months_are_zero_filled(
    env: Env, owner: Any, site: dict[str, Any], interval: str, points: list[dict[str, Any]]
) -> None:
    query = f"period=custom&start_date=2026-03-26&end_date=2026-04-07&interval={interval}"

    assert get(env, owner, site, "timeseries", query)["data"] == points


def test_browser_and_device_breakdowns(env: Env, owner: Any, site: dict[str, Any]) -> None:
    assert get(env, owner, site, "browsers") == {
        "data": [
            {"name": "Chrome", "visitors": 1, "percentage": 33.3},
            {"name": "Firefox", "visitors": 1, "percentage": 33.3},
            {"name": "Safari", "visitors": 1, "percentage": 33.3},
        ],
        "pagination": {"current_page": 1, "per_page": 20, "total": 3, "total_pages": 1},
    }
    assert get(env, owner, site, "devices")["data"] == [
        {"name": "desktop", "visitors": 1, "percentage": 33.3},
        {"name": "mobile", "visitors": 1, "percentage": 33.3},
    ]
    assert get(env, owner, site, "operating-systems")["data"] == [
        {"name": "Linux", "visitors": 1, "percentage": 33.3},
        {"name": "iOS", "visitors": 1, "percentage": 33.3},
    ]
    assert get(env, owner, site, "screen-sizes")["data"] == [
        {"name": "1920x1080", "visitors": 1, "percentage": 33.3},
        {"name": "390x844", "visitors": 1, "percentage": 33.3},
    ]
    assert get(env, owner, site, "languages")["data"] == [
        {"name": "de-DE", "visitors": 1, "percentage": 33.3},
        {"name": "en-GB", "visitors": 1, "percentage": 33.3},
    ]


def test_region_and_city_rows_carry_their_place(env: Env, owner: Any, site: dict[str, Any]) -> None:
    assert get(env, owner, site, "regions")["data"] == [
        {"name": "California", "visitors": 1, "percentage": 33.3, "country": "US"},
        {"name": "England", "visitors": 1, "percentage": 33.3, "country": "GB"},
        {"name": "Scotland", "visitors": 1, "percentage": 33.3, "country": "GB"},
    ]
    assert get(env, owner, site, "cities")["data"] == [
        {"name": "London", "visitors": 1, "percentage": 33.3, "country": "GB", "region": "England"}
    ]


def test_entry_and_exit_pages_carry_sessions_and_bounce_rate(
    env: Env, owner: Any, site: dict[str, Any]
) -> None:
    assert get(env, owner, site, "entry-pages", f"{PERIOD}&per_page=1") == {
        "data": [{"name": "/", "visitors": 3, "percentage": 100.0, "sessions": 3, "bounce_rate": 33.3}],
        "pagination": {"current_page": 1, "per_page": 1, "total": 2, "total_pages": 2},
    }
    assert get(env, owner, site, "exit-pages")["data"] == [
        {"name": "/pricing", "visitors": 2, "percentage": 66.7, "sessions": 2, "bounce_rate": 50.0},
        {"name": "/", "visitors": 1, "percentage": 33.3, "sessions": 1, "bounce_rate": 100.0},
        {"name": "/signup", "visitors": 1, "percentage": 33.3, "sessions": 1, "bounce_rate": 0.0},
    ]


def data(env: Env, owner: Any, site: dict[str, Any], filters: str) -> dict[str, Any]:
    found: dict[str, Any] = get(env, owner, site, "overview", f"{PERIOD}&filters={filters}")["data"]
    del found["goals"]
    return found


def test_a_page_filter_keeps_sessions_that_viewed_it_and_counts_its_views(
    env: Env, owner: Any, site: dict[str, Any]
) -> None:
    # Views of /pricing: S1, S2, S3; those sessions' bounce and duration.
    assert data(env, owner, site, "page==/pricing") == {
        "pageviews": 3,
        "unique_visitors": 2,
        "sessions": 3,
        "bounce_rate": 33.3,
        "avg_session_duration": 280,
        "events": 0,
    }


def test_is_not_keeps_unknown_values_and_events_are_event_level(
    env: Env, owner: Any, site: dict[str, Any]
) -> None:
    # Every event but S2's (US): S1, S3 and S4.
    assert data(env, owner, site, "country!=US") == {
        "pageviews": 5,
        "unique_visitors": 2,
        "sessions": 3,
        "bounce_rate": 66.7,
        "avg_session_duration": 100,
        "events": 3,
    }
    assert data(env, owner, site, "event_name==Signup") == {
        "pageviews": 0,
        "unique_visitors": 2,
        "sessions": 2,
        "bounce_rate": 100.0,
        "avg_session_duration": 90,
        "events": 2,
    }


def test_contains_ignores_case_and_session_filters_keep_whole_sessions(
    env: Env, owner: Any, site: dict[str, Any]
) -> None:
    google = {
        "pageviews": 3,
        "unique_visitors": 1,
        "sessions": 1,
        "bounce_rate": 0.0,
        "avg_session_duration": 120,
        "events": 0,
    }
    assert data(env, owner, site, "source~GOO") == google
    assert data(env, owner, site, "source%7Egoo") == google  # URL-encoded ~
    assert data(env, owner, site, "referrer==google.com") == google
    assert data(env, owner, site, "page==/pricing;source~goo") == {**google, "pageviews": 1}
    assert data(env, owner, site, "page==/nowhere") == {
        "pageviews": 0,
        "unique_visitors": 0,
        "sessions": 0,
        "bounce_rate": 0.0,
        "avg_session_duration": 0,
        "events": 0,
    }


def test_breakdowns_apply_filters_too(env: Env, owner: Any, site: dict[str, Any]) -> None:
    assert get(env, owner, site, "referrers", f"{PERIOD}&filters=page==/pricing")["data"] == [
        {"source": "Direct / None", "visitors": 1, "percentage": 50.0},
        {"source": "Google", "visitors": 1, "percentage": 50.0},
        {"source": "Hacker News", "visitors": 1, "percentage": 50.0},
    ]
    assert get(env, owner, site, "pageviews", f"{PERIOD}&filters=device==mobile")["data"] == [
        {"page": "/", "pageviews": 1, "unique_visitors": 1, "avg_time_on_page": 0, "bounce_rate": 100.0}
    ]


def test_realtime_counts_the_last_five_minutes(env: Env, owner: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    site = env.site(owner, "live.example.com")
    populate(
        env,
        site,
        [
            pageview("/", at="2026-03-29T11:54:59Z", visitor=1, session=1, country="FR"),  # too early
            pageview("/", at="2026-03-29T11:55:00Z", visitor=2, session=2, country="US"),
            pageview("/pricing", at="2026-03-29T11:58:00Z", visitor=2, session=2, country="US"),
            pageview("/pricing", at="2026-03-29T11:59:00Z", visitor=3, session=3, country="GB"),
            event("Signup", at="2026-03-29T11:59:30Z", visitor=4, session=4),
        ],
    )
    monkeypatch.setattr("appliance.clock.now_ms", lambda: 1774785600000)  # 2026-03-29T12:00:00Z

    assert get(env, owner, site, "realtime", "") == {
        "current_visitors": 3,
        "pageviews_last_5min": 3,
        "top_pages": [{"page": "/pricing", "visitors": 2}, {"page": "/", "visitors": 1}],
        "top_countries": [{"country": "GB", "visitors": 1}, {"country": "US", "visitors": 1}],
    }
    assert get(env, owner, site, "realtime", "filters=country==US")["current_visitors"] == 1


def test_named_periods_end_today_in_the_sites_time_zone(
    env: Env, owner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = env.site(owner, "kiwi.example.com", timezone="Pacific/Auckland")
    populate(
        env,
        site,
        [
            pageview("/", at="2026-03-28T10:59:00Z", visitor=1, session=1),  # 23:59 on the 28th, NZDT
            pageview("/", at="2026-03-28T11:00:00Z", visitor=2, session=2),  # 00:00 on the 29th
            pageview("/", at="2026-03-22T10:59:00Z", visitor=3, session=3),  # 23:59 on the 22nd
        ],
    )
    monkeypatch.setattr("appliance.clock.now_ms", lambda: 1774738800000)  # 2026-03-28T23:00:00Z

    def views(period: str) -> tuple[int, dict[str, str]]:
        found = get(env, owner, site, "overview", f"period={period}")
        return found["data"]["pageviews"], found["period"]

    assert views("today") == (1, {"start_date": "2026-03-29", "end_date": "2026-03-29"})
    assert views("7d") == (2, {"start_date": "2026-03-23", "end_date": "2026-03-29"})
    assert views("30d") == (3, {"start_date": "2026-02-28", "end_date": "2026-03-29"})
    assert views("12mo") == (3, {"start_date": "2025-04-01", "end_date": "2026-03-29"})


def test_a_half_hour_zone_splits_days_at_its_own_midnight(env: Env, owner: Any) -> None:
    site = env.site(owner, "india.example.com", timezone="Asia/Kolkata")
    populate(
        env,
        site,
        [
            pageview("/", at="2026-03-28T18:29:00Z", visitor=1, session=1),  # 23:59 IST on the 28th
            pageview("/", at="2026-03-28T18:30:00Z", visitor=2, session=2),  # 00:00 IST on the 29th
        ],
    )

    found = get(env, owner, site, "timeseries", "period=custom&start_date=2026-03-28&end_date=2026-03-29")

    assert found["data"] == [
        {"date": "2026-03-28", "visitors": 1, "pageviews": 1, "sessions": 1},
        {"date": "2026-03-29", "visitors": 1, "pageviews": 1, "sessions": 1},
    ]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("period=fortnight", {"period": ["The period must be one of: today, 24h, 7d, 30d, 12mo, custom."]}),
        (
            "period=custom&start_date=2026-03-28",
            {"end_date": ["The end_date field is required when period is custom."]},
        ),
        (
            "filters=colour==red",
            {
                "filters": [
                    "The filter dimension 'colour' is unknown; use one of: page, entry_page, exit_page, source, referrer, "
                    "utm_source, utm_medium, utm_campaign, utm_content, utm_term, country, region, city, browser, os, "
                    "device, screen_size, language, event_name, goal."
                ]
            },
        ),
        (
            "filters=page>/x",
            {"filters": ["The filter 'page>/x' must be a dimension, an operator (==, != or ~) and a value."]},
        ),
        ("filters=goal==Signup", {"filters": ["Filtering by goal is not available yet."]}),
        ("per_page=500", {"per_page": ["The per_page must be between 1 and 100."]}),
        ("page=x", {"page": ["The page field must be an integer."]}),
    ],
)
def test_invalid_parameters_answer_422_in_the_api_format(
    env: Env, owner: Any, site: dict[str, Any], query: str, errors: dict[str, list[str]]
) -> None:
    response = env.client.get(
        f"/api/sites/{site['id']}/analytics/pageviews?{query}", headers=env.headers(owner)
    )

    assert (response.status_code, response.json()) == (
        422,
        {"message": "The given data was invalid.", "errors": errors},
    )


def test_timeseries_refuses_an_unknown_interval(env: Env, owner: Any, site: dict[str, Any]) -> None:
    response = env.client.get(
        f"/api/sites/{site['id']}/analytics/timeseries?interval=minute", headers=env.headers(owner)
    )

    assert (response.status_code, response.json()) == (
        422,
        {
            "message": "The given data was invalid.",
            "errors": {"interval": ["The interval must be one of: hour, day, week, month."]},
        },
    )


def test_24h_counts_each_visitor_of_the_last_24_hours_once_and_compares_with_the_24_before(
    env: Env, owner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = env.site(owner, "day.example.com", timezone="Europe/London")
    populate(
        env,
        site,
        [
            pageview("/", at="2026-03-28T12:30:00Z", visitor=9, session=9),  # exactly 24 h ago: before
            # Visitor 1 in five different hours: one visitor, though five hourly counts.
            pageview("/", at="2026-03-28T12:30:00.001Z", visitor=1, session=1),
            pageview("/a", at="2026-03-28T18:00:00Z", visitor=1, session=2),
            pageview("/b", at="2026-03-29T00:30:00Z", visitor=1, session=3),
            pageview("/c", at="2026-03-29T09:00:00Z", visitor=1, session=4),
            pageview("/d", at="2026-03-29T12:10:00Z", visitor=1, session=5),
            pageview("/", at="2026-03-29T12:30:00Z", visitor=2, session=6),  # now counts
            pageview("/", at="2026-03-29T12:30:00.001Z", visitor=3, session=7),  # after now
        ],
    )
    monkeypatch.setattr("appliance.clock.now_ms", lambda: 1774787400000)  # 2026-03-29T12:30:00Z

    overview = get(env, owner, site, "overview", "period=24h")
    series = get(env, owner, site, "timeseries", "period=24h")

    assert overview == {
        "data": {
            "pageviews": 6,
            "unique_visitors": 2,
            "sessions": 6,
            "bounce_rate": 100.0,
            "avg_session_duration": 0,
            "events": 0,
            "goals": 0,
        },
        "comparison": {"pageviews_change": 500.0, "visitors_change": 100.0, "bounce_rate_change": 0.0},
        "period": {"start_date": "2026-03-28", "end_date": "2026-03-29"},
    }
    assert series["interval"] == "hour"
    assert len(series["data"]) == 25  # 12:30 to 12:30 GMT: two cut hours, the skipped 01:00 BST
    assert {p["date"]: p["visitors"] for p in series["data"] if p["visitors"]} == {
        "2026-03-28T12:00:00+00:00": 1,
        "2026-03-28T18:00:00+00:00": 1,
        "2026-03-29T00:00:00+00:00": 1,
        "2026-03-29T10:00:00+01:00": 1,
        "2026-03-29T13:00:00+01:00": 2,
    }
    assert sum(p["visitors"] for p in series["data"]) == 6  # what summing the hours would claim
