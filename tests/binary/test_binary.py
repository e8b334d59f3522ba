"""Smoke test of the single executable: one appliance, started once, walked through as a user would.

The tests run in file order against one running binary (the `appliance` fixture); each step uses
what the one before it made (`appliance.state`).
"""

from __future__ import annotations

import signal
import sqlite3
import time
from pathlib import Path

import pytest

from tests.binary.running import (
    BINARY,
    FIGURES,
    MAX_IDLE_RSS_MB,
    MAX_SIZE_MB,
    MAX_START_SECONDS,
    ROOT,
    Appliance,
    rss_mb,
    run_cli,
)

pytestmark = pytest.mark.binary

EMAIL, PASSWORD = "admin@example.com", "smoke-test-password"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"


def test_size_within_budget() -> None:
    size_mb = BINARY.stat().st_size / 1024 / 1024
    FIGURES["size"] = f"{size_mb:.1f} MB (budget {MAX_SIZE_MB} MB)"
    assert size_mb <= MAX_SIZE_MB


def test_version_and_check_need_nothing_from_the_environment(tmp_path: Path) -> None:
    assert run_cli("version").stdout.startswith("almanac ")
    checked = run_cli("check", "--data-dir", str(tmp_path / "none")).stdout
    assert "database: none yet" in checked


def test_starts_within_budget(appliance: Appliance) -> None:
    FIGURES["start to first 200 on /healthz"] = f"{appliance.started_in:.2f} s (budget {MAX_START_SECONDS} s)"
    assert appliance.started_in <= MAX_START_SECONDS


def test_serves_dashboard_docs_and_tracker(appliance: Appliance) -> None:
    with appliance.client() as client:
        assert client.get("/healthz").json() == {"status": "ok", "version": _version(), "database": "ok"}
        assert "<html" in client.get("/").text.lower()
        assert client.get("/docs").status_code == 200
        assert "/api/sites" in client.get("/docs/openapi.json").json()["paths"]
        assert client.get("/docs/assets/swagger-ui-bundle.js").status_code == 200
        if (ROOT / "appliance" / "static" / "js" / "analytics.js").exists():
            assert client.get("/js/analytics.js").status_code == 200


def test_admin_from_the_cli_logs_in_and_creates_a_site(appliance: Appliance) -> None:
    created = run_cli(
        "user", "create", "--data-dir", str(appliance.data_dir), "--email", EMAIL, "--password", PASSWORD
    )
    assert "(admin)" in created.stdout
    with appliance.client() as client:
        login = client.post("/api/login", json={"email": EMAIL, "password": PASSWORD})
        assert login.status_code == 200, login.text
        token = login.json()["token"]
        site = client.post(
            "/api/sites",
            json={"domain": "smoke.example.com", "name": "Smoke"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert site.status_code == 201, site.text
    appliance.state.update(token=token, site=site.json()["site"])


def test_tracks_a_pageview(appliance: Appliance) -> None:
    with appliance.client() as client:
        tracked = client.post(
            "/analytics/track",
            json={
                "key": appliance.state["site"]["sid"],
                "type": "pageview",
                "path": "/smoke",
                "title": "Smoke",
            },
            headers={
                "User-Agent": BROWSER,
                "Accept-Language": "en-GB",
                "Origin": "https://smoke.example.com",
            },
        )
    assert tracked.status_code == 200, tracked.text
    assert tracked.json()["ok"] is True
    appliance.state["tracked"] = True


def test_reads_the_pageview_back(appliance: Appliance) -> None:
    site_id, token = appliance.state["site"]["id"], appliance.state["token"]
    with appliance.client(headers={"Authorization": f"Bearer {token}"}) as client:
        overview = client.get(f"/api/sites/{site_id}/analytics/overview", params={"period": "today"})
    assert overview.status_code == 200, overview.text
    assert overview.json()["data"]["pageviews"] == 1


def test_idle_memory_within_budget(appliance: Appliance) -> None:
    time.sleep(1)  # let the requests above settle
    server, bootloader = rss_mb(appliance.server_pid()), rss_mb(appliance.process.pid)
    FIGURES["idle RSS"] = (
        f"{server:.0f} MB serving process + {bootloader:.0f} MB one-file bootloader "
        f"(budget {MAX_IDLE_RSS_MB} MB for the serving process)"
    )
    assert server < MAX_IDLE_RSS_MB


def test_backup_while_serving(appliance: Appliance, tmp_path: Path) -> None:
    folder = tmp_path / "backups"  # missing: the trailing slash asks for it as a folder
    made = run_cli("backup", "--data-dir", str(appliance.data_dir), f"{folder}/")
    (backup,) = folder.glob("almanac-*.db")
    assert str(backup) in made.stdout
    conn = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT email FROM users").fetchall() == [(EMAIL,)]
        assert conn.execute("SELECT domain FROM sites").fetchall() == [("smoke.example.com",)]
        if appliance.state.get("tracked"):
            assert conn.execute("SELECT count(*) FROM events").fetchone() == (1,)
    finally:
        conn.close()


def test_sigterm_stops_with_exit_code_0(appliance: Appliance) -> None:
    server = appliance.server_pid()
    appliance.process.send_signal(signal.SIGTERM)
    assert appliance.process.wait(timeout=15) == 0, appliance.output()
    assert not Path(f"/proc/{server}").exists()
    checked = run_cli("check", "--data-dir", str(appliance.data_dir)).stdout
    assert "integrity: ok" in checked and "0 pending" in checked


def _version() -> str:
    return run_cli("version").stdout.split()[-1]
