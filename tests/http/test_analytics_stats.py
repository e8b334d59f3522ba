"""Spec 004 statistics (`/analytics/websites/{id}/stats|timeseries|realtime`): whole answers.

The website is in America/New_York; 2026-03-08 has 23 hours there and 2026-11-01 has 25.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import Env
from tests.traffic import event, pageview, populate, visit

NOW = 1774785600000  # 2026-03-29T12:00:00Z: 08:00 EDT on the 29th


@pytest.fixture
def owner(env: Env) -> Any:
    return env.user("owner@example.com")


@pytest.fixture
def site(env: Env, owner: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setattr("appliance.clock.now_ms", lambda: NOW)
    site = env.site(owner, "nyc.example.com", timezone="America/New_York")
    populate(
        env,
        site,
        [
            visit("/", "/docs", at="2026-03-08T06:30:00Z", visitor=1, session=1, every=90),  # 01:30 EST
            pageview("/", at="2026-03-08T07:30:00Z", visitor=2, session=2),  # 03:30 EDT: 02:00 never was
            pageview("/", at="2026-03-09T03:59:00Z", visitor=2, session=3),  # 23:59 EDT on the 8th
            pageview("/docs", at="2026-03-09T04:00:00Z", visitor=3, session=4),  # 00:00 on the 9th
            pageview("/", at="2026-03-23T12:00:00Z", visitor=4, session=5, country="US"),
            visit("/", "/pricing", at="2026-03-29T11:56:00Z", visitor=5, session=6, country="US"),
            pageview("/", at="2026-03-29T11:58:00Z", visitor=6, session=7, country="CA"),
            event("Signup", at="2026-03-29T11:59:00Z", visitor=6, session=7, country="CA"),
        ],
    )
    return site


def get(env: Env, owner: Any, site: dict[str, Any], path: str, query: str = "") -> tuple[int, Any]:
    response = env.client.get(f"/analytics/websites/{site['id']}/{path}?{query}", headers=env.headers(owner))
    return response.status_code, response.json()


def test_stats_default_to_the_seven_days_up_to_today(env: Env, owner: Any, site: dict[str, Any]) -> None:
    # 23rd to 29th in New York: S5, S6, S7.
    assert get(env, owner, site, "stats") == (
        200,
        {
            "total_pageviews": 4,
            "unique_visitors": 3,
            "bounce_rate": 66.7,
            "avg_session_duration": 40,  # (0 + 60 + 60) / 3: S7 lasts from its pageview to its event
            "period": {"start": "2026-03-23T04:00:00Z", "end": "2026-03-30T04:00:00Z"},
        },
    )


def test_stats_of_the_23_hour_day_in_the_websites_time_zone_or_another(
    env: Env, owner: Any, site: dict[str, Any]
) -> None:
    assert get(env, owner, site, "stats", "start_date=2026-03-08&end_date=2026-03-08") == (
        200,
        {
            "total_pageviews": 4,
            "unique_visitors": 2,
            "bounce_rate": 66.7,
            "avg_session_duration": 30,
            "period": {"start": "2026-03-08T05:00:00Z", "end": "2026-03-09T04:00:00Z"},
        },
    )
    # The same date in UTC holds S1 and S2 only (S3 is on the 9th there).
    assert get(env, owner, site, "stats", "start_date=2026-03-08&end_date=2026-03-08&timezone=UTC") == (
        200,
        {
            "total_pageviews": 3,
            "unique_visitors": 2,
            "bounce_rate": 50.0,
            "avg_session_duration": 45,
            "period": {"start": "2026-03-08T00:00:00Z", "end": "2026-03-09T00:00:00Z"},
        },
    )


def test_timeseries_by_day_is_keyed_by_local_date_and_zero_filled(
    env: Env, owner: Any, site: dict[str, Any]
) -> None:
    query = "start_date=2026-03-07&end_date=2026-03-10&interval=day"

    assert get(env, owner, site, "timeseries", query) == (
        200,
        {"2026-03-07": 0, "2026-03-08": 4, "2026-03-09": 1, "2026-03-10": 0},
    )
    assert get(env, owner, site, "timeseries", f"{query}&metric=visitors")[1] == {
        "2026-03-07": 0,
        "2026-03-08": 2,
        "2026-03-09": 1,
        "2026-03-10": 0,
    }
    assert get(env, owner, site, "timeseries", f"{query}&metric=sessions")[1] == {
        "2026-03-07": 0,
        "2026-03-08": 3,
        "2026-03-09": 1,
        "2026-03-10": 0,
    }


def test_timeseries_by_hour_skips_the_hour_that_never_was(env: Env, owner: Any, site: dict[str, Any]) -> None:
    status, found = get(
        env, owner, site, "timeseries", "start_date=2026-03-08&end_date=2026-03-08&interval=hour"
    )

    assert status == 200
    assert list(found)[:4] == [
        "2026-03-08T00:00:00-05:00",
        "2026-03-08T01:00:00-05:00",
        "2026-03-08T03:00:00-04:00",
        "2026-03-08T04:00:00-04:00",
    ]
    assert len(found) == 23
    assert {key: n for key, n in found.items() if n} == {
        "2026-03-08T01:00:00-05:00": 2,
        "2026-03-08T03:00:00-04:00": 1,
        "2026-03-08T23:00:00-04:00": 1,
    }


def test_timeseries_by_hour_has_both_one_oclocks_of_the_25_hour_day(
    env: Env, owner: Any, site: dict[str, Any]
) -> None:
    populate(env, site, [pageview("/", at="2026-11-01T06:15:00Z", visitor=9, session=9)])  # 01:15 EST

    status, found = get(
        env, owner, site, "timeseries", "start_date=2026-11-01&end_date=2026-11-01&interval=hour"
    )

    assert status == 200
    assert len(found) == 25
    assert {k: found[k] for k in ("2026-11-01T01:00:00-04:00", "2026-11-01T01:00:00-05:00")} == {
        "2026-11-01T01:00:00-04:00": 0,
        "2026-11-01T01:00:00-05:00": 1,
    }


@pytest.mark.parametrize(
    ("interval", "expected"),
    [
        ("week", {"2026-03-02": 4, "2026-03-09": 1, "2026-03-16": 0, "2026-03-23": 4}),
        ("month", {"2026-03-01": 9}),
    ],
)
def test_timeseries_by_week_and_month(
    env: Env, owner: Any, site: dict[str, Any], interval: str, expected: dict[str, int]
) -> None:
    query = f"start_date=2026-03-08&end_date=2026-03-29&interval={interval}"

    assert get(env, owner, site, "timeseries", query) == (200, expected)


def test_realtime_is_the_last_five_minutes(env: Env, owner: Any, site: dict[str, Any]) -> None:
    assert get(env, owner, site, "realtime") == (
        200,
        {
            "active_visitors": 2,
            "active_pages": [{"path": "/", "viewers": 2}, {"path": "/pricing", "viewers": 1}],
            "locations": [{"country_code": "CA", "visitors": 1}, {"country_code": "US", "visitors": 1}],
            "timestamp": "2026-03-29T12:00:00Z",
        },
    )


def test_filters_apply_on_this_surface_too(env: Env, owner: Any, site: dict[str, Any]) -> None:
    status, found = get(env, owner, site, "stats", "filters=country==US")

    assert (status, found["total_pageviews"], found["unique_visitors"]) == (200, 3, 2)


@pytest.mark.parametrize(
    ("path", "query", "message"),
    [
        ("stats", "start_date=yesterday", "The start_date must be a date (YYYY-MM-DD)."),
        (
            "stats",
            "start_date=2026-03-10&end_date=2026-03-01",
            "The end_date must be a date on or after start_date.",
        ),
        (
            "stats",
            "timezone=Mars/Olympus",
            "The timezone must be a valid IANA time zone, such as Europe/London.",
        ),
        (
            "stats",
            "filters=colour~red",
            "The filter dimension 'colour' is unknown; use one of: page, entry_page, "
            "exit_page, source, referrer, utm_source, utm_medium, utm_campaign, utm_content, utm_term, country, "
            "region, city, browser, os, device, screen_size, language, event_name, goal.",
        ),
        ("timeseries", "metric=bounces", "The metric must be one of: pageviews, visitors, sessions."),
        ("timeseries", "interval=minute", "The interval must be one of: hour, day, week, month."),
        (
            "realtime",
            "filters=page",
            "The filter 'page' must be a dimension, an operator (==, != or ~) and a value.",
        ),
    ],
)
def test_invalid_parameters_answer_400_in_the_analytics_format(
    env: Env, owner: Any, site: dict[str, Any], path: str, query: str, message: str
) -> None:
    assert get(env, owner, site, path, query) == (
        400,
        {"ok": False, "error": message, "code": "VALIDATION_ERROR"},
    )
