"""Cleaning what visitors send: control characters out, lengths cut, paths split from queries.

Everything here is hostile input. Text is cut rather than rejected (a long title is still a
pageview); control characters are removed (tabs and line breaks become spaces). Numbers in
properties must fit a JavaScript number exactly, or the hit is invalid.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import msgspec

MAX_SAFE_INTEGER = 2**53 - 1
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BREAK = re.compile("[\t\n\r\u2028\u2029]")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_json = msgspec.json.Encoder()


class PropertyError(ValueError):
    pass


def clean(value: str | None, limit: int) -> str | None:
    """Text without control characters, trimmed and cut to `limit` characters; None when empty."""
    if not value:
        return None
    if not (value.isascii() and value.isprintable()):
        value = _CONTROL.sub("", _BREAK.sub(" ", value))
    value = value.strip()
    if len(value) > limit:
        value = value[:limit].rstrip()
    return value or None


def split_path(raw: str) -> tuple[str, str]:
    """A page as the tracker sends it -> (path with any #fragment, query string).

    A full URL is reduced to its path; a path always starts with a slash.
    """
    if _SCHEME.match(raw):
        try:
            parts = urlsplit(raw)
        except ValueError:
            return "/", ""
        path, query, fragment = parts.path, parts.query, parts.fragment
    else:
        base, _, fragment = raw.partition("#")
        path, _, query = base.partition("?")
    if not path.startswith("/"):
        path = "/" + path
    if fragment:
        path = f"{path}#{fragment}"
    return path, query


def utm_from_query(query: str) -> dict[str, str]:
    """The utm_* parameters of a query string (the last of each wins)."""
    if "utm_" not in query:
        return {}
    found: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=False, errors="replace"):
        lowered = name.lower()
        if lowered in UTM_FIELDS:
            found[lowered] = value
    return found


def clean_properties(properties: dict[str, Any], max_count: int, max_length: int) -> str | None:
    """Custom properties as a JSON object: the first `max_count` with a name, names and text cut.

    Raises PropertyError for an integer beyond what a JavaScript number holds exactly.
    """
    kept: dict[str, Any] = {}
    for raw_name, raw_value in properties.items():
        if len(kept) >= max_count:
            break
        name = clean(raw_name, max_length)
        if name is None:
            continue
        value = raw_value
        if isinstance(value, str):
            value = clean(value, max_length) or ""
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_SAFE_INTEGER:
            raise PropertyError(f"The property {name} is a number too large to keep exactly.")
        kept[name] = value
    return _json.encode(kept).decode("utf-8") if kept else None
