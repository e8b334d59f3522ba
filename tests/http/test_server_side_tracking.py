"""Server-side tracking: an admin's token may set timestamp, ip and user_agent; nobody else."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from appliance.accounts.models import User
from appliance.config import Config
from appliance.server import create_app
from tests.support import Env, flush_tracking, rows, track

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
BACKEND = "MyBackend/1.0 python-requests/2.31"  # a bot by its looks: the admin vouches for it
WHEN = datetime(2024, 1, 15, 10, 30, tzinfo=UTC)
WHEN_MS = int(WHEN.timestamp() * 1000)


@pytest.fixture
def owner(env: Env) -> User:
    return env.user("owner@example.com")


@pytest.fixture
def site(env: Env, owner: User) -> dict[str, Any]:
    return env.site(owner, "shop.example.com")


def error(status: int, code: str, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"ok": False, "error": message, "code": code}


def answer(response: Any) -> tuple[int, Any]:
    return response.status_code, response.json()


def test_an_admin_may_backdate_and_name_the_visitors_ip_and_browser(env: Env, site: dict[str, Any]) -> None:
    admin = env.user("admin@example.com")
    env.member(site["id"], admin, "admin")

    response = track(
        env.client,
        site["sid"],
        browser=BACKEND,
        headers=env.headers(admin),
        path="/api/endpoint",
        visitor_id="visitor-from-header",
        timestamp=WHEN_MS,
        ip="8.8.8.8",
        user_agent=CHROME,
    )

    status, body = answer(response)
    assert (status, body) == (
        200,
        {"ok": True, "event_id": 1, "visitor_id": "visitor-from-header", "session_id": body["session_id"]},
    )
    assert rows(env, "SELECT ts, path, country, browser, os FROM events") == [
        (WHEN_MS, "/api/endpoint", "US", "Chrome", "Windows")
    ]
    assert rows(env, "SELECT started_at, last_seen_at, country FROM sessions") == [(WHEN_MS, WHEN_MS, "US")]


@pytest.mark.parametrize(
    ("timestamp", "stored"),
    [
        ("2024-01-15T10:30:00Z", WHEN_MS),
        ("2024-01-15T11:30:00+01:00", WHEN_MS),
        ("2024-01-15T10:30:00", WHEN_MS),
        (WHEN_MS, WHEN_MS),
    ],
)
def test_timestamps_are_epoch_ms_or_iso_8601(
    env: Env, site: dict[str, Any], owner: User, timestamp: Any, stored: int
) -> None:
    response = track(env.client, site["sid"], headers=env.headers(owner), path="/", timestamp=timestamp)

    assert response.status_code == 200, response.text
    assert rows(env, "SELECT ts FROM events") == [(stored,)]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"timestamp": "yesterday"},
            "The timestamp field must be epoch milliseconds or an ISO 8601 date-time.",
        ),
        ({"timestamp": 4_102_444_800_000}, "The timestamp field must be after 2000 and not in the future."),
        ({"timestamp": 1.5}, "The timestamp field must be an integer or a string."),
        ({"ip": "999.1.1.1"}, "The ip field must be an IPv4 or IPv6 address."),
    ],
)
def test_bad_server_side_fields_are_400(
    env: Env, site: dict[str, Any], owner: User, fields: dict[str, Any], message: str
) -> None:
    response = track(env.client, site["sid"], headers=env.headers(owner), path="/", **fields)

    assert answer(response) == error(400, "VALIDATION_ERROR", message)
    assert rows(env, "SELECT count(*) FROM events") == [(0,)]


@pytest.mark.parametrize("field", [{"timestamp": WHEN_MS}, {"ip": "8.8.8.8"}, {"user_agent": CHROME}])
def test_anonymous_requests_cannot_set_server_side_fields(
    env: Env, site: dict[str, Any], field: dict[str, Any]
) -> None:
    response = track(env.client, site["sid"], path="/", **field)

    assert answer(response) == error(
        403,
        "FORBIDDEN",
        "Only a website admin's API token (Authorization: Bearer) may set timestamp, ip or user_agent.",
    )
    assert rows(env, "SELECT count(*) FROM events") == [(0,)]
    flush_tracking(env.client)
    assert rows(env, "SELECT site_id, reason, count FROM drop_counts") == [(site["id"], "forbidden", 1)]


def test_only_an_admin_of_the_website_may_track_server_side(env: Env, site: dict[str, Any]) -> None:
    viewer = env.user("viewer@example.com")
    env.member(site["id"], viewer, "viewer")
    stranger = env.user("stranger@example.com")
    server_admin = env.user("root@example.com", admin=True)
    fields = {"path": "/", "timestamp": WHEN_MS}

    as_viewer = track(env.client, site["sid"], headers=env.headers(viewer), **fields)
    as_stranger = track(env.client, site["sid"], headers=env.headers(stranger), **fields)
    bad_token = track(env.client, site["sid"], headers={"Authorization": "Bearer alm_nope"}, **fields)
    as_server_admin = track(env.client, site["sid"], headers=env.headers(server_admin), **fields)

    refused = error(403, "FORBIDDEN", "Server-side tracking needs the admin role on this website.")
    assert answer(as_viewer) == answer(as_stranger) == refused
    assert answer(bad_token) == error(401, "UNAUTHENTICATED", "Unauthenticated.")
    assert as_server_admin.status_code == 200
    assert rows(env, "SELECT count(*) FROM events") == [(1,)]


def test_an_admins_hit_without_a_user_agent_is_no_bot(env: Env, site: dict[str, Any], owner: User) -> None:
    response = track(env.client, site["sid"], browser=BACKEND, headers=env.headers(owner), path="/job")

    assert response.json()["event_id"] == 1
    assert rows(env, "SELECT path, browser, os, device FROM events") == [("/job", None, None, None)]


def test_an_admins_hit_with_a_bot_user_agent_is_a_bot(env: Env, site: dict[str, Any], owner: User) -> None:
    response = track(env.client, site["sid"], headers=env.headers(owner), path="/", user_agent="curl/8.5.0")

    assert answer(response) == (200, {"ok": True, "event_id": None, "visitor_id": None, "session_id": None})
    assert rows(env, "SELECT count(*) FROM events") == [(0,)]


IPS = ["8.8.8.8", "203.0.113.77", "2001:4860:4860::8888", "81.2.69.142"]


def test_no_ip_address_or_user_agent_is_stored_anywhere(config: Config, tmp_path: Path) -> None:
    with TestClient(create_app(config)) as client:
        env = Env(client=client, config=config)
        owner = env.user("owner@example.com")
        site = env.site(owner)
        headers = env.headers(owner)
        for ip in IPS:
            for path in ("/", "/next"):
                response = track(client, site["sid"], headers=headers, path=path, ip=ip, user_agent=CHROME)
                assert response.status_code == 200
                view = response.json()
                client.post(
                    "/analytics/heartbeat",
                    json={"event_id": view["event_id"], "session_id": view["session_id"], "time_on_page": 5},
                )
        track(client, site["sid"], path="/", browser="curl/8.5.0")  # a bot detection record
        flush_tracking(client)
        env.close()
    assert rows_in(config, "SELECT count(*) FROM events") == len(IPS) * 2

    stored = b"".join(p.read_bytes() for p in config.data_path.rglob("*") if p.is_file())
    for ip in IPS:
        assert ip.encode() not in stored
        assert ip.encode("utf-16-le") not in stored
    assert b"Chrome/120.0.0.0" not in stored
    assert b"curl/8.5.0" not in stored


def rows_in(config: Config, sql: str) -> Any:
    conn = sqlite3.connect(config.database_path)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()
