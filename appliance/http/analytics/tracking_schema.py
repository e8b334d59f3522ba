"""The tracking routes as the API docs (`/docs/openapi.json`) show them.

The tracking routes are answered by raw ASGI handlers ahead of Litestar's routing
(`tracking.answer_before_routing`), which Litestar's OpenAPI generation cannot see. These
entries give each route its documented shape: the body, the answer and the errors. They are
registered at the same paths, so that Litestar documents them, and every app that
`appliance.server.create_app` builds shadows them: a request never reaches their bodies.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import MediaType, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromQuery, JSONBody

from appliance.ingest.models import EventBody, HeartbeatBody, LeaveBody, TrackBody

TAGS = ["Tracking"]
SHADOWED = "answered ahead of routing by appliance.http.analytics.tracking"


class TrackAnswer(msgspec.Struct):
    """A stored hit's ids (`event_id` null for a bot: nothing was stored)."""

    ok: bool
    event_id: int | None
    visitor_id: str | None
    session_id: str | None


class Ok(msgspec.Struct):
    ok: bool


class Failure(msgspec.Struct):
    """Spec 004's error format."""

    ok: bool
    error: str
    code: str


def _errors(*statuses: int) -> dict[int, ResponseSpec]:
    return {
        status: ResponseSpec(Failure, description="`{ok: false, error, code}`", generate_examples=False)
        for status in statuses
    }


_JSON_ERRORS = _errors(400, 413, 415, 429)
GIF_ANSWER = {
    200: ResponseSpec(
        None, description="The 1x1 transparent GIF, whatever happened", media_type=MediaType.TEXT
    )
}


def _shadowed() -> Any:
    raise RuntimeError(SHADOWED)


@post(
    "/track",
    summary="Track a pageview or custom event",
    description="JSON, as `application/json` or `text/plain`; answered once the event has committed. "
    "With an admin's `Authorization: Bearer` token it may set `timestamp`, `ip` and `user_agent`.",
    status_code=200,
    tags=TAGS,
    responses={
        200: ResponseSpec(TrackAnswer, description="Stored", generate_examples=False),
        **_JSON_ERRORS,
        **_errors(401, 403, 404),
    },
)
async def track_entry(data: JSONBody[TrackBody]) -> TrackAnswer:
    return _shadowed()  # type: ignore[no-any-return]


@post(
    "/event",
    summary="Track a custom event with properties",
    status_code=200,
    tags=TAGS,
    responses={
        200: ResponseSpec(TrackAnswer, description="Stored", generate_examples=False),
        **_JSON_ERRORS,
        **_errors(403, 404),
    },
)
async def event_entry(data: JSONBody[EventBody]) -> TrackAnswer:
    return _shadowed()  # type: ignore[no-any-return]


@post(
    "/heartbeat",
    summary="Time on page and scroll depth of one of the session's latest pageviews",
    description="Answered at once; written in batches every `tracking.heartbeat_flush_seconds`.",
    status_code=200,
    tags=TAGS,
    responses={200: ResponseSpec(Ok, description="Noted"), **_JSON_ERRORS, **_errors(404)},
)
async def heartbeat_entry(data: JSONBody[HeartbeatBody]) -> Ok:
    return _shadowed()  # type: ignore[no-any-return]


@post(
    "/leave",
    summary="The visitor left: the session ends",
    description="`sendBeacon`'s `text/plain` bodies welcome; answered once the end is stored.",
    status_code=200,
    tags=TAGS,
    responses={200: ResponseSpec(Ok, description="Stored"), **_JSON_ERRORS, **_errors(404)},
)
async def leave_entry(data: JSONBody[LeaveBody]) -> Ok:
    return _shadowed()  # type: ignore[no-any-return]


@get(
    "/pixel",
    summary="Track a pageview from <noscript>: the path, title and referrer in the query",
    description="Without `p`, the page is the `Referer` header's. Other parameters (cache busters) "
    "are ignored.",
    tags=TAGS,
    responses=GIF_ANSWER,
    media_type=MediaType.TEXT,
)
async def pixel_entry(
    key: FromQuery[str],
    p: FromQuery[str | None] = None,
    t: FromQuery[str | None] = None,
    r: FromQuery[str | None] = None,
) -> Response[bytes]:
    return _shadowed()  # type: ignore[no-any-return]


ENTRIES = [track_entry, event_entry, heartbeat_entry, leave_entry, pixel_entry]
