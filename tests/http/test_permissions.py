"""Who may do what on a site, for every site-scoped route on both surfaces.

A new site-scoped route adds one line to ROUTES. Roles rank viewer < admin < owner; a server
admin acts as owner everywhere; a site the caller cannot see is 404, not 403; no credentials
is 401.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

import pytest
from litestar.routes import HTTPRoute

from appliance.server import create_app
from appliance.sites.models import RANK
from tests.support import Env
from tests.support import test_config as config_on


class Route(NamedTuple):
    method: str
    path: str  # with {id} for the site
    role: str  # the least role that may call it
    status: int  # the answer when allowed
    body: dict[str, Any] | None = None


ROUTES = [
    Route("GET", "/api/sites/{id}", "viewer", 200),
    Route("PUT", "/api/sites/{id}", "admin", 200, {"name": "Renamed"}),
    Route("DELETE", "/api/sites/{id}", "owner", 204),
    Route("GET", "/analytics/websites/{id}", "viewer", 200),
    Route("PUT", "/analytics/websites/{id}", "admin", 200, {"name": "Renamed"}),
    Route("DELETE", "/analytics/websites/{id}", "owner", 200),
    *(
        Route("GET", f"/api/sites/{{id}}/analytics/{name}", "viewer", 200)
        for name in (
            "overview",
            "pageviews",
            "referrers",
            "locations",
            "utm-sources",
            "events",
            "realtime",
            "timeseries",
            "browsers",
            "operating-systems",
            "devices",
            "entry-pages",
            "exit-pages",
            "screen-sizes",
            "languages",
            "regions",
            "cities",
        )
    ),
    *(
        Route("GET", f"/analytics/websites/{{id}}/{name}", "viewer", 200)
        for name in ("stats", "timeseries", "realtime")
    ),
]

CALLERS = ["owner", "admin", "viewer", "non-member", "anonymous", "server admin"]


def expected_status(route: Route, caller: str) -> int:
    if caller == "anonymous":
        return 401
    if caller == "non-member":
        return 404
    role = "owner" if caller == "server admin" else caller
    return route.status if RANK[role] >= RANK[route.role] else 403


def expected_error(route: Route, status: int) -> dict[str, Any]:
    message = {
        401: "Unauthenticated.",
        403: f"This action needs the {route.role} role on this site.",
        404: "Site not found.",
    }[status]
    if route.path.startswith("/analytics"):
        code = {401: "UNAUTHENTICATED", 403: "FORBIDDEN", 404: "NOT_FOUND"}[status]
        return {"ok": False, "error": message, "code": code}
    return {"message": message}


def call(env: Env, route: Route, site_id: int, headers: dict[str, str]) -> tuple[int, Any]:
    response = env.client.request(
        route.method, route.path.format(id=site_id), json=route.body, headers=headers
    )
    return response.status_code, (response.json() if response.status_code >= 400 else None)


def site_state(env: Env, site_id: int) -> str | None:
    """The site's name, or None once it is deleted: what a call changed."""
    row = env.conn.execute("SELECT name FROM sites WHERE id = ?", (site_id,)).fetchone()
    return row[0] if row else None


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_permission_matrix(env: Env, route: Route) -> None:
    owner = env.user("owner@example.com")
    people = {
        "owner": owner,
        "admin": env.user("admin@example.com"),
        "viewer": env.user("viewer@example.com"),
        "non-member": env.user("stranger@example.com"),
        "server admin": env.user("root@example.com", admin=True),
    }
    actual: dict[str, tuple[int, Any, str | None]] = {}
    expected: dict[str, tuple[int, Any, str | None]] = {}
    for caller in CALLERS:
        # A fresh site for each caller: an allowed DELETE must not hide the next caller's answer.
        site = env.site(owner, f"{caller.replace(' ', '-')}.example.com", name="Original")
        env.member(site["id"], people["admin"], "admin")
        env.member(site["id"], people["viewer"], "viewer")
        headers = env.headers(people[caller]) if caller in people else {}

        status, body = call(env, route, site["id"], headers)
        actual[caller] = (status, body, site_state(env, site["id"]))

        want = expected_status(route, caller)
        allowed = want < 400
        after = (
            None
            if allowed and route.method == "DELETE"
            else "Renamed"
            if allowed and route.body
            else "Original"
        )
        expected[caller] = (want, None if allowed else expected_error(route, want), after)

    assert actual == expected


def test_a_missing_site_is_404_even_for_a_server_admin(env: Env) -> None:
    root = env.user("root@example.com", admin=True)

    for route in ROUTES:
        response = env.client.request(
            route.method, route.path.format(id=999), json=route.body, headers=env.headers(root)
        )
        assert (response.status_code, response.json()) == (404, expected_error(route, 404)), route


def test_every_site_scoped_route_names_its_role(tmp_path: Path) -> None:
    app = create_app(config_on(tmp_path / "data"))
    scoped = [
        (method, route.path, handler.opt.get("role"))
        for route in app.routes
        if isinstance(route, HTTPRoute)
        and route.path.startswith(("/api/sites/", "/analytics/websites/"))
        and "{id" in route.path
        for handler in route.route_handlers
        for method in sorted(getattr(handler, "http_methods", ()))
        if method != "OPTIONS"
    ]

    # The routes of the matrix above are among them: the walk sees what it should.
    for row in ROUTES:
        pattern = row.path.replace("{id}", "{id:int}")
        assert any(method == row.method and path == pattern for method, path, _ in scoped), row
    unnamed = [(method, path) for method, path, role in scoped if role not in RANK]
    assert unnamed == [], "site-scoped routes must set opt={'role': 'viewer' | 'admin' | 'owner'}"
