"""Tracking against a real `almanac serve`: acknowledged hits survive SIGKILL; the Python client works."""

from __future__ import annotations

import signal
import sqlite3
import threading
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from appliance.client import TrackingError, Visit, Website, track
from tests.process.conftest import Serve, Server

pytestmark = pytest.mark.process

ADMIN = {
    "ALMANAC_ADMIN_EMAIL": "root@example.com",
    "ALMANAC_ADMIN_PASSWORD": "a-long-password",
    "ALMANAC_SERVER_TRUSTED_PROXIES": "127.0.0.1",  # lets the clients below be many visitors
    "ALMANAC_RATE_LIMITS_TRACKING_PER_MINUTE": "0",
}
CLIENTS = 16
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)


def admin_token(server: Server) -> str:
    response = server.client.post(
        "/api/login", json={"email": "root@example.com", "password": "a-long-password"}
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token


def new_site(server: Server, token: str) -> str:
    response = server.client.post(
        "/api/sites",
        json={"name": "Shop", "domain": "shop.example.com"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.text
    key: str = response.json()["site"]["sid"]
    return key


class Visitors(threading.Thread):
    """One client sending pageviews and events as many visitors; keeps what was acknowledged."""

    def __init__(self, url: str, key: str, number: int) -> None:
        super().__init__(daemon=True)
        self.url, self.key, self.number = url, key, number
        self.acknowledged: list[dict[str, Any]] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=10) as client:
            n = 0
            while not self.stopping.is_set():
                n += 1
                visitor = n % 7
                headers = {
                    "User-Agent": CHROME,
                    "X-Forwarded-For": f"81.{self.number}.{visitor}.{n % 3 + 1}",
                    "Content-Type": "text/plain",
                }
                if n % 4 == 0:
                    route, body = (
                        "/analytics/event",
                        {"key": self.key, "name": "Click", "properties": {"n": n}},
                    )
                else:
                    route, body = (
                        "/analytics/track",
                        {"key": self.key, "path": f"/page/{n % 11}", "title": "T"},
                    )
                try:
                    response = client.post(route, json=body, headers=headers)
                except httpx.TransportError:
                    return  # the server is gone
                if response.status_code == 200:
                    self.acknowledged.append(response.json())


def test_every_acknowledged_hit_survives_a_kill_mid_load(serve: Serve, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    server = serve(data_dir=data_dir, env=ADMIN)
    key = new_site(server, admin_token(server))
    clients = [Visitors(server.url, key, n) for n in range(CLIENTS)]
    for client in clients:
        client.start()

    deadline = time.monotonic() + 20
    while sum(len(c.acknowledged) for c in clients) < 600 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.stop(signal.SIGKILL)
    for client in clients:
        client.stopping.set()
        client.join(10)

    acknowledged = [a for c in clients for a in c.acknowledged]
    assert len(acknowledged) >= 600
    assert all(a["ok"] is True and isinstance(a["event_id"], int) for a in acknowledged)

    restarted = serve(data_dir=data_dir, env=ADMIN)
    with closing(sqlite3.connect(data_dir / "almanac.db")) as conn:
        stored = {row[0] for row in conn.execute("SELECT id FROM events")}
        orphans = conn.execute(
            "SELECT count(*) FROM events e LEFT JOIN sessions s ON s.id = e.session_id WHERE s.id IS NULL"
        ).fetchone()[0]
        miscounted = conn.execute(
            "SELECT count(*) FROM sessions s WHERE pageviews + events < "
            "(SELECT count(*) FROM events e WHERE e.session_id = s.id)"
        ).fetchone()[0]
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    missing = {a["event_id"] for a in acknowledged} - stored
    assert missing == set()
    assert (orphans, miscounted, integrity) == (0, 0, "ok")

    # The restarted server goes on: its ids follow, and its open visits are the same visits.
    last = acknowledged[-1]
    beat = restarted.client.post(
        "/analytics/heartbeat",
        json={"event_id": last["event_id"], "session_id": last["session_id"], "time_on_page": 3},
    )
    assert beat.status_code in (200, 404)  # 404 when that event was an older page of its visit
    after = restarted.client.post(
        "/analytics/track",
        json={"key": key, "path": "/after"},
        headers={"User-Agent": CHROME, "X-Forwarded-For": "81.0.0.1"},
    )
    assert after.status_code == 200
    assert after.json()["event_id"] > max(stored)
    assert restarted.stop() == 0


def test_the_python_client_tracks_server_side(serve: Serve, tmp_path: Path) -> None:
    server = serve(env=ADMIN)
    token = admin_token(server)
    key = new_site(server, token)
    when = datetime(2024, 1, 15, 10, 30, tzinfo=UTC)

    backend = track(
        Website(server.url, key, token=token),
        {
            "type": "pageview",
            "path": "/api/endpoint",
            "visitor_id": "from-header",
            "timestamp": when.isoformat(),
        },
        Visit(ip="8.8.8.8", user_agent=CHROME),
    )
    anonymous = track(Website(server.url, key), {"type": "event", "name": "Cron", "path": "/jobs"})
    with pytest.raises(TrackingError) as refused:
        track(Website(server.url, key), {"path": "/"}, Visit(ip="8.8.8.8"))
    with pytest.raises(TrackingError) as unknown:
        track(Website(server.url, "no-such-key"), {"path": "/"})

    assert backend.event_id == 1 and backend.visitor_id == "from-header" and backend.session_id
    assert anonymous.event_id == 2 and anonymous.visitor_id and anonymous.session_id
    assert (refused.value.status, refused.value.code) == (403, "FORBIDDEN")
    assert (unknown.value.status, unknown.value.code, unknown.value.message) == (
        404,
        "NOT_FOUND",
        "Website not found.",
    )
    assert server.stop() == 0
    with closing(sqlite3.connect(server.data_dir / "almanac.db")) as conn:
        assert conn.execute(
            "SELECT id, ts, kind, name, path, country, browser FROM events ORDER BY id"
        ).fetchall() == [
            (1, int(when.timestamp() * 1000), 0, None, "/api/endpoint", "US", "Chrome"),
            (
                2,
                conn.execute("SELECT ts FROM events WHERE id = 2").fetchone()[0],
                1,
                "Cron",
                "/jobs",
                None,
                None,
            ),
        ]
