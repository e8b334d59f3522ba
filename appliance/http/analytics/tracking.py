"""Spec 004's public tracking endpoints: the hot path of the product (docs/TRACKING.md).

Raw ASGI handlers (`raw.py`) read the body themselves, bounded by `tracking.max_body_bytes`,
decode it with msgspec decoders made once, call the domain (`appliance.ingest.intake.Intake`)
and write the answer:

- GIF routes (`POST /analytics/track/{pixelKey}`, `GET /analytics/pixel`) answer the 1x1 GIF
  whatever happened: a page learns nothing from them.
- JSON routes answer `{"ok": true, ...}` once the hit has committed, or the `/analytics` error
  format: 400 VALIDATION_ERROR (malformed), 401 UNAUTHENTICATED (a bad token), 403 FORBIDDEN
  (disabled website; server-side fields without an admin's token), 404 NOT_FOUND (unknown key,
  session or event), 405, 413 PAYLOAD_TOO_LARGE, 415 UNSUPPORTED_MEDIA_TYPE. A bot gets the
  success shape with `event_id` null: nothing is stored, and it is not told why.
- Every answer carries `Access-Control-Allow-Origin: *`; OPTIONS answers the CORS preflight.

The handlers are registered with Litestar like any route, and `answer_before_routing` also
hands their paths (every `/analytics/track/{pixelKey}` too) to them before Litestar's routing
and middleware stack, which costs about a third of a tracking request otherwise (measured
in-process: 100 -> 72 us of event loop time per hit). The rate limits still apply there.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, cast

from litestar import HttpMethod, Litestar, MediaType, Request, Response, route
from litestar.enums import ScopeType
from litestar.params import FromPath
from litestar.types import ASGIApp, HTTPScope, Receive, Scope, Send
from litestar.utils import normalize_path

from appliance.accounts import credentials
from appliance.clock import now_ms
from appliance.errors import AlmanacError, Forbidden, NotFound, Unauthenticated
from appliance.http.analytics import raw, tracking_schema
from appliance.http.analytics.raw import Disconnected, RawRequest, TooLarge
from appliance.http.analytics.tracking_schema import TrackAnswer
from appliance.http.client_ip import TrustedProxies
from appliance.http.errors import RateLimited
from appliance.http.ratelimit import RateLimiter
from appliance.ingest import parse
from appliance.ingest.intake import Intake
from appliance.ingest.models import (
    Dropped,
    EventBody,
    HeartbeatBody,
    Hit,
    KeyedTrackBody,
    LeaveBody,
    Origin,
    Reason,
    TrackBody,
)
from appliance.sites.access import site_access

log = logging.getLogger("almanac.http")

GIF = raw.GIF
TRACK_BY_KEY = "/analytics/track/"
CLIENT_IP_CACHE_SIZE = 8_192
JSON_TYPES = ("", "application/json", "text/plain")
_STATUS_OF = {
    Reason.INVALID: 400,
    Reason.TOO_LARGE: 413,
    Reason.UNKNOWN_SITE: 404,
    Reason.DISABLED_SITE: 403,
    Reason.FORBIDDEN: 403,
}


_OK = raw.encode({"ok": True})


class _Failure(Exception):
    """An answer other than success, for a JSON route."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _failure(exc: Dropped | AlmanacError) -> _Failure:
    if isinstance(exc, Dropped):
        return _Failure(_STATUS_OF.get(exc.reason, 400), exc.message)
    if isinstance(exc, NotFound):
        return _Failure(404, exc.message)
    if isinstance(exc, Unauthenticated):
        return _Failure(401, exc.message)
    if isinstance(exc, Forbidden):
        return _Failure(403, exc.message)
    return _Failure(400, exc.message)


def _peer(peer: str, forwarded_for: str) -> str:
    return peer


class _Surface:
    """Per app: the domain's intake and how client IPs are read."""

    def __init__(self, app: Litestar) -> None:
        self.intake: Intake = app.state.intake
        proxies: TrustedProxies | None = getattr(app.state, "proxies", None)
        self.proxies = proxies or TrustedProxies(app.state.config.server.trusted_proxies)
        self.max_body = self.intake.config.tracking.max_body_bytes
        # Behind a proxy the same (peer, X-Forwarded-For) pairs come again and again: the walk
        # over the header is cached (IPs in memory only, bounded, as the geo lookups keep them).
        self.client_ip: Callable[[str, str], str] = (
            functools.lru_cache(maxsize=CLIENT_IP_CACHE_SIZE)(self.proxies.client_ip_of)
            if self.proxies
            else _peer
        )

    def origin(self, request: RawRequest, *, page: bool = False) -> Origin:
        return Origin(
            ip=self.client_ip(request.peer, request.forwarded_for),
            user_agent=request.user_agent,
            received=now_ms(),
            page=request.referer if page else None,
        )

    def too_large(self, site_id: int = 0) -> Dropped:
        drop = Dropped(
            Reason.TOO_LARGE, f"The request body may not be larger than {self.max_body} bytes.", site_id
        )
        self.intake.count_drop(drop)
        return drop


def _surface(scope: Scope) -> _Surface:
    app: Litestar = scope["app"]
    surface: _Surface | None = getattr(app.state, "tracking_surface", None)
    if surface is None or surface.intake is not app.state.intake:
        surface = _Surface(app)
        app.state.tracking_surface = surface
    return surface


# -- JSON routes -----------------------------------------------------------------------------

JsonHandler = Callable[[_Surface, RawRequest, bytes], Awaitable[bytes]]


async def _json_route(scope: HTTPScope, receive: Receive, send: Send, handler: JsonHandler) -> None:
    method = scope["method"]
    if not await raw.method_allowed(method, "POST", send):
        return
    surface = _surface(scope)
    request = RawRequest(scope)
    try:
        if request.content_type not in JSON_TYPES:
            raise _Failure(415, "Send JSON, as application/json or text/plain.")
        try:
            body = await raw.read_body(receive, request, surface.max_body)
        except TooLarge:
            raise _Failure(413, surface.too_large().message) from None
        answer = await handler(surface, request, body)
    except Disconnected:
        return
    except _Failure as failure:
        await raw.send_error(send, failure.status, failure.message)
        return
    except Exception as exc:
        request_id = uuid.uuid4().hex
        log.error("unexpected error %s on %s %s", request_id, method, scope["path"], exc_info=exc)
        await raw.send_error(send, 500, "Server Error.", [(b"x-request-id", request_id.encode())])
        return
    await raw.send_json(send, 200, answer)


def _decode(surface: _Surface, body: type[Any], data: bytes) -> Any:
    try:
        return parse.decode(body, data)
    except Dropped as drop:
        surface.intake.count_drop(drop)
        raise _failure(drop) from None


async def _store(surface: _Surface, hit: Hit) -> bytes:
    """Run the hit through ingestion; the JSON answer (bots get the success shape, unstored)."""
    try:
        tracked = await surface.intake.track(hit)
    except Dropped as drop:
        if drop.reason is Reason.BOT:
            return raw.encode(TrackAnswer(True, None, hit.visitor_id, hit.session_id))
        raise _failure(drop) from None
    return raw.encode(TrackAnswer(True, tracked.event_id, tracked.visitor_id, tracked.session_id))


async def _trusted(surface: _Surface, request: RawRequest, key: str) -> bool:
    """Whether an admin of the key's website sent the request (Authorization: Bearer).

    Without the header the request is anonymous; with a wrong token it is refused (401),
    and with the token of someone who is not an admin of the website too (403).
    """
    token = request.bearer()
    if token is None:
        return False
    intake = surface.intake
    caller = await credentials.caller_for_token(intake.db, token)
    if caller is None:
        raise _Failure(401, "Unauthenticated.")
    site = await intake.cx.sites.load(key)
    if site is None:
        return False  # the pipeline answers the unknown key
    try:
        await site_access(intake.db, caller.user, site.id, "admin")
    except (NotFound, Forbidden):
        raise _Failure(403, "Server-side tracking needs the admin role on this website.") from None
    return True


async def _track(surface: _Surface, request: RawRequest, data: bytes) -> bytes:
    body: TrackBody = _decode(surface, TrackBody, data)
    origin = surface.origin(request)
    origin.trusted = await _trusted(surface, request, body.key)
    try:
        hit = parse.hit_from_body(body, body.key, origin)
    except Dropped as drop:
        surface.intake.count_drop(drop)
        raise _failure(drop) from None
    return await _store(surface, hit)


async def _event(surface: _Surface, request: RawRequest, data: bytes) -> bytes:
    body: EventBody = _decode(surface, EventBody, data)
    return await _store(surface, parse.hit_from_event(body, surface.origin(request)))


async def _heartbeat(surface: _Surface, request: RawRequest, data: bytes) -> bytes:
    body: HeartbeatBody = _decode(surface, HeartbeatBody, data)
    try:
        surface.intake.heartbeat(body)
    except NotFound as exc:
        raise _failure(exc) from None
    return _OK


async def _leave(surface: _Surface, request: RawRequest, data: bytes) -> bytes:
    body: LeaveBody = _decode(surface, LeaveBody, data)
    try:
        await surface.intake.leave(body)
    except NotFound as exc:
        raise _failure(exc) from None
    return _OK


async def track(scope: Scope, receive: Receive, send: Send) -> None:
    """POST /analytics/track: a pageview or event as JSON; answers its ids once committed."""
    await _json_route(cast(HTTPScope, scope), receive, send, _track)


async def event(scope: Scope, receive: Receive, send: Send) -> None:
    """POST /analytics/event: a custom event with properties."""
    await _json_route(cast(HTTPScope, scope), receive, send, _event)


async def heartbeat(scope: Scope, receive: Receive, send: Send) -> None:
    """POST /analytics/heartbeat: time on page and scroll depth of an earlier pageview."""
    await _json_route(cast(HTTPScope, scope), receive, send, _heartbeat)


async def leave(scope: Scope, receive: Receive, send: Send) -> None:
    """POST /analytics/leave: the session ends (sendBeacon's text/plain bodies welcome)."""
    await _json_route(cast(HTTPScope, scope), receive, send, _leave)


# -- GIF routes ------------------------------------------------------------------------------


async def _gif_hit(surface: _Surface, request: RawRequest, key: str, read: Callable[[], Any]) -> None:
    """Parse and store a hit for a GIF route; every drop is counted and swallowed."""
    intake = surface.intake
    try:
        body = read()
        hit = parse.hit_from_body(body, key, surface.origin(request, page=True))
    except Dropped as drop:
        drop.site_id = intake.site_of_key(key)
        intake.count_drop(drop)
        return
    try:
        await intake.track(hit)
    except Dropped:
        return


def _form_or_json(data: bytes, content_type: str) -> KeyedTrackBody:
    if content_type in ("application/json", "text/plain") or (not content_type and data.lstrip()[:1] == b"{"):
        body: KeyedTrackBody = parse.decode(KeyedTrackBody, data)
        return body
    if content_type in ("", "application/x-www-form-urlencoded"):
        return parse.decode_form(data)
    raise parse.Malformed("Send a form (application/x-www-form-urlencoded) or JSON.")


async def _track_by_key(surface: _Surface, http: RawRequest, key: str, receive: Receive) -> None:
    """Read and store the hit of `POST /analytics/track/{pixelKey}`; nothing here is answered."""
    try:
        data = await raw.read_body(receive, http, surface.max_body)
        await _gif_hit(surface, http, key, lambda: _form_or_json(data, http.content_type))
    except TooLarge:
        surface.too_large(surface.intake.site_of_key(key))


async def track_by_key(scope: Scope, receive: Receive, send: Send) -> None:
    """POST /analytics/track/{pixelKey}, ahead of routing: a form or JSON body; always the GIF."""
    method = scope["method"]  # type: ignore[typeddict-item]
    if not await raw.method_allowed(method, "POST", send):
        return
    key = pixel_key_of(normalize_path(scope["path"]))
    assert key is not None  # answer_before_routing sends only such paths here
    try:
        await _track_by_key(_surface(scope), RawRequest(scope), key, receive)
    except Disconnected:
        return
    except Exception as exc:
        log.error("unexpected error on POST %s", scope["path"], exc_info=exc)
    await raw.send_gif(send)


def pixel_key_of(path: str) -> str | None:
    """The pixel key of a normalised `/analytics/track/{pixelKey}` path, else None."""
    if not path.startswith(TRACK_BY_KEY):
        return None
    key = path[len(TRACK_BY_KEY) :]
    return key if key and "/" not in key else None


# Litestar 2.25 cannot route an @asgi handler whose path has a parameter (a KeyError on the
# method), so the route is registered as an ordinary handler; `answer_before_routing` serves
# its paths with `track_by_key` before they reach it. The tracker uses the JSON routes; this
# one serves forms and scripts that cannot read answers.
@route(
    "/track/{pixel_key:str}",
    http_method=[HttpMethod.POST, HttpMethod.OPTIONS],
    status_code=200,
    summary="Track a pageview or event from a form or a script that cannot read answers",
    description="A form (`application/x-www-form-urlencoded`) or JSON with `/analytics/track`'s "
    "field names; the key is the path's.",
    tags=tracking_schema.TAGS,
    responses=tracking_schema.GIF_ANSWER,
    media_type=MediaType.TEXT,
)
async def track_gif(request: Request[Any, Any, Any], pixel_key: FromPath[str]) -> Response[bytes]:
    """POST /analytics/track/{pixelKey} when routed by Litestar: as `track_by_key`."""
    if request.method == "OPTIONS":
        return Response(b"", status_code=204, headers=_text_headers(raw.PREFLIGHT_HEADERS))
    try:
        await _track_by_key(_surface(request.scope), RawRequest(request.scope), pixel_key, request.receive)
    except Disconnected:
        pass
    except Exception as exc:
        log.error("unexpected error on POST %s", request.url.path, exc_info=exc)
    return Response(GIF, headers=_text_headers(raw.GIF_HEADERS))


def _text_headers(headers: raw.Headers) -> dict[str, str]:
    return {name.decode(): value.decode() for name, value in headers}


async def pixel(scope: Scope, receive: Receive, send: Send) -> None:
    """GET /analytics/pixel?key=&p=&t=&r=: for <noscript>; the page defaults to the Referer's."""
    method = scope["method"]  # type: ignore[typeddict-item]
    if not await raw.method_allowed(method, "GET", send):
        return
    surface = _surface(scope)
    try:
        body = parse.pixel_query(scope["query_string"].decode("utf-8", "replace"))
        await _gif_hit(surface, RawRequest(scope), body.key, lambda: body)
    except Dropped as drop:
        surface.intake.count_drop(drop)
    except Exception as exc:
        log.error("unexpected error on GET %s", scope["path"], exc_info=exc)
    await raw.send_gif(send)


# What Litestar routes and documents: the entries of `tracking_schema`, shadowed by HOT_PATHS,
# and the GIF route by key.
ROUTES = [*tracking_schema.ENTRIES, track_gif]
# The routes that `answer_before_routing` serves directly, by exact path; and every
# `/analytics/track/{pixelKey}` with `track_by_key`.
HOT_PATHS: dict[str, ASGIApp] = {
    "/analytics/track": track,
    "/analytics/event": event,
    "/analytics/heartbeat": heartbeat,
    "/analytics/leave": leave,
    "/analytics/pixel": pixel,
}


def answer_before_routing(app: Litestar, limiter: RateLimiter) -> Litestar:
    """Serve HOT_PATHS ahead of Litestar's router (rate limited as routed requests are)."""
    routed = app.asgi_handler
    # Without a tracking limit the limiter would only find that out on every hit.
    hot: dict[str, ASGIApp] = {
        path: limiter(fn) if limiter.tracking.limit else fn for path, fn in HOT_PATHS.items()
    }
    by_key: ASGIApp = limiter(track_by_key) if limiter.tracking.limit else track_by_key

    def hot_handler(path: str) -> ASGIApp | None:
        handler = hot.get(path)
        if handler is not None or not path.startswith("/analytics/"):
            return handler
        # Every variant of a tracking path that Litestar would route (a trailing slash, doubled
        # slashes) is answered here too: the routes Litestar has for them only document them.
        path = normalize_path(path)
        return hot.get(path) or (by_key if pixel_key_of(path) is not None else None)

    async def asgi_handler(scope: Scope, receive: Receive, send: Send) -> None:
        handler = hot_handler(scope["path"]) if scope["type"] == ScopeType.HTTP else None
        if handler is None:
            await routed(scope, receive, send)
            return
        try:
            await handler(scope, receive, send)
        except RateLimited as limited:
            headers = [(k.lower().encode(), v.encode()) for k, v in limited.headers.items()]
            await raw.send_error(send, 429, "Too Many Attempts.", headers)

    app.asgi_handler = asgi_handler
    return app
