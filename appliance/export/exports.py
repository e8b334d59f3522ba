"""An export request checked and turned into a file name, a media type and a stream of bytes."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

from appliance.db import Database
from appliance.errors import Invalid
from appliance.export import encode
from appliance.export.tables import TABLES
from appliance.sites.models import Site
from appliance.stats import parse
from appliance.stats.query import Period

FORMATS = {"csv": "text/csv", "json": "application/json"}  # Litestar adds charset=utf-8 to text/*
DEFAULT_LIMIT = 1000
_UNSAFE_IN_NAME = re.compile(r"[^a-z0-9.-]+")


@dataclass(frozen=True, slots=True)
class Export:
    filename: str
    media_type: str
    chunks: AsyncIterator[bytes]


def filename(domain: str, kind: str, period: Period, fmt: str) -> str:
    """`<domain>-<type>-<start>-<end>.<ext>` with local dates; only [a-z0-9.-] from the domain."""
    safe = _UNSAFE_IN_NAME.sub("_", domain.lower()).strip("._") or "site"
    return f"{safe}-{kind}-{period.first.isoformat()}-{period.last.isoformat()}.{fmt}"


def _checked(fmt: str | None, kind: str | None, limit: int | None, max_limit: int) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not fmt:
        errors["format"] = ["The format field is required."]
    elif fmt not in FORMATS:
        errors["format"] = [f"The format must be one of: {', '.join(FORMATS)}."]
    if not kind:
        errors["type"] = ["The type field is required."]
    elif kind not in TABLES:
        errors["type"] = [f"The type must be one of: {', '.join(TABLES)}."]
    if limit is not None and not 1 <= limit <= max_limit:
        errors["limit"] = [f"The limit must be between 1 and {max_limit}."]
    return errors


def prepare(
    db: Database,
    site: Site,
    *,
    fmt: str | None,
    kind: str | None,
    period: str | None,
    start_date: str | None,
    end_date: str | None,
    limit: int | None,
    max_limit: int,
    now_ms: int,
) -> Export:
    """Check the request (Invalid with field errors) and return the export, to be streamed.

    Nothing is read until the stream is: the rows come page by page as it is consumed.
    """
    errors = _checked(fmt, kind, limit, max_limit)
    try:
        span = parse.named_period(period, start_date, end_date, parse.timezone(site.timezone), now_ms)
    except Invalid as exc:
        errors |= exc.errors
    if errors:
        raise Invalid(errors)
    assert fmt is not None and kind is not None
    table = TABLES[kind]
    pages = table.pages(db, site.id, span.start, span.end, limit or DEFAULT_LIMIT)
    encoder = encode.csv_chunks if fmt == "csv" else encode.json_chunks
    return Export(
        filename=filename(site.domain, kind, span, fmt),
        media_type=FORMATS[fmt],
        chunks=encoder(table.columns, pages),
    )
