"""`almanac serve` as a real process: sign-in over HTTP, online backup, graceful stop, restart."""

from __future__ import annotations

import shlex
import signal
import sqlite3
import subprocess
import threading
import time
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from appliance import __version__
from appliance.cli import main
from tests.process.conftest import Serve, Server, almanac_command, clean_environment

pytestmark = pytest.mark.process

ADMIN = {"ALMANAC_ADMIN_EMAIL": "root@example.com", "ALMANAC_ADMIN_PASSWORD": "a-long-password"}


def sign_in(
    server: Server, email: str = "root@example.com", password: str = "a-long-password"
) -> dict[str, str]:
    response = server.client.post("/api/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def site_domains(server: Server, headers: dict[str, str]) -> tuple[list[str], list[str]]:
    api = server.client.get("/api/sites", headers=headers)
    analytics = server.client.get("/analytics/websites", headers=headers)
    assert (api.status_code, analytics.status_code) == (200, 200)
    return [s["domain"] for s in api.json()["sites"]], [w["host"] for w in analytics.json()["data"]]


class SiteWriter(threading.Thread):
    """Creates sites one after another over HTTP until stopped; remembers what was acknowledged."""

    def __init__(self, server: Server, headers: dict[str, str]) -> None:
        super().__init__(daemon=True)
        self.url = server.url
        self.headers = headers
        self.acknowledged: list[str] = []
        self.errors: list[str] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=self.url, headers=self.headers, timeout=10) as client:
            n = 0
            while not self.stopping.is_set():
                n += 1
                domain = f"load-{n}.example.com"
                response = client.post("/api/sites", json={"name": domain, "domain": domain})
                if response.status_code == 201:
                    self.acknowledged.append(domain)
                else:
                    self.errors.append(response.text)


def test_serve_sign_in_backup_stop_and_restart(serve: Serve, tmp_path: Path) -> None:
    server = serve(env=ADMIN)
    health = server.client.get("/healthz")
    assert (health.status_code, health.json()) == (
        200,
        {"status": "ok", "version": __version__, "database": "ok"},
    )
    headers = sign_in(server)

    created = server.client.post(
        "/api/sites", json={"name": "Example", "domain": "example.com"}, headers=headers
    )
    assert created.status_code == 201, created.text
    assert site_domains(server, headers) == (["example.com"], ["example.com"])

    # An online backup while the server is busy writing.
    writer = SiteWriter(server, headers)
    writer.start()
    try:
        while len(writer.acknowledged) < 5 and writer.is_alive():
            time.sleep(0.01)
        before = len(writer.acknowledged)
        dest = tmp_path / "backup.db"
        backup = subprocess.run(
            almanac_command("backup", str(dest), "--data-dir", str(server.data_dir)),
            env=clean_environment(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        after_backup = len(writer.acknowledged)
        while len(writer.acknowledged) < after_backup + 5 and writer.is_alive():
            time.sleep(0.01)
    finally:
        writer.stopping.set()
        writer.join(30)
    assert writer.errors == []
    assert (backup.returncode, backup.stdout, backup.stderr) == (0, f"backup written to {dest}\n", "")
    with closing(sqlite3.connect(dest)) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        domains = [r[0] for r in copy.execute("SELECT domain FROM sites ORDER BY id")]
        owners = copy.execute("SELECT count(*) FROM memberships WHERE role = 'owner'").fetchone()[0]
    # One consistent snapshot: a prefix of the acknowledged writes, each site with its owner.
    assert 1 + before <= len(domains) <= 1 + len(writer.acknowledged)
    assert domains == ["example.com", *writer.acknowledged[: len(domains) - 1]]
    assert owners == len(domains)

    # A graceful stop, then everything acknowledged is still there after a restart.
    assert server.stop(signal.SIGTERM) == 0
    wal = server.data_dir / "almanac.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0, "the WAL was not checkpointed at stop"
    again = serve(data_dir=server.data_dir, env=ADMIN)
    headers = sign_in(again)
    expected = ["example.com", *writer.acknowledged]
    assert site_domains(again, headers) == (expected, expected)
    assert again.stop(signal.SIGTERM) == 0
    assert "Traceback" not in server.logs() + again.logs()


def test_first_start_without_an_admin_prints_the_command(serve: Serve) -> None:
    server = serve()
    assert server.stop(signal.SIGINT) == 0
    command = f"almanac user create --email you@example.com --password 'a-long-password' --admin --data-dir {server.data_dir}"

    assert (
        "No user exists yet. Create the first admin with:\n"
        f"  {command}\n"
        "or start with ALMANAC_ADMIN_EMAIL and ALMANAC_ADMIN_PASSWORD set.\n"
    ) in server.logs()

    # The printed command works as printed; with a user, the next start prints nothing.
    assert main(shlex.split(command)[1:]) == 0
    again = serve(data_dir=server.data_dir)
    sign_in(again, "you@example.com", "a-long-password")
    assert again.stop() == 0
    assert "No user exists yet" not in again.logs()
