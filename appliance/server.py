"""The Litestar application and the in-process granian server that runs it."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import msgspec
import uvloop
from litestar import Litestar, Router, get
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.static_files import create_static_files_router

from appliance import __version__, bootstrap, tasks
from appliance.config import Config
from appliance.db import Database
from appliance.http import errors
from appliance.http.analytics import tracking
from appliance.http.analytics.goals import GoalsController
from appliance.http.analytics.stats import stats_router
from appliance.http.analytics.websites import WebsitesController
from appliance.http.api.accounts import AccountController
from appliance.http.api.analytics import analytics_router
from appliance.http.api.export import ExportController
from appliance.http.api.goals import SiteGoalsController
from appliance.http.api.sites import SitesController
from appliance.http.api.team import InvitationsController, TeamController
from appliance.http.auth import provide_db
from appliance.http.client_ip import TrustedProxies
from appliance.http.dashboard import dashboard_routes
from appliance.http.ratelimit import RateLimiter
from appliance.http.tracker_scripts import tracker_router
from appliance.ingest.intake import Intake

log = logging.getLogger("almanac")

DOCS_PATH = "/docs"
DOCS_ASSETS = "/docs/assets"
MAX_BODY_BYTES = 64 * 1024
GC_THRESHOLDS = (20_000, 20, 10)


class Health(msgspec.Struct, kw_only=True):
    status: str
    version: str
    database: str


@get("/healthz", summary="Liveness and database status", tags=["Health"])
async def healthz(state: State) -> Health:
    db: Database = state.db
    ok = await db.healthy()
    return Health(
        status="ok" if ok else "degraded", version=__version__, database="ok" if ok else "unavailable"
    )


def _swagger_assets() -> Path:
    import swagger_ui_bundle

    return Path(swagger_ui_bundle.swagger_ui_path)


def create_app(config: Config) -> Litestar:
    """The whole appliance as an ASGI app. The lifespan opens and closes the database."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        db = Database(config.database_path, config.database)
        applied = await db.open(data_dir=config.data_path)
        for migration in applied:
            log.info("applied migration %s", migration.name)
        app.state.db = db
        app.state.config = config
        try:
            app.state.intake = intake = await Intake.open(db, config)
            scheduler = tasks.Scheduler(tasks.table(config, intake))
            scheduler.start()
            try:
                await bootstrap.first_admin(db, config)
                yield
            finally:
                await scheduler.stop()
                await intake.drain()  # what is still in memory, before the database closes
        finally:
            await db.close()

    api = Router(
        "/api",
        route_handlers=[
            AccountController,
            SitesController,
            TeamController,
            InvitationsController,
            SiteGoalsController,
            ExportController,
            analytics_router,
        ],
    )
    analytics = Router(
        "/analytics", route_handlers=[WebsitesController, stats_router, GoalsController, *tracking.ROUTES]
    )
    docs_assets = create_static_files_router(
        path=DOCS_ASSETS, directories=[_swagger_assets()], include_in_schema=False
    )
    openapi = OpenAPIConfig(
        title="Almanac",
        version=__version__,
        description="Spec 000 at /api and spec 004 at /analytics, served by one Almanac appliance.",
        path=DOCS_PATH,
        render_plugins=[
            SwaggerRenderPlugin(
                path="/",
                js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
                css_url=f"{DOCS_ASSETS}/swagger-ui.css",
                standalone_preset_js_url=f"{DOCS_ASSETS}/swagger-ui-standalone-preset.js",
                # Litestar's default favicon comes from a CDN; the appliance must work offline.
                favicon=f"<link rel='icon' type='image/png' href='{DOCS_ASSETS}/favicon-32x32.png'>",
            )
        ],
    )
    proxies = TrustedProxies(config.server.trusted_proxies)
    limiter = RateLimiter(config.rate_limits, proxies)
    app = Litestar(
        route_handlers=[api, analytics, healthz, docs_assets, tracker_router(), *dashboard_routes()],
        dependencies={"db": Provide(provide_db, sync_to_thread=False)},
        exception_handlers={Exception: errors.handle},
        middleware=[limiter],
        lifespan=[lifespan],
        openapi_config=openapi,
        request_max_body_size=MAX_BODY_BYTES,
        logging_config=None,
        state=State({"config": config, "proxies": proxies}),
    )
    # Tracking hits are most of the traffic: their routes are answered before routing.
    return tracking.answer_before_routing(app, limiter)


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")


async def _serve(config: Config) -> None:
    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.server.embed import Server

    app = create_app(config)
    server = Server(
        app,
        address=config.server.host,
        port=config.server.port,
        interface=Interfaces.ASGI,
        log_enabled=True,
        log_level=LogLevels(config.server.log_level),
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, server.signal_handler_interrupt)
    # Everything loaded so far lives as long as the process: keep it out of every collection,
    # and collect less often (each hit allocates dozens of short-lived objects), so that full
    # collections neither eat the event loop's time nor stall requests for tens of ms.
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    await server.serve()


def serve(config: Config) -> None:
    """Serve until SIGTERM/SIGINT; then drain queued writes, commit, checkpoint and return."""
    configure_logging(config.server.log_level)
    log.info("Almanac %s, data in %s", __version__, config.data_path)
    # uvloop: the event loop's own work (tasks, futures, wake-ups from the writer thread) is a
    # large share of each tracked hit; uvloop does it in C. The benchmark's reference runs on it too.
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(_serve(config))


def dump_openapi(config: Config) -> dict[str, Any]:
    return create_app(config).openapi_schema.to_schema()
