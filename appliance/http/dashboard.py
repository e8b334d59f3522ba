"""The browser dashboard: the single-page app that web/ builds into `appliance/static/`.

`index.html` answers `/` and every client-side route (web/src/routes.ts), so a bookmarked or
reloaded `/sites/3?period=7d` works; it is revalidated on every load (`no-cache`), so a new
release is picked up at once. Its scripts and styles live in `/assets/` under content-hashed
names, so they are cached for a year and never revalidated. Other paths keep their JSON 404.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from litestar import Response, Router, get
from litestar.handlers import HTTPRouteHandler
from litestar.response import File
from litestar.static_files import create_static_files_router

log = logging.getLogger("almanac")

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
INDEX = STATIC_DIR / "index.html"
ASSETS_DIR = STATIC_DIR / "assets"

# The first path segments of the dashboard's client-side routes (web/src/routes.ts).
CLIENT_ROUTES = ("login", "sites", "account", "invitations")
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# The dashboard loads only its own scripts, styles and the API of its own origin: an injected
# string that slipped past escaping still could not run, load or send anything.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Cache-Control": REVALIDATE,
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def _index_paths() -> list[str]:
    paths = ["/", "/index.html"]
    for route in CLIENT_ROUTES:
        paths += [f"/{route}", f"/{route}/{{rest:path}}"]
    return paths


@get(_index_paths(), include_in_schema=False, name="dashboard")
async def index() -> File:
    """The app's one page, for whichever client-side route the browser asked for."""
    return File(INDEX, content_disposition_type="inline", media_type="text/html", headers=PAGE_HEADERS)


async def _immutable(response: Response[Any]) -> Response[Any]:
    response.headers["Cache-Control"] = IMMUTABLE
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def dashboard_routes() -> list[HTTPRouteHandler | Router]:
    """The dashboard's routes, or none (with a warning) when web/ has not been built."""
    if not INDEX.is_file():
        log.warning("no dashboard build in %s: run `make web`", STATIC_DIR)
        return []
    assets = create_static_files_router(
        path="/assets",
        directories=[ASSETS_DIR],
        name="dashboard-assets",
        after_request=_immutable,
        include_in_schema=False,
    )
    return [index, assets]
