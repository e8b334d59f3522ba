"""Traffic in one line: `populate(env, site, [pageview("/", at=..., visitor=1, session=1), ...])`.

Rows go straight into `events` and `sessions` with plain SQL (no tracking requests): fast, and
every column is what the test says. Sessions are built from their hits the way ingestion builds
them: started at the first hit, last seen at the last, duration between the two (unless given),
pageviews and events counted, entry and exit pages the first and last pageviews, and source,
referrer, UTM, country and device taken from the first hit.

Times are ISO 8601; without an offset they are UTC ("2026-03-29T01:30:00" is 01:30Z).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from appliance.db import transaction
from tests.support import Env

DIRECT = "Direct / None"
SESSION_FIELDS = (
    "source",
    "referrer_host",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "utm_term",
)
EVENT_FIELDS = (
    "title",
    "country",
    "region",
    "city",
    "browser",
    "browser_version",
    "os",
    "os_version",
    "device",
    "screen_width",
    "screen_height",
    "language",
    "time_on_page",
    "scroll_depth",
)


def ms(at: str | int) -> int:
    """Epoch milliseconds of an ISO 8601 time (UTC unless it carries an offset), or ms as given."""
    if isinstance(at, int):
        return at
    moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _hit(kind: int, at: str | int, visitor: int, session: int, fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - {*SESSION_FIELDS, *EVENT_FIELDS, "path", "name", "props", "duration"}
    assert not unknown, f"unknown hit fields: {sorted(unknown)}"
    return {"kind": kind, "ts": ms(at), "visitor": visitor, "session": session, **fields}


def pageview(
    path: str = "/", *, at: str | int, visitor: int = 1, session: int = 1, **fields: Any
) -> dict[str, Any]:
    """A pageview; `fields` are columns of `events` (country="US", time_on_page=30, source=...)."""
    return _hit(0, at, visitor, session, {"path": path, **fields})


def event(name: str, *, at: str | int, visitor: int = 1, session: int = 1, **fields: Any) -> dict[str, Any]:
    """A custom event; `props={"plan": "pro"}` are its properties."""
    return _hit(1, at, visitor, session, {"name": name, **fields})


def visit(
    *paths: str, at: str | int, visitor: int = 1, session: int = 1, every: int = 60, **fields: Any
) -> list[dict[str, Any]]:
    """A session of pageviews of `paths`, `every` seconds apart, all with the same `fields`."""
    start = ms(at)
    return [
        pageview(path, at=start + i * every * 1000, visitor=visitor, session=session, **fields)
        for i, path in enumerate(paths)
    ]


def populate(env: Env, site: dict[str, Any], hits: Iterable[dict[str, Any] | list[dict[str, Any]]]) -> None:
    """Write the hits (and lists of hits, as `visit` makes) and their sessions for `site`."""
    flat: list[dict[str, Any]] = []
    for item in hits:
        flat.extend(item if isinstance(item, list) else [item])
    by_session: dict[int, list[dict[str, Any]]] = {}
    for hit in sorted(flat, key=lambda h: h["ts"]):
        by_session.setdefault(hit["session"], []).append(hit)
    conn = env.conn
    with transaction(conn):
        next_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM sessions").fetchone()[0]
        for number, session_hits in by_session.items():
            session_id = next_id
            next_id += 1
            conn.execute(_SESSION_INSERT, _session_row(site["id"], session_id, number, session_hits))
            conn.executemany(_EVENT_INSERT, [_event_row(site["id"], session_id, h) for h in session_hits])


def _session_row(site_id: int, session_id: int, number: int, hits: list[dict[str, Any]]) -> tuple[Any, ...]:
    first = hits[0]
    pages = [h["path"] for h in hits if h["kind"] == 0]
    started, last_seen = hits[0]["ts"], hits[-1]["ts"]
    duration = first.get("duration", (last_seen - started) // 1000)
    return (
        session_id,
        site_id,
        number,
        first["visitor"],
        started,
        last_seen,
        last_seen,
        duration,
        len(pages),
        len(hits) - len(pages),
        pages[0] if pages else None,
        pages[-1] if pages else None,
        first.get("source", DIRECT),
        *(first.get(f) for f in SESSION_FIELDS[1:]),
        first.get("country"),
        first.get("device"),
    )


def _event_row(site_id: int, session_id: int, hit: dict[str, Any]) -> tuple[Any, ...]:
    props = hit.get("props")
    return (
        site_id,
        hit["ts"],
        session_id,
        hit["visitor"],
        hit["kind"],
        hit.get("name"),
        hit.get("path"),
        hit.get("source", DIRECT),
        *(hit.get(f) for f in SESSION_FIELDS[1:]),
        *(hit.get(f) for f in EVENT_FIELDS),
        json.dumps(props) if props is not None else None,
    )


_SESSION_INSERT = (
    "INSERT INTO sessions (id, site_id, session_key, visitor_key, started_at, last_seen_at, ended_at, "
    "duration, pageviews, events, entry_path, exit_path, source, referrer_host, utm_source, utm_medium, "
    "utm_campaign, utm_content, utm_term, country, device) "
    f"VALUES ({', '.join('?' * 21)})"
)
_EVENT_INSERT = (
    "INSERT INTO events (site_id, ts, session_id, visitor_key, kind, name, path, source, referrer_host, "
    f"{', '.join(SESSION_FIELDS[2:])}, {', '.join(EVENT_FIELDS)}, props) "
    f"VALUES ({', '.join('?' * (8 + len(SESSION_FIELDS) - 1 + len(EVENT_FIELDS) + 1))})"
)
