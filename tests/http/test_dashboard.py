"""The dashboard's static serving: index.html for client-side routes, hashed assets cached for a year.

A small fake build stands in for web/'s output, so these tests need no `npm run build`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from appliance.config import Config
from appliance.http import dashboard
from appliance.server import create_app

INDEX_HTML = "<!doctype html><title>Almanac</title><script type=module src=/assets/index-AbC123.js></script>"
SCRIPT = "console.log('dashboard')"


@pytest.fixture
def built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    static = tmp_path / "static"
    (static / "assets").mkdir(parents=True)
    (static / "index.html").write_text(INDEX_HTML)
    (static / "assets" / "index-AbC123.js").write_text(SCRIPT)
    (tmp_path / "secret.txt").write_text("outside the build")
    monkeypatch.setattr(dashboard, "STATIC_DIR", static)
    monkeypatch.setattr(dashboard, "INDEX", static / "index.html")
    monkeypatch.setattr(dashboard, "ASSETS_DIR", static / "assets")
    return static


@pytest.fixture
def app(built: Path, config: Config) -> Iterator[TestClient[Any]]:
    with TestClient(create_app(config)) as test_client:
        yield test_client


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/index.html",
        "/login",
        "/sites",
        "/sites/3?period=custom&start_date=2026-01-01&end_date=2026-01-31&filters=page%3D%3D%2Fpricing",
        "/sites/3/realtime",
        "/sites/3/settings",
        "/sites/3/team",
        "/sites/3/goals",
        "/account/tokens",
        "/invitations/AbCdEf_123-xyz",
    ],
)
def test_client_side_routes_answer_the_app_revalidated_on_every_load(app: TestClient[Any], path: str) -> None:
    response = app.get(path)

    assert response.status_code == 200
    assert response.text == INDEX_HTML
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "script-src 'self';" in response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_the_app_page_can_be_revalidated_cheaply(app: TestClient[Any]) -> None:
    first = app.get("/sites")
    etag = first.headers["etag"]

    again = app.get("/sites/1", headers={"If-None-Match": etag})

    assert (again.status_code, again.text) in {(304, ""), (200, INDEX_HTML)}
    assert again.headers["etag"] == etag


def test_hashed_assets_are_cached_for_a_year(app: TestClient[Any]) -> None:
    response = app.get("/assets/index-AbC123.js")

    assert response.status_code == 200
    assert response.text == SCRIPT
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["content-type"].startswith("text/javascript")


@pytest.mark.parametrize(
    "path",
    [
        "/no-such-page",
        "/sitesx",
        "/assets/missing-123.js",
        "/assets/../secret.txt",
        "/assets/%2e%2e/secret.txt",
        "/api/no-such-route",
    ],
)
def test_other_paths_are_json_404s(app: TestClient[Any], path: str) -> None:
    response = app.get(path)

    assert (response.status_code, response.json()) == (404, {"message": "Not found."})
    assert "immutable" not in response.headers.get("cache-control", "")


def test_writes_to_client_routes_are_refused(app: TestClient[Any]) -> None:
    response = app.post("/sites/1", json={})

    assert (response.status_code, response.json()) == (405, {"message": "Method not allowed."})


def test_without_a_build_the_api_still_serves(
    tmp_path: Path, config: Config, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(dashboard, "INDEX", tmp_path / "nothing" / "index.html")

    with TestClient(create_app(config)) as client:
        assert client.get("/").status_code == 404
        assert client.get("/healthz").status_code == 200
    assert "no dashboard build" in caplog.text
