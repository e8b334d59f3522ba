"""Pages of rows as CSV or JSON text, one chunk per page.

Everything a visitor sent (paths, titles, referrers, event names, properties) is hostile.
CSV is written by the csv module (RFC 4180 quoting: commas, quotes and line breaks are safe),
and a text cell that a spreadsheet would run as a formula, one starting with `=`, `+`, `-`,
`@`, a tab or a carriage return, gets a leading apostrophe (OWASP's advice for CSV injection).
JSON is one array streamed element by element; properties stay a JSON object there.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Sequence
from typing import Any

import msgspec

from appliance.export.tables import Page

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_json = msgspec.json.Encoder()


def spreadsheet_safe(text: str) -> str:
    """Text that a spreadsheet shows as text, never evaluates: a risky first character is escaped."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return spreadsheet_safe(value)
    if isinstance(value, dict | list):
        return spreadsheet_safe(_json.encode(value).decode("utf-8"))
    return value  # numbers are ours: a negative one is a number, not a formula


async def csv_chunks(columns: Sequence[str], pages: AsyncIterator[Page]) -> AsyncIterator[bytes]:
    """A header line, then each page's rows as CSV (CRLF line ends), one chunk per page."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    yield buffer.getvalue().encode("utf-8")
    async for page in pages:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([_cell(v) for v in row] for row in page)
        yield buffer.getvalue().encode("utf-8")


async def json_chunks(columns: Sequence[str], pages: AsyncIterator[Page]) -> AsyncIterator[bytes]:
    """A JSON array of objects keyed by column, streamed: `[`, the rows page by page, `]`."""
    yield b"["
    first = True
    async for page in pages:
        if not page:
            continue
        parts = [_json.encode(dict(zip(columns, row, strict=True))) for row in page]
        chunk = b",\n".join(parts)
        yield chunk if first else b",\n" + chunk
        first = False
    yield b"]\n"
