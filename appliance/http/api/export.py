"""Spec 000 export: a site's raw data as a CSV or JSON download, streamed."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.datastructures import State
from litestar.di import Provide
from litestar.params import QueryParameter
from litestar.response import Stream

from appliance.clock import now_ms
from appliance.config import Config
from appliance.export import exports
from appliance.http.auth import Db, SiteDep, provide_caller, provide_site


class ExportController(Controller):
    path = "/sites/{id:int}/export"
    tags = ["Export"]
    dependencies = {"caller": Provide(provide_caller), "site": Provide(provide_site)}

    @get(
        "/",
        opt={"role": "viewer"},
        summary="Export analytics data in CSV or JSON format",
        description="Raw rows of the period, oldest first, as an attachment named "
        "`<domain>-<type>-<start>-<end>.<csv|json>`: pageviews, events and sessions one row each, "
        "visitors one row per visitor with sessions in the period, goals one row per conversion "
        "(counted from each goal's creation). Times are ISO 8601 UTC; visitors are opaque keys. CSV text "
        "cells that a spreadsheet would evaluate (=, +, -, @, tab, CR first) get a leading apostrophe. "
        "Columns: see docs/EXPORT.md.",
        response_description="The file, streamed",
    )
    async def export(
        self,
        site: SiteDep,
        db: Db,
        state: State,
        fmt: Annotated[
            str | None, QueryParameter(name="format", description="csv or json (required)")
        ] = None,
        kind: Annotated[
            str | None,
            QueryParameter(
                name="type", description="pageviews, visitors, events, goals or sessions (required)"
            ),
        ] = None,
        period: Annotated[
            str | None,
            QueryParameter(description="today, 24h (extension), 7d, 30d, 12mo or custom (default: 30d)"),
        ] = None,
        start_date: Annotated[
            str | None, QueryParameter(description="YYYY-MM-DD, for a custom period")
        ] = None,
        end_date: Annotated[
            str | None, QueryParameter(description="YYYY-MM-DD (inclusive), for a custom period")
        ] = None,
        limit: Annotated[
            int | None, QueryParameter(description="Most rows (default 1000; at most export.max_limit)")
        ] = None,
    ) -> Stream:
        config: Config = state.config
        export = exports.prepare(
            db,
            site.site,
            fmt=fmt,
            kind=kind,
            period=period,
            start_date=start_date,
            end_date=end_date,
            limit=limit,
            max_limit=config.export.max_limit,
            now_ms=now_ms(),
        )
        return Stream(
            export.chunks,
            media_type=export.media_type,
            headers={
                "Content-Disposition": f'attachment; filename="{export.filename}"',
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )
