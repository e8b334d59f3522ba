"""The tracker scripts at `/js/`: `analytics.js` and its opt-in `analytics-extras.js`.

web/ builds them (scripts/build-tracker.mjs) into `appliance/static/js/`. Sites embed these URLs as
they are, unhashed, so they are cached only briefly: a new release reaches every site within the hour.
The core loads the extras with a cross-origin `import()`, which is a CORS request, hence the open
`Access-Control-Allow-Origin` (harmless on public scripts).
"""

from __future__ import annotations

from pathlib import Path

from litestar import Response, Router
from litestar.datastructures import CacheControlHeader
from litestar.static_files import create_static_files_router

TRACKER_DIR = Path(__file__).resolve().parent.parent / "static" / "js"
CACHE_SECONDS = 3600


async def _shareable(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def tracker_router() -> Router:
    """The router for `/js/*` (404 for anything that the web build did not produce)."""
    return create_static_files_router(
        path="/js",
        directories=[TRACKER_DIR],
        name="tracker",
        cache_control=CacheControlHeader(public=True, max_age=CACHE_SECONDS),
        after_request=_shareable,
        include_in_schema=False,
    )
