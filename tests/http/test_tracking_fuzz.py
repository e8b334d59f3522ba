"""Hostile input on every tracking route: never a 5xx, always the documented shape, nothing half-stored.

Bodies mix the fields the routes know (with right and wrong values) with junk: random JSON,
random bytes, invalid UTF-8, lone surrogates, huge numbers, control characters, odd content
types and bodies over the size limit.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appliance.http.analytics.tracking import GIF
from tests.support import BROWSER, Env, pageview, rows

EXAMPLES = 300
FIELDS = [
    "key",
    "type",
    "visitor_id",
    "session_id",
    "path",
    "title",
    "referrer",
    "utm_source",
    "utm_medium",
    "screen_width",
    "screen_height",
    "language",
    "name",
    "properties",
    "timestamp",
    "ip",
    "user_agent",
    "event_id",
    "time_on_page",
    "scroll_depth",
]
JSON_ERRORS = {400, 401, 403, 404, 413, 415}
CONTENT_TYPES = [
    None,
    "application/json",
    "text/plain",
    "text/plain;charset=UTF-8",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "image/png",
    "application/json; charset=latin-1",
    "\x00junk",
]
content_types = st.sampled_from(CONTENT_TYPES) | st.sampled_from(["application/json", "text/plain"])
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)

texts = st.text(max_size=40) | st.sampled_from(
    ["", "/", "/a?utm_source=x", "\x00\x1b[31m", "\ud800", "é" * 30]
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | texts
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)


def valid_base(route: str, known: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A body the route accepts, with hostile but legal text where text goes."""
    if route.endswith("/heartbeat"):
        return st.fixed_dictionaries(
            {"event_id": st.just(known["event_id"]), "session_id": st.just(known["session_id"])},
            optional={"time_on_page": st.integers(0, 10_000), "scroll_depth": st.integers(0, 100)},
        )
    if route.endswith("/leave"):
        return st.fixed_dictionaries({"session_id": st.just(known["session_id"])})
    if route.endswith("/event"):
        return st.fixed_dictionaries(
            {"key": st.just(known["key"]), "name": texts.filter(lambda t: t.strip("\x00 ") != "")},
            optional={"properties": st.dictionaries(texts, scalars, max_size=40), "path": texts},
        )
    return st.fixed_dictionaries(
        {"key": st.just(known["key"]), "path": texts},
        optional={
            "title": texts,
            "referrer": texts,
            "utm_source": texts,
            "screen_width": st.integers(0, 100_000),
            "language": texts,
            "visitor_id": st.text(min_size=1, max_size=30),
        },
    )


@st.composite
def bodies(draw: st.DrawFn, route: str, known: dict[str, Any]) -> bytes:
    """A request body: often one the route accepts, or one mutation away from it; sometimes anything."""
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return draw(st.binary(max_size=200))
    if kind == 1:
        return b"{" + b" " * draw(st.sampled_from([10, 70_000])) + b"}"
    if kind == 2:
        return json.dumps(draw(json_values)).encode()
    body = draw(valid_base(route, known))
    if kind == 3:
        body[draw(st.sampled_from(sorted(body)))] = draw(json_values)  # a wrong value
    elif kind == 4:
        body[draw(st.sampled_from(FIELDS))] = draw(json_values)  # perhaps an unknown field
    elif kind == 5 and body:
        del body[draw(st.sampled_from(sorted(body)))]
    encoded = json.dumps(body, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
    if kind == 6:
        cut = draw(st.integers(0, len(encoded)))
        encoded = encoded[:cut] + draw(st.binary(min_size=1, max_size=5)) + encoded[cut:]
    return encoded


@pytest.fixture
def known(env: Env) -> dict[str, Any]:
    """Right values for the fields, so that some fuzzed requests get through to the pipeline."""
    site = env.site(env.user("owner@example.com"))
    view = pageview(env.client, site["sid"], "/start")
    return {
        "key": site["sid"],
        "type": "pageview",
        "path": "/fuzz",
        "session_id": view["session_id"],
        "visitor_id": view["visitor_id"],
        "event_id": view["event_id"],
        "name": "Fuzz",
    }


def counts(env: Env) -> tuple[int, int]:
    ((events, sessions),) = rows(env, "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM sessions)")
    return events, sessions


def assert_whole(env: Env) -> None:
    """Nothing half-written: every event has its session, on its site."""
    assert rows(
        env,
        "SELECT count(*) FROM events e LEFT JOIN sessions s ON s.id = e.session_id "
        "WHERE s.id IS NULL OR s.site_id != e.site_id",
    ) == [(0,)]


def assert_no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    """The GIF routes hide failures from pages; the log must show there were none."""
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def post(env: Env, route: str, body: bytes, content_type: str | None) -> Any:
    headers = {"User-Agent": BROWSER}
    if content_type is not None:
        headers["Content-Type"] = content_type
    return env.client.post(route, content=body, headers=headers)


@pytest.mark.parametrize(
    "route", ["/analytics/track", "/analytics/event", "/analytics/heartbeat", "/analytics/leave"]
)
def test_json_routes_answer_success_or_the_error_shape(
    env: Env, known: dict[str, Any], route: str, caplog: pytest.LogCaptureFixture
) -> None:
    @FUZZ
    @given(body=bodies(route, known), content_type=content_types)
    def check(body: bytes, content_type: str | None) -> None:
        before = counts(env)
        response = post(env, route, body, content_type)
        after = counts(env)

        assert response.status_code < 500, response.text
        answer = response.json()
        if response.status_code == 200:
            assert answer["ok"] is True
            stored = answer.get("event_id") is not None
            assert set(answer) in ({"ok"}, {"ok", "event_id", "visitor_id", "session_id"})
        else:
            assert response.status_code in JSON_ERRORS
            assert set(answer) == {"ok", "error", "code"} and answer["ok"] is False
            assert isinstance(answer["error"], str) and answer["error"]
            stored = False
        if not stored:
            assert after == before
        else:
            assert after[0] == before[0] + 1 and after[1] - before[1] in (0, 1)
        assert response.headers["access-control-allow-origin"] == "*"

    check()
    assert_whole(env)
    assert_no_errors_logged(caplog)


def test_the_track_by_key_route_always_answers_the_gif(
    env: Env, known: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    form_fields = st.dictionaries(st.sampled_from(FIELDS), texts, max_size=6)

    @FUZZ
    @given(
        body=bodies("/analytics/track", known)
        | form_fields.map(
            lambda f: "&".join(f"{k}={v}" for k, v in f.items()).encode("utf-8", "surrogatepass")
        ),
        content_type=content_types,
        key=st.sampled_from([known["key"], "no-such-key", "%00", "k" * 300]),
    )
    def check(body: bytes, content_type: str | None, key: str) -> None:
        before = counts(env)
        response = post(env, f"/analytics/track/{key}", body, content_type)
        after = counts(env)

        assert (response.status_code, response.content) == (200, GIF)
        assert after[0] - before[0] in (0, 1) and after[1] - before[1] in (0, 1)
        if key != known["key"]:
            assert after == before

    check()
    assert_whole(env)
    assert_no_errors_logged(caplog)


def test_the_pixel_always_answers_the_gif(
    env: Env, known: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    @FUZZ
    @given(
        params=st.dictionaries(st.sampled_from(["key", "p", "t", "r", "_", "utm_source"]), texts, max_size=5),
        use_key=st.booleans(),
        raw=st.binary(max_size=60),
    )
    def check(params: dict[str, str], use_key: bool, raw: bytes) -> None:
        if use_key:
            params["key"] = known["key"]
        before = counts(env)
        safe = {k: v.encode("utf-8", "surrogatepass").decode("utf-8", "replace") for k, v in params.items()}
        response = env.client.get("/analytics/pixel", params=safe, headers={"User-Agent": BROWSER})
        junk = env.client.get("/analytics/pixel?" + raw.hex() + "=%ff%fe&key=%00")
        after = counts(env)

        assert (response.status_code, response.content) == (200, GIF)
        assert (junk.status_code, junk.content) == (200, GIF)
        assert after[0] - before[0] in (0, 1)
        if not use_key:
            assert after == before

    check()
    assert_whole(env)
    assert_no_errors_logged(caplog)
