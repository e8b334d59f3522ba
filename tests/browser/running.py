"""What the browser tests run against: a real `almanac serve`, fixture pages on their own server, and
a record of what the browser sent to the tracking routes."""

from __future__ import annotations

import json
import secrets
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Request

from tests.process.conftest import Server, almanac_command, clean_environment, free_port

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "correct horse battery"


def wait_until(probe: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Poll `probe` until it answers something truthy; return that, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def cli(data_dir: Path, *args: str) -> str:
    """Run `almanac ARGS --data-dir DATA_DIR`; answers its stdout."""
    done = subprocess.run(
        almanac_command(*args, "--data-dir", str(data_dir)),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=clean_environment(),
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@dataclass
class Almanac:
    """A running `almanac serve` (tests/process's Server) with an admin's API token, and read-only
    access to its database."""

    server: Server
    token: str

    @classmethod
    def start(cls, home: Path, settings: dict[str, str]) -> Almanac:
        """Create an admin and a token in a fresh data dir, then serve it on a free port with the
        given ALMANAC_* settings (and none from the test run's environment). Like tests/process's
        `serve` fixture, but for a whole session of browser tests."""
        data_dir, port, log_path = home / "data", free_port(), home / "serve.log"
        cli(data_dir, "user", "create", "--email", ADMIN_EMAIL, "--password", ADMIN_PASSWORD, "--admin")
        token = cli(data_dir, "token", "create", "--email", ADMIN_EMAIL).split()[-1]
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                almanac_command("serve", "--port", str(port), "--data-dir", str(data_dir)),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=clean_environment(settings),
            )
        server = Server(process=process, port=port, data_dir=data_dir, log_path=log_path)
        try:
            server.wait_healthy()
        except BaseException:
            process.kill()
            process.wait()
            raise
        return cls(server=server, token=token)

    @property
    def url(self) -> str:
        return self.server.url

    def stop(self) -> int:
        return self.server.stop()

    def site(self, domain: str) -> tuple[int, str]:
        """A new site for `domain`: its id and pixel key."""
        response = self.server.client.post(
            "/api/sites",
            json={"domain": domain, "name": domain},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        assert response.status_code == 201, response.text
        site = response.json()["site"]
        return site["id"], site["sid"]

    def rows(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        conn = sqlite3.connect(f"file:{self.server.data_dir / 'almanac.db'}?mode=ro", uri=True)
        conn.row_factory = sqlite3.Row
        try:
            return [dict(row) for row in conn.execute(sql, params)]
        finally:
            conn.close()

    def events(self, site_id: int, count: int | None = None, timeout: float = 10.0) -> list[dict[str, Any]]:
        """The site's events in order; with `count`, first waits until there are that many."""

        def probe() -> list[dict[str, Any]]:
            return self.rows("SELECT * FROM events WHERE site_id = ? ORDER BY id", site_id)

        if count is None:
            return probe()
        found: list[dict[str, Any]] = wait_until(
            lambda: (rows := probe()) and len(rows) >= count and rows,
            timeout,
            f"{count} events of site {site_id}",
        )
        return found

    def sessions(self, site_id: int) -> list[dict[str, Any]]:
        return self.rows("SELECT * FROM sessions WHERE site_id = ? ORDER BY id", site_id)


class Pages:
    """Fixture pages on their own little server. `add(html)` answers a path prefix under which every
    path serves that page (tests navigate, pushState and use hostile paths); any other path answers
    a plain page, as another site would."""

    OTHER = b"<!doctype html><meta charset=utf-8><link rel=icon href='data:,'><title>Elsewhere</title>"

    def __init__(self) -> None:
        self.html: dict[str, str] = {}
        pages = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = self.path.split("/")
                found = pages.html.get(parts[2]) if len(parts) > 2 and parts[1] == "p" else None
                body = found.encode() if found is not None else pages.OTHER
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def add(self, html: str) -> str:
        """Register a page; answers the path prefix that serves it."""
        token = secrets.token_hex(6)
        self.html[token] = html
        return f"/p/{token}"

    def url(self, host: str, path: str) -> str:
        return f"http://{host}:{self.port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _nothing() -> None:
    pass


@dataclass
class Sent:
    """What the browser sent to the appliance's tracking routes, in order: (route, JSON body).

    Playwright's sync API delivers events only while a call of its own runs: `pump` makes one (the
    page fixture sets it), so that what the browser reported before now has been recorded.
    """

    prefix: str
    requests: list[tuple[str, Any]] = field(default_factory=list)
    pump: Callable[[], None] = _nothing

    def record(self, request: Request) -> None:
        if request.url.startswith(self.prefix):
            body = request.post_data
            self.requests.append((request.url[len(self.prefix) :], json.loads(body) if body else None))

    def bodies(self, route: str) -> list[Any]:
        self.pump()
        return [body for sent_route, body in self.requests if sent_route == route]


def tracker_page(
    almanac: Almanac,
    key: str,
    *,
    attributes: str = "",
    title: str = "Fixture page",
    head: str = "",
    body: str = "",
) -> str:
    """A page that embeds the tracker as docs/TRACKER.md tells sites to."""
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8><link rel=icon href='data:,'>"
        f"<title>{title}</title>{head}"
        f'<script defer data-key="{key}" {attributes} src="{almanac.url}/js/analytics.js"></script>'
        f"</head><body>{body}</body></html>"
    )
