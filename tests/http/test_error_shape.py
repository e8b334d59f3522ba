"""Every error status of both surfaces, pinned in one place (STYLE rule 8).

`/api` (spec 000) answers `{"message"}`, plus `"errors"` on 422. `/analytics` (spec 004)
answers `{"ok": false, "error", "code"}`, with 400 VALIDATION_ERROR for invalid input.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from appliance.sites import sites
from tests.support import Env, Matches

REQUEST_ID = Matches(r"[0-9a-f]{32}")


async def broken(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("database password is hunter2")


def test_every_error_status_of_both_surfaces(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    owner = env.user("owner@example.com")
    viewer = env.user("viewer@example.com")
    site = env.site(owner)
    env.member(site["id"], viewer, "viewer")
    as_viewer = env.headers(viewer)
    as_owner = env.headers(owner)
    too_large = b'{"name": "' + b"x" * 64 * 1024 + b'"}'

    def requests(collection: str) -> dict[Any, httpx.Response]:
        """The same failing requests against one surface's site collection."""
        responses = {
            401: env.client.get(collection),
            403: env.client.put(f"{collection}/{site['id']}", json={"name": "x"}, headers=as_viewer),
            "404 route": env.client.get(f"{collection}/{site['id']}/no-such-thing", headers=as_owner),
            "404 site": env.client.get(f"{collection}/999999", headers=as_owner),
            405: env.client.patch(collection, json={}, headers=as_owner),
            "invalid": env.client.post(collection, json={"name": "x"}, headers=as_owner),
            413: env.client.post(
                collection, content=too_large, headers=as_owner | {"Content-Type": "application/json"}
            ),
        }
        with monkeypatch.context() as patch:
            patch.setattr(sites, "sites_for", broken)
            responses[500] = env.client.get(collection, headers=as_owner)
        assert responses[500].headers["x-request-id"] == REQUEST_ID
        return responses

    def shapes(responses: dict[Any, httpx.Response]) -> dict[Any, tuple[int, Any]]:
        return {key: (r.status_code, r.json()) for key, r in responses.items()}

    api = shapes(requests("/api/sites"))
    analytics = shapes(requests("/analytics/websites"))

    assert api == {
        401: (401, {"message": "Unauthenticated."}),
        403: (403, {"message": "This action needs the admin role on this site."}),
        "404 route": (404, {"message": "Not found."}),
        "404 site": (404, {"message": "Site not found."}),
        405: (405, {"message": "Method not allowed."}),
        "invalid": (
            422,
            {
                "message": "The given data was invalid.",
                "errors": {"domain": ["The domain field is required."]},
            },
        ),
        413: (413, {"message": "The request body is too large."}),
        500: (500, {"message": "Server Error."}),
    }
    assert analytics == {
        401: (401, {"ok": False, "error": "Unauthenticated.", "code": "UNAUTHENTICATED"}),
        403: (
            403,
            {"ok": False, "error": "This action needs the admin role on this site.", "code": "FORBIDDEN"},
        ),
        "404 route": (404, {"ok": False, "error": "Not found.", "code": "NOT_FOUND"}),
        "404 site": (404, {"ok": False, "error": "Site not found.", "code": "NOT_FOUND"}),
        405: (405, {"ok": False, "error": "Method not allowed.", "code": "METHOD_NOT_ALLOWED"}),
        "invalid": (400, {"ok": False, "error": "The host field is required.", "code": "VALIDATION_ERROR"}),
        413: (413, {"ok": False, "error": "The request body is too large.", "code": "PAYLOAD_TOO_LARGE"}),
        500: (500, {"ok": False, "error": "Server Error.", "code": "SERVER_ERROR"}),
    }


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api", {"message": "Not found."}),
        ("/api/sites/not-a-number", {"message": "Not found."}),
        ("/analytics", {"ok": False, "error": "Not found.", "code": "NOT_FOUND"}),
        ("/analytics/websites/not-a-number", {"ok": False, "error": "Not found.", "code": "NOT_FOUND"}),
        # Outside both surfaces (the dashboard's paths), a JSON 404 takes the /api shape.
        ("/no-such-page", {"message": "Not found."}),
    ],
)
def test_unknown_paths_answer_404_in_their_surfaces_format(env: Env, path: str, body: dict[str, Any]) -> None:
    response = env.client.get(path)

    assert (response.status_code, response.json()) == (404, body)


def test_unexpected_errors_are_500_with_a_request_id_and_no_traceback(
    env: Env, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "database password is hunter2"
    monkeypatch.setattr(sites, "sites_for", broken)
    headers = env.headers(env.user("ada@example.com"))

    with caplog.at_level(logging.ERROR, logger="almanac.http"):
        api = env.client.get("/api/sites", headers=headers)
        analytics = env.client.get("/analytics/websites", headers=headers)

    assert (api.status_code, api.json()) == (500, {"message": "Server Error."})
    assert (analytics.status_code, analytics.json()) == (
        500,
        {"ok": False, "error": "Server Error.", "code": "SERVER_ERROR"},
    )
    for response in (api, analytics):
        assert response.headers["x-request-id"] == REQUEST_ID
        assert secret not in response.text
        assert "Traceback" not in response.text and "RuntimeError" not in response.text
    # The log has what the client does not: the request id, the path, and the traceback.
    logged = {r.getMessage(): r for r in caplog.records if r.name == "almanac.http"}
    for response, path in ((api, "/api/sites"), (analytics, "/analytics/websites")):
        record = logged[f"unexpected error {response.headers['x-request-id']} on GET {path}"]
        assert record.exc_info is not None and str(record.exc_info[1]) == secret


def test_every_status_of_a_surface_is_json(env: Env) -> None:
    for path in ("/api/sites", "/analytics/websites", "/api/nowhere", "/analytics/nowhere"):
        response = env.client.get(path)
        assert response.headers["content-type"] == "application/json", path
