"""Spec 004's public tracking endpoints: every answer whole, and what each stores (or not)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from appliance.http.analytics.tracking import GIF, pixel_key_of
from appliance.ingest.models import MAX_ID
from appliance.server import create_app
from tests import support
from tests.support import (
    BROWSER,
    Env,
    Matches,
    custom_event,
    flush_tracking,
    pageview,
    rows,
    track,
)

VISITOR_ID = Matches(r"[A-Za-z0-9_-]{16}")
SESSION_ID = Matches(r"[A-Za-z0-9_-]{20}")
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
GIF_HEADERS = {
    "content-type": "image/gif",
    "content-length": str(len(GIF)),
    "cache-control": "no-store",
    "access-control-allow-origin": "*",
}


@pytest.fixture
def site(env: Env) -> dict[str, Any]:
    return env.site(env.user("owner@example.com"), "shop.example.com")


def error(status: int, code: str, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"ok": False, "error": message, "code": code}


def answer(response: Any) -> tuple[int, Any]:
    return response.status_code, response.json()


def events(env: Env, columns: str = "id, kind, name, path, title") -> list[tuple[Any, ...]]:
    return rows(env, f"SELECT {columns} FROM events ORDER BY id")


def drops(env: Env) -> list[tuple[Any, ...]]:
    flush_tracking(env.client)
    return rows(env, "SELECT site_id, reason, count FROM drop_counts ORDER BY site_id, reason")


# -- POST /analytics/track -------------------------------------------------------------------


def test_track_answers_the_ids_of_the_stored_pageview(env: Env, site: dict[str, Any]) -> None:
    response = track(
        env.client,
        site["sid"],
        browser=CHROME,
        type="pageview",
        path="/pricing?utm_source=newsletter&utm_medium=email&ref=x",
        title="Pricing",
        referrer="https://www.google.com/search?q=shop",
        screen_width=1920,
        screen_height=1080,
        language="en-GB",
    )

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == {"ok": True, "event_id": 1, "visitor_id": VISITOR_ID, "session_id": SESSION_ID}
    columns = (
        "id, site_id, kind, name, path, title, referrer_host, source, utm_source, utm_medium, utm_campaign, "
        "browser, browser_version, os, os_version, device, screen_width, screen_height, language, props, "
        "time_on_page, scroll_depth"
    )
    first_hit = (
        1,
        site["id"],
        0,
        None,
        "/pricing",
        "Pricing",
        "google.com",
        "newsletter",
        "newsletter",
        "email",
    )
    enriched = ("Chrome", "120", "Windows", "10", "desktop", 1920, 1080, "en-GB", None, None, None)
    assert events(env, columns) == [(*first_hit, None, *enriched)]


def test_a_visitors_pageviews_make_one_session(env: Env, site: dict[str, Any]) -> None:
    first = pageview(env.client, site["sid"], "/", referrer="https://news.ycombinator.com/item?id=1")
    second = pageview(env.client, site["sid"], "/pricing")
    third = pageview(env.client, site["sid"], "/signup")

    assert first["visitor_id"] == second["visitor_id"] == third["visitor_id"]
    assert first["session_id"] == second["session_id"] == third["session_id"]
    assert [first["event_id"], second["event_id"], third["event_id"]] == [1, 2, 3]
    assert rows(
        env, "SELECT pageviews, events, entry_path, exit_path, source, referrer_host, ended_at FROM sessions"
    ) == [(3, 0, "/", "/signup", "Hacker News", "news.ycombinator.com", None)]


def test_given_ids_are_echoed_and_stored_only_as_keyed_hashes(env: Env, site: dict[str, Any]) -> None:
    given = {"visitor_id": "visitor-uuid-1234", "session_id": "session-uuid-5678"}

    first = pageview(env.client, site["sid"], "/a", **given)
    second = pageview(env.client, site["sid"], "/b", **given)

    assert first == {"ok": True, "event_id": 1, **given}
    assert second == {"ok": True, "event_id": 2, **given}
    keys = rows(env, "SELECT session_key, visitor_key, pageviews FROM sessions")
    assert len(keys) == 1 and keys[0][2] == 2
    assert all(isinstance(k, int) for k in keys[0][:2])
    dump = "\n".join(env.conn.iterdump())
    assert "visitor-uuid-1234" not in dump and "session-uuid-5678" not in dump


def test_the_server_named_session_id_can_be_sent_back(env: Env, site: dict[str, Any]) -> None:
    first = pageview(env.client, site["sid"], "/a")
    # Another browser (another visitor) that carries the first one's session id joins it.
    second = pageview(env.client, site["sid"], "/b", browser=CHROME, session_id=first["session_id"])

    assert second["session_id"] == first["session_id"]
    assert rows(env, "SELECT count(*), sum(pageviews) FROM sessions") == [(1, 2)]


def test_text_plain_json_is_accepted_without_a_preflight(env: Env, site: dict[str, Any]) -> None:
    body = json.dumps({"key": site["sid"], "path": "/"})
    response = env.client.post(
        "/analytics/track",
        content=body,
        headers={"Content-Type": "text/plain;charset=UTF-8", "User-Agent": BROWSER},
    )

    assert answer(response) == (
        200,
        {"ok": True, "event_id": 1, "visitor_id": VISITOR_ID, "session_id": SESSION_ID},
    )


def test_track_type_event_needs_a_name(env: Env, site: dict[str, Any]) -> None:
    assert answer(track(env.client, site["sid"], type="event", path="/")) == error(
        400, "VALIDATION_ERROR", "The name field is required when type is event."
    )
    assert answer(track(env.client, site["sid"], path="/", name="Signup")) == error(
        400, "VALIDATION_ERROR", "The name field is allowed only when type is event."
    )
    assert track(env.client, site["sid"], type="event", name="Signup", path="/x?y=1").status_code == 200
    assert events(env) == [(1, 1, "Signup", "/x", None)]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"path": "/"}, "The key field is required."),
        ({"key": 5, "path": "/"}, "The key field must be a string."),
        ({"key": "K", "path": "/", "screen_width": "wide"}, "The screen_width field must be an integer."),
        (
            {"key": "K", "path": "/", "screen_width": 10**30},
            "The screen_width field is invalid: expected `int` <= 100000.",
        ),
        (
            {"key": "K", "path": "/", "type": "click"},
            "The type field is invalid: invalid enum value 'click'.",
        ),
        ({"key": "K", "path": "/", "colour": "red"}, "The colour field is not allowed."),
        (
            {"key": "K", "path": "/", "visitor_id": ""},
            "The visitor_id field is invalid: expected `str` of length >= 1.",
        ),
        (
            {"key": "K", "path": "/", "visitor_id": "v" * (MAX_ID + 1)},
            f"The visitor_id field is invalid: expected `str` of length <= {MAX_ID}.",
        ),
        (
            {"key": "K", "path": "/", "properties": {"a": [1]}},
            "The properties field must be a string, number, boolean or null.",
        ),
        (
            {"key": "K", "path": "/", "properties": {"a": 2**60}},
            "The property a is a number too large to keep exactly.",
        ),
        ({"key": "K"}, "The path field is required."),
        ([1, 2], "The request body must be a JSON object."),
    ],
)
def test_malformed_bodies_answer_400_and_store_nothing(
    env: Env, site: dict[str, Any], body: Any, message: str
) -> None:
    if isinstance(body, dict) and body.get("key") == "K":
        body["key"] = site["sid"]

    response = env.client.post("/analytics/track", json=body, headers={"User-Agent": BROWSER})

    assert answer(response) == error(400, "VALIDATION_ERROR", message)
    assert events(env) == []
    assert rows(env, "SELECT count(*) FROM sessions") == [(0,)]


@pytest.mark.parametrize(
    "raw",
    [b"", b"{", b'{"key": "\xff\xfe"}', b'{"key": "\\ud800"}', b"null", b"\x00\x01junk"],
)
def test_bytes_that_are_not_json_answer_400(env: Env, site: dict[str, Any], raw: bytes) -> None:
    response = env.client.post("/analytics/track", content=raw, headers={"Content-Type": "application/json"})

    status, body = answer(response)
    assert status == 400 and body["code"] == "VALIDATION_ERROR" and body["ok"] is False
    assert events(env) == []


def test_unknown_key_is_404_and_disabled_website_403(env: Env, site: dict[str, Any]) -> None:
    owner_headers = env.headers(env.user("admin@example.com", admin=True))
    assert pageview(env.client, site["sid"], "/")["event_id"] == 1  # the key is cached now

    env.client.put(
        f"/analytics/websites/{site['id']}", json={"tracking_enabled": False}, headers=owner_headers
    )

    assert answer(track(env.client, site["sid"], path="/")) == error(
        403, "FORBIDDEN", "Tracking is disabled for this website."
    )
    assert answer(track(env.client, "no-such-key", path="/")) == error(404, "NOT_FOUND", "Website not found.")
    assert events(env, "id") == [(1,)]
    assert drops(env) == [(None, "unknown_site", 1), (site["id"], "disabled_site", 1)]


def test_bots_get_a_success_that_stores_nothing(env: Env, site: dict[str, Any]) -> None:
    response = track(
        env.client,
        site["sid"],
        path="/",
        visitor_id="v1",
        browser="Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    )

    assert answer(response) == (200, {"ok": True, "event_id": None, "visitor_id": "v1", "session_id": None})
    assert events(env) == []
    assert drops(env) == [(site["id"], "bot", 1)]
    assert rows(env, "SELECT site_id, bot_type, bot_name, path FROM bot_detections") == [
        (site["id"], "crawler", "Googlebot", "/")
    ]


def test_a_body_over_the_limit_is_413(env: Env, site: dict[str, Any]) -> None:
    limit = env.config.tracking.max_body_bytes
    body = json.dumps({"key": site["sid"], "path": "/", "title": "x" * limit})

    response = env.client.post("/analytics/track", content=body, headers={"Content-Type": "application/json"})

    assert answer(response) == error(
        413, "PAYLOAD_TOO_LARGE", f"The request body may not be larger than {limit} bytes."
    )
    assert events(env) == []
    assert drops(env) == [(None, "too_large", 1)]


def test_other_content_types_are_415(env: Env, site: dict[str, Any]) -> None:
    response = env.client.post("/analytics/track", data={"key": site["sid"], "path": "/"})

    assert answer(response) == error(
        415, "UNSUPPORTED_MEDIA_TYPE", "Send JSON, as application/json or text/plain."
    )


def test_text_is_cleaned_and_cut_not_rejected(env: Env, site: dict[str, Any]) -> None:
    limit = env.config.tracking.max_field_length
    pageview(
        env.client,
        site["sid"],
        "/a\x00b\u0085c#/route",
        title="  Hello\r\n\tworld\x07  " + "t" * limit,
        language="en-GB\x1b[31m",
    )

    ((path, title, language),) = events(env, "path, title, language")
    assert path == "/abc#/route"
    assert title == ("Hello   world  " + "t" * limit)[:limit]
    assert language == "en-GB[31m"


def test_properties_are_limited_in_count_and_length(env: Env, site: dict[str, Any]) -> None:
    limits = env.config.tracking
    properties: dict[str, Any] = {f"p{i:03}": i for i in range(limits.max_properties + 5)}
    properties["p000"] = "v" * (limits.max_property_length + 10)

    custom_event(env.client, site["sid"], "Signup", properties=properties)

    ((props,),) = events(env, "props")
    stored = json.loads(props)
    assert len(stored) == limits.max_properties
    assert stored["p000"] == "v" * limits.max_property_length
    assert stored["p001"] == 1


def test_utm_parameters_of_the_body_win_over_those_of_the_path(env: Env, site: dict[str, Any]) -> None:
    pageview(env.client, site["sid"], "/?utm_source=path&utm_campaign=spring", utm_source="body")

    assert events(env, "path, utm_source, utm_campaign, source") == [("/", "body", "spring", "body")]


# -- POST /analytics/event -------------------------------------------------------------------


def test_event_answers_like_track_and_keeps_its_properties(env: Env, site: dict[str, Any]) -> None:
    view = pageview(env.client, site["sid"], "/pricing")

    response = track(
        env.client,
        site["sid"],
        route="/analytics/event",
        name="Signup",
        session_id=view["session_id"],
        properties={"plan": "pro", "seats": 3, "trial": True, "coupon": None},
    )

    assert answer(response) == (
        200,
        {"ok": True, "event_id": 2, "visitor_id": view["visitor_id"], "session_id": view["session_id"]},
    )
    assert events(env, "id, kind, name, path, props") == [
        (1, 0, None, "/pricing", None),
        (2, 1, "Signup", None, '{"plan":"pro","seats":3,"trial":true,"coupon":null}'),
    ]
    assert rows(env, "SELECT pageviews, events FROM sessions") == [(1, 1)]


def test_event_needs_a_key_and_a_name(env: Env, site: dict[str, Any]) -> None:
    assert answer(env.client.post("/analytics/event", json={"key": site["sid"]})) == error(
        400, "VALIDATION_ERROR", "The name field is required."
    )
    assert answer(env.client.post("/analytics/event", json={"key": site["sid"], "name": " \x00 "})) == error(
        400, "VALIDATION_ERROR", "The name field is required."
    )


# -- GIF routes ------------------------------------------------------------------------------


def test_track_by_path_key_takes_forms_and_json_and_answers_the_gif(env: Env, site: dict[str, Any]) -> None:
    route = f"/analytics/track/{site['sid']}"
    form = env.client.post(
        route, data={"path": "/form?utm_source=x", "title": "Form"}, headers={"User-Agent": BROWSER}
    )
    as_json = env.client.post(
        route, json={"path": "/json", "screen_width": 800}, headers={"User-Agent": BROWSER}
    )

    for response in (form, as_json):
        assert response.status_code == 200
        assert response.content == GIF
        assert {k: response.headers[k] for k in GIF_HEADERS} == GIF_HEADERS
    assert events(env, "id, path, title, utm_source, screen_width") == [
        (1, "/form", "Form", "x", None),
        (2, "/json", None, None, 800),
    ]


@pytest.mark.parametrize(
    ("route", "kwargs"),
    [
        ("/analytics/track/no-such-key", {"data": {"path": "/"}}),
        ("/analytics/track/{key}", {"data": {"screen_width": "wide"}}),
        ("/analytics/track/{key}", {"content": b"\xff\xfe", "headers": {"Content-Type": "text/plain"}}),
        ("/analytics/track/{key}", {"data": {"path": "/", "timestamp": "2024-01-01"}}),
        ("/analytics/pixel?p=/", {}),
        ("/analytics/pixel?key=no-such-key&p=/", {}),
    ],
)
def test_gif_routes_answer_the_gif_when_they_store_nothing(
    env: Env, site: dict[str, Any], route: str, kwargs: dict[str, Any]
) -> None:
    route = route.replace("{key}", site["sid"])
    method = env.client.get if route.startswith("/analytics/pixel") else env.client.post

    response = method(route, **kwargs)

    assert response.status_code == 200 and response.content == GIF
    assert events(env) == []


def test_pixel_records_a_pageview_and_defaults_the_path_to_the_referer(
    env: Env, site: dict[str, Any]
) -> None:
    given = env.client.get(
        "/analytics/pixel",
        params={"key": site["sid"], "p": "/noscript", "t": "No JS", "r": "https://duckduckgo.com/", "_": "1"},
        headers={"User-Agent": BROWSER},
    )
    from_referer = env.client.get(
        "/analytics/pixel",
        params={"key": site["sid"]},
        headers={"User-Agent": BROWSER, "Referer": "https://shop.example.com/docs/page?x=1"},
    )

    assert given.content == from_referer.content == GIF
    assert events(env, "id, path, title, source") == [
        (1, "/noscript", "No JS", "DuckDuckGo"),
        (2, "/docs/page", None, "Direct / None"),
    ]


# -- POST /analytics/heartbeat and /analytics/leave -------------------------------------------


def test_heartbeats_update_their_pageview_and_the_session(env: Env, site: dict[str, Any]) -> None:
    view = pageview(env.client, site["sid"], "/article")
    beat = {"event_id": view["event_id"], "session_id": view["session_id"]}

    first = env.client.post("/analytics/heartbeat", json={**beat, "time_on_page": 15, "scroll_depth": 40})
    later = env.client.post("/analytics/heartbeat", json={**beat, "time_on_page": 30.4, "scroll_depth": 35})
    flush_tracking(env.client)

    assert answer(first) == answer(later) == (200, {"ok": True})
    assert first.headers["access-control-allow-origin"] == "*"
    assert events(env, "id, time_on_page, scroll_depth") == [(1, 30, 40)]
    assert rows(env, "SELECT count(*) FROM events") == [(1,)]  # never a row of its own


def test_heartbeats_touch_only_events_of_their_session(env: Env, site: dict[str, Any]) -> None:
    mine = pageview(env.client, site["sid"], "/mine")
    theirs = pageview(env.client, site["sid"], "/theirs", browser=CHROME)
    assert mine["session_id"] != theirs["session_id"]

    wrong = env.client.post(
        "/analytics/heartbeat",
        json={"event_id": theirs["event_id"], "session_id": mine["session_id"], "time_on_page": 9},
    )
    unknown = env.client.post(
        "/analytics/heartbeat", json={"event_id": mine["event_id"], "session_id": "nope", "time_on_page": 9}
    )
    invalid = env.client.post(
        "/analytics/heartbeat",
        json={"event_id": mine["event_id"], "session_id": mine["session_id"], "scroll_depth": 101},
    )
    flush_tracking(env.client)

    assert answer(wrong) == error(404, "NOT_FOUND", "Event not found in this session.")
    assert answer(unknown) == error(404, "NOT_FOUND", "Session not found.")
    assert answer(invalid) == error(
        400, "VALIDATION_ERROR", "The scroll_depth field is invalid: expected `float` <= 100.0."
    )
    assert events(env, "id, time_on_page") == [(1, None), (2, None)]


def test_leave_ends_the_session_and_the_next_hit_starts_another(env: Env, site: dict[str, Any]) -> None:
    first = pageview(env.client, site["sid"], "/")
    body = json.dumps({"session_id": first["session_id"]})

    response = env.client.post("/analytics/leave", content=body, headers={"Content-Type": "text/plain"})
    after = pageview(env.client, site["sid"], "/again")

    assert answer(response) == (200, {"ok": True})
    assert after["visitor_id"] == first["visitor_id"]
    assert after["session_id"] != first["session_id"]
    ended = rows(env, "SELECT id, pageviews, ended_at IS NOT NULL, entry_path FROM sessions ORDER BY id")
    assert ended == [(1, 1, 1, "/"), (2, 1, 0, "/again")]
    assert answer(env.client.post("/analytics/leave", json={"session_id": "nope"})) == error(
        404, "NOT_FOUND", "Session not found."
    )


def test_after_a_leave_a_click_to_another_page_of_the_site_resumes_the_session(
    env: Env, site: dict[str, Any]
) -> None:
    # The tracker sends a leave on every pagehide; on a site of plain pages each link click is one.
    first = pageview(env.client, site["sid"], "/")
    env.client.post("/analytics/leave", json={"session_id": first["session_id"]})
    second = pageview(env.client, site["sid"], "/pricing", referrer=f"https://{site['domain']}/")
    env.client.post("/analytics/leave", json={"session_id": second["session_id"]})
    elsewhere = pageview(env.client, site["sid"], "/later", referrer="https://news.ycombinator.com/")

    assert second["session_id"] == first["session_id"]
    assert elsewhere["session_id"] != first["session_id"]
    visits = rows(
        env, "SELECT id, pageviews, ended_at IS NOT NULL, entry_path, exit_path FROM sessions ORDER BY id"
    )
    assert visits == [(1, 2, 1, "/", "/pricing"), (2, 1, 0, "/later", "/later")]


def test_a_heartbeat_after_the_leave_still_counts(env: Env, site: dict[str, Any]) -> None:
    # The tracker sends the leave on pagehide, then its last heartbeat on visibilitychange.
    view = pageview(env.client, site["sid"], "/")
    env.client.post("/analytics/leave", json={"session_id": view["session_id"]})

    response = env.client.post(
        "/analytics/heartbeat",
        json={"event_id": view["event_id"], "session_id": view["session_id"], "time_on_page": 42},
    )
    flush_tracking(env.client)

    assert answer(response) == (200, {"ok": True})
    assert events(env, "time_on_page") == [(42,)]


# -- CORS and methods ------------------------------------------------------------------------

ROUTES = [
    "/analytics/track",
    "/analytics/track/some-key",
    "/analytics/pixel",
    "/analytics/heartbeat",
    "/analytics/leave",
    "/analytics/event",
]


@pytest.mark.parametrize("route", ROUTES)
def test_preflight_is_answered_for_every_tracking_route(env: Env, route: str) -> None:
    response = env.client.options(
        route, headers={"Origin": "https://shop.example.com", "Access-Control-Request-Method": "POST"}
    )

    assert response.status_code == 204
    assert {k: v for k, v in response.headers.items() if k.startswith("access-control-")} == {
        "access-control-allow-origin": "*",
        "access-control-allow-methods": "GET, POST, OPTIONS",
        "access-control-allow-headers": "Content-Type, Authorization",
        "access-control-max-age": "86400",
    }


def test_cors_is_open_for_tracking_routes_only(env: Env) -> None:
    tracking = env.client.post("/analytics/heartbeat", json={}, headers={"Origin": "https://a.example"})
    management = env.client.get("/analytics/websites", headers={"Origin": "https://a.example"})

    assert tracking.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-origin" not in management.headers


@pytest.mark.parametrize(
    ("method", "route", "allow"),
    [
        ("GET", "/analytics/track", "POST, OPTIONS"),
        ("GET", "/analytics/track/some-key", "POST, OPTIONS"),
        ("PUT", "/analytics/event", "POST, OPTIONS"),
        ("GET", "/analytics/leave", "POST, OPTIONS"),
        ("POST", "/analytics/pixel", "GET, OPTIONS"),
    ],
)
def test_wrong_methods_are_405(env: Env, method: str, route: str, allow: str) -> None:
    response = env.client.request(method, route)

    assert answer(response) == error(405, "METHOD_NOT_ALLOWED", "Method not allowed.")
    assert response.headers["allow"] == allow


# -- drops -----------------------------------------------------------------------------------


def test_drops_are_counted_per_site_reason_and_day(env: Env, site: dict[str, Any]) -> None:
    other = env.site(env.user("other@example.com"), "other.example.com")
    track(env.client, site["sid"], path="/", browser="curl/8.5.0")
    track(env.client, site["sid"], path="/", browser="")
    track(env.client, other["sid"], path="/", browser="python-requests/2.31")
    track(env.client, site["sid"])  # no path
    env.client.post(f"/analytics/track/{site['sid']}", data={"screen_width": "x"})
    env.client.get("/analytics/pixel?key=unknown")
    env.client.post("/analytics/track", content=b"{")  # no site to count it under

    flush_tracking(env.client)

    day = rows(env, "SELECT CAST(strftime('%s', 'now') AS INTEGER) / 86400")[0][0]
    assert rows(env, "SELECT site_id, day, reason, count FROM drop_counts ORDER BY site_id, reason") == [
        (None, day, "invalid", 1),
        (None, day, "unknown_site", 1),
        (site["id"], day, "bot", 2),
        (site["id"], day, "invalid", 2),
        (other["id"], day, "bot", 1),
    ]


def test_tracking_routes_stay_rate_limited(tmp_path: Path) -> None:
    config = support.test_config(tmp_path / "data", rate_limits={"tracking_per_minute": 2})
    with TestClient(create_app(config)) as client:
        first = client.post("/analytics/heartbeat", json={})
        second = client.get("/analytics/pixel")
        third = client.post("/analytics/track", json={})

    assert (first.status_code, second.status_code) == (400, 200)
    assert first.headers["x-ratelimit-remaining"] == "1"
    assert answer(third) == error(429, "RATE_LIMITED", "Too Many Attempts.")
    assert third.headers["x-ratelimit-remaining"] == "0" and int(third.headers["retry-after"]) >= 1


@pytest.mark.parametrize("route", ["/analytics/leave", "/analytics/leave/"])
def test_routed_and_hot_paths_answer_alike(env: Env, route: str) -> None:
    # Both are answered before Litestar's routing: the exact path, and the variant Litestar
    # would route to the same handler.
    response = env.client.post(route, json={"session_id": "nope"})

    assert answer(response) == error(404, "NOT_FOUND", "Session not found.")
    assert response.headers["access-control-allow-origin"] == "*"


def test_a_resumed_session_is_open_again_in_the_database(env: Env, site: dict[str, Any]) -> None:
    first = pageview(env.client, site["sid"], "/")
    env.client.post("/analytics/leave", json={"session_id": first["session_id"]})
    assert rows(env, "SELECT ended_at IS NOT NULL FROM sessions") == [(1,)]

    pageview(env.client, site["sid"], "/next", referrer=f"https://{site['domain']}/")

    assert rows(env, "SELECT pageviews, ended_at FROM sessions") == [(2, None)]


def test_the_gif_route_by_key_is_found_ahead_of_routing(env: Env, site: dict[str, Any]) -> None:
    assert pixel_key_of("/analytics/track/pk_123") == "pk_123"
    assert [pixel_key_of(p) for p in ("/analytics/track", "/analytics/track/", "/analytics/track/a/b")] == [
        None,
        None,
        None,
    ]
    for route in (f"/analytics/track/{site['sid']}", f"/analytics/track/{site['sid']}/"):
        response = env.client.post(route, data={"path": "/form"}, headers={"User-Agent": CHROME})
        assert (response.status_code, response.content) == (200, GIF)
    assert events(env, "path") == [("/form",), ("/form",)]


def test_the_api_docs_list_every_tracking_route(env: Env) -> None:
    schema = env.client.get("/docs/openapi.json").json()

    documented = {
        (path, method)
        for path, item in schema["paths"].items()
        if path.startswith("/analytics/") and "Tracking" in str(item)
        for method in item
        if method in ("get", "post")
    }
    assert documented == {
        ("/analytics/track", "post"),
        ("/analytics/event", "post"),
        ("/analytics/heartbeat", "post"),
        ("/analytics/leave", "post"),
        ("/analytics/pixel", "get"),
        ("/analytics/track/{pixel_key}", "post"),
    }
    track = schema["paths"]["/analytics/track"]["post"]
    assert track["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TrackBody"
    }
    assert track["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TrackAnswer"
    }
