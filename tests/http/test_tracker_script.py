from __future__ import annotations

import gzip
from typing import Any

import pytest
from litestar.testing import TestClient

from appliance.http.tracker_scripts import TRACKER_DIR

SCRIPTS = {"analytics.js": 1000, "analytics-extras.js": 600}  # gzip -9 budgets, as in the web build


@pytest.fixture(autouse=True)
def built() -> None:
    missing = [name for name in SCRIPTS if not (TRACKER_DIR / name).is_file()]
    assert not missing, f"{missing} not built in {TRACKER_DIR}: run `make web`"


@pytest.mark.parametrize("name", SCRIPTS)
def test_tracker_scripts_are_served_with_a_short_cache(client: TestClient[Any], name: str) -> None:
    response = client.get(f"/js/{name}")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cache-control"] == "max-age=3600, public"
    # The core loads the extras with a cross-origin import(), a CORS request.
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.content == (TRACKER_DIR / name).read_bytes()


@pytest.mark.parametrize(("name", "budget"), SCRIPTS.items())
def test_tracker_scripts_are_within_budget(name: str, budget: int) -> None:
    code = (TRACKER_DIR / name).read_bytes()

    assert len(gzip.compress(code, compresslevel=9)) <= budget
    assert b"sourceMappingURL" not in code


def test_the_tracker_talks_to_the_appliance_that_served_it() -> None:
    code = (TRACKER_DIR / "analytics.js").read_text()

    assert "currentScript" in code
    assert "/analytics/" in code
    assert "../js/analytics-extras.js" in code
    assert "document.cookie" not in code


def test_unknown_scripts_are_not_found(client: TestClient[Any]) -> None:
    assert client.get("/js/nope.js").status_code == 404
